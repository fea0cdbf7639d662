#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as the ClusterFuzzLite image would (Docker
# does not run here): $SRC and $OUT are temporary directories, $SRC holds
# the repository as $SRC/fedcm-workbench (a symlink), and `cargo` is the
# nightly toolchain, as in base-builder-rust (built under
# fuzz/target/clusterfuzzlite/, not to disturb the other builds, unless
# FUZZ_TARGET_DIR says where). Then checks that $OUT has,
# for every target, the binary, <target>_seed_corpus.zip (with every seed),
# <target>.dict and <target>.options, and that each binary runs its seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SRC=$(mktemp -d)
OUT=$(mktemp -d)
trap 'rm -rf "$SRC" "$OUT"' EXIT
ln -s "$ROOT" "$SRC/fedcm-workbench"
cp .clusterfuzzlite/build.sh "$SRC/build.sh"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# Where build.sh builds: its own directory by default; CI passes
# FUZZ_TARGET_DIR=fuzz/target to reuse the smoke run's identical build.
BUILD_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target/clusterfuzzlite}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

echo "running build.sh with SRC=$SRC OUT=$OUT"
(cd "$SRC/fedcm-workbench" && SRC="$SRC" OUT="$OUT" RUSTUP_TOOLCHAIN=nightly \
    FUZZ_TARGET_DIR="$BUILD_DIR" bash -eu "$SRC/build.sh")

missing=0
targets=$(cd "$ROOT" && cargo +nightly fuzz list)
for t in $targets; do
    for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
        if [ ! -s "$OUT/$f" ]; then
            echo "missing: \$OUT/$f"
            missing=1
        fi
    done
    [ -x "$OUT/$t" ] || { echo "not executable: \$OUT/$t"; missing=1; }
    seeds=$(ls "fuzz/corpus/$t" | wc -l)
    zipped=$(unzip -Z1 "$OUT/${t}_seed_corpus.zip" | grep -vc '/$' || true)
    [ "$seeds" = "$zipped" ] || { echo "$t: $zipped of $seeds seeds zipped"; missing=1; }
    # The binary runs over its seeds (as ClusterFuzzLite's first step does).
    mkdir -p "$OUT/unzipped/$t"
    unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$OUT/unzipped/$t"
    if ! "$OUT/$t" -runs=0 -dict="$OUT/$t.dict" "$OUT/unzipped/$t" >"$OUT/$t.log" 2>&1; then
        echo "$t: fails on its seed corpus"; tail -5 "$OUT/$t.log"; missing=1
    fi
done
echo "expected in \$OUT: $(echo $targets | wc -w) targets x (binary, seed corpus zip, dict, options)"
ls -l "$OUT" | grep -v unzipped
[ "$missing" -eq 0 ] && echo "check-clusterfuzzlite: OK"
