# shellcheck shell=bash
# Sourced by the fuzz build scripts (run-all.sh, smoke.sh,
# .clusterfuzzlite/build.sh): builds with fuzz/uninstrumented.sh as the
# rustc wrapper, so the public suffix list has no coverage counters.
# An RUSTC_WRAPPER already set (sccache, say) is kept, and then the list is
# instrumented like the rest; FEDCM_FUZZ_FULL_COVERAGE=1 asks for that too.
if [ "${FEDCM_FUZZ_FULL_COVERAGE:-0}" != 1 ]; then
    fedcm_wrapper="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/uninstrumented.sh"
    if [ -z "${RUSTC_WRAPPER:-}" ]; then
        export RUSTC_WRAPPER=$fedcm_wrapper
    elif [ "$RUSTC_WRAPPER" != "$fedcm_wrapper" ]; then
        echo "fuzz: RUSTC_WRAPPER=$RUSTC_WRAPPER is kept; the public suffix list gets coverage counters" >&2
    fi
    unset fedcm_wrapper
fi
