#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as the ClusterFuzzLite image would (Docker
# does not run here): $SRC and $OUT are temporary directories, $SRC holds
# the repository as $SRC/fedcm-workbench (a symlink), and `cargo` is the
# nightly toolchain, as in base-builder-rust (built under
# fuzz/target/clusterfuzzlite/, not to disturb the other builds, unless
# FUZZ_TARGET_DIR says where). Then checks that $OUT has,
# for every target, the binary, <target>_seed_corpus.zip (with every seed),
# <target>.dict and <target>.options, and that each binary runs its seeds.
#
# Then the same for the OSS-Fuzz project in fuzz/oss-fuzz/: its build.sh
# (which calls .clusterfuzzlite/build.sh) into a second $OUT, checked the
# same way, and its project.yaml and Dockerfile for the fields and steps
# OSS-Fuzz needs (the Dockerfile clones to $SRC/fedcm-workbench, where
# build.sh looks). The second build reuses the first's cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SRC=$(mktemp -d)
OUTS=()
cleanup() { rm -rf "$SRC" "${OUTS[@]}"; }
trap cleanup EXIT
ln -s "$ROOT" "$SRC/fedcm-workbench"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# Where build.sh builds: its own directory by default; CI passes
# FUZZ_TARGET_DIR=fuzz/target to reuse the smoke run's identical build.
BUILD_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target/clusterfuzzlite}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
targets=$(cd "$ROOT" && cargo +nightly fuzz list)
missing=0

# check_build LABEL BUILD_SH: runs BUILD_SH as $SRC/build.sh into a fresh
# $OUT and checks what it left there.
check_build() {
    local label=$1 script=$2 out t f seeds zipped
    out=$(mktemp -d)
    OUTS+=("$out")
    cp "$script" "$SRC/build.sh"
    echo "$label: running $script as \$SRC/build.sh with SRC=$SRC OUT=$out"
    (
        cd "$SRC/fedcm-workbench"
        export SRC OUT="$out" RUSTUP_TOOLCHAIN=nightly FUZZ_TARGET_DIR="$BUILD_DIR"
        bash -eu "$SRC/build.sh"
    )
    for t in $targets; do
        for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
            if [ ! -s "$out/$f" ]; then
                echo "$label: missing: \$OUT/$f"
                missing=1
            fi
        done
        [ -x "$out/$t" ] || { echo "$label: not executable: \$OUT/$t"; missing=1; }
        seeds=$(find "fuzz/corpus/$t" -type f | wc -l)
        zipped=$(unzip -Z1 "$out/${t}_seed_corpus.zip" | grep -vc '/$' || true)
        [ "$seeds" = "$zipped" ] || { echo "$label: $t: $zipped of $seeds seeds zipped"; missing=1; }
        # The binary runs over its seeds (as ClusterFuzzLite's first step does).
        mkdir -p "$out/unzipped/$t"
        unzip -q -o "$out/${t}_seed_corpus.zip" -d "$out/unzipped/$t"
        if ! "$out/$t" -runs=0 -dict="$out/$t.dict" "$out/unzipped/$t" >"$out/$t.log" 2>&1; then
            echo "$label: $t fails on its seed corpus"; tail -5 "$out/$t.log"; missing=1
        fi
    done
    echo "$label: expected in \$OUT: $(echo "$targets" | wc -w) targets x (binary, seed corpus zip, dict, options)"
    find "$out" -maxdepth 1 -type f ! -name '*.log' -printf '%f\t%s bytes\n' | sort
}

check_build ClusterFuzzLite .clusterfuzzlite/build.sh
check_build OSS-Fuzz fuzz/oss-fuzz/build.sh

# The OSS-Fuzz project files: what OSS-Fuzz reads, and the placeholders
# the docs say to replace (present until the repository has its address).
has() {
    grep -qE "$2" "$1" || { echo "OSS-Fuzz: $1 lacks /$2/"; missing=1; }
}
# (Patterns in single quotes: `$SRC` is Dockerfile text, not a variable.)
# shellcheck disable=SC2016
{
    has fuzz/oss-fuzz/project.yaml '^language: rust$'
    has fuzz/oss-fuzz/project.yaml '^main_repo: "https://'
    has fuzz/oss-fuzz/project.yaml '^homepage: "https://'
    has fuzz/oss-fuzz/project.yaml '^primary_contact: '
    has fuzz/oss-fuzz/project.yaml '^sanitizers:'
    has fuzz/oss-fuzz/project.yaml '^  - address$'
    has fuzz/oss-fuzz/project.yaml '^fuzzing_engines:'
    has fuzz/oss-fuzz/project.yaml '^  - libfuzzer$'
    has fuzz/oss-fuzz/Dockerfile '^FROM gcr.io/oss-fuzz-base/base-builder-rust$'
    has fuzz/oss-fuzz/Dockerfile '^RUN git clone .* fedcm-workbench$'
    has fuzz/oss-fuzz/Dockerfile '^WORKDIR \$SRC/fedcm-workbench$'
    has fuzz/oss-fuzz/Dockerfile '^COPY build.sh \$SRC/$'
    has .clusterfuzzlite/project.yaml '^language: rust$'
}
repo=$(sed -n 's/^main_repo: "\(.*\)"$/\1/p' fuzz/oss-fuzz/project.yaml)
grep -qF "git clone --depth 1 $repo fedcm-workbench" fuzz/oss-fuzz/Dockerfile ||
    { echo "OSS-Fuzz: the Dockerfile does not clone main_repo ($repo)"; missing=1; }
if grep -q OWNER fuzz/oss-fuzz/project.yaml fuzz/oss-fuzz/Dockerfile; then
    echo "OSS-Fuzz: note: placeholders (OWNER) still in fuzz/oss-fuzz/; replace them before submitting"
fi

[ "$missing" -eq 0 ] && echo "check-clusterfuzzlite: OK (ClusterFuzzLite and OSS-Fuzz builds)"
