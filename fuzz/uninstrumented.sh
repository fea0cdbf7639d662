#!/usr/bin/env bash
# rustc wrapper for the fuzz builds (RUSTC_WRAPPER): compiles the public
# suffix list (crates `psl` and `fedcm_suffix`) without coverage counters,
# and every other crate as it would be. Cargo calls it as
# `uninstrumented.sh RUSTC ARGS...`.
#
# Why: the list is about 65,000 branches of a third party's table, and
# libFuzzer scans every counter after every execution; in the targets that
# reach a site check, those counters were 71-89% of all of them
# (docs/fuzzing.md). The branches of our own code that read the list's
# answer keep their counters, so a different answer is still new coverage.
#
# Appending `-sanitizer-coverage-level=0` works because LLVM keeps the last
# value of an option given twice; it is added only where cargo-fuzz asked
# for coverage (`sancov-module`), so other builds are untouched. The fuzz
# scripts set RUSTC_WRAPPER to this file unless it is already set, or
# FEDCM_FUZZ_FULL_COVERAGE=1 asks for the list instrumented too.
set -euo pipefail
rustc=$1
shift
crate=""
coverage=0
prev=""
for arg in "$@"; do
    [ "$prev" = "--crate-name" ] && crate=$arg
    case "$arg" in *sancov-module*) coverage=1 ;; esac
    prev=$arg
done
if [ "$coverage" = 1 ]; then
    case "$crate" in
        psl | fedcm_suffix) exec "$rustc" "$@" -Cllvm-args=-sanitizer-coverage-level=0 ;;
    esac
fi
exec "$rustc" "$@"
