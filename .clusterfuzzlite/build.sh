#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: every cargo-fuzz target into $OUT, each
# with its seed corpus ($OUT/<target>_seed_corpus.zip), the dictionary
# ($OUT/<target>.dict) and libFuzzer options ($OUT/<target>.options).
# The base image's cargo adds the sanitizer flags for $SANITIZER.
# OSS-Fuzz runs the same file (fuzz/oss-fuzz/build.sh calls it), and
# fuzz/check-clusterfuzzlite.sh runs both locally.
cd "$SRC/fedcm-workbench"

# FUZZ_TARGET_DIR (unset in the image) lets the local check build elsewhere.
TARGET_DIR=${FUZZ_TARGET_DIR:-fuzz/target}
# The public suffix list without coverage counters (fuzz/env.sh).
source fuzz/env.sh
cargo fuzz build -O --target-dir "$TARGET_DIR"
BIN=$TARGET_DIR/x86_64-unknown-linux-gnu/release

for target in $(cargo fuzz list); do
    cp "$BIN/$target" "$OUT/"
    rm -f "$OUT/${target}_seed_corpus.zip"
    (cd "fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    cp fuzz/fedcm.dict "$OUT/$target.dict"
    printf '[libfuzzer]\ndict = %s.dict\nrss_limit_mb = 2048\ntimeout = 10\n' "$target" >"$OUT/$target.options"
done
