#!/usr/bin/env bash
# CI smoke run of the fuzz targets: builds every target with cargo-fuzz's
# defaults (AddressSanitizer, optimizations, debug assertions and overflow
# checks), runs each for 20 s from the committed seed corpus with the
# dictionary, and fails on any crash, timeout (10 s) or out-of-memory
# (2 GiB). New inputs go to a temporary directory; crash inputs stay under
# fuzz/artifacts/<target>/ for the CI log and for tests/fuzz-crashes/.
# The public suffix list is built without coverage instrumentation
# (fuzz/env.sh), and the run fails if any target's copy of it has some.
#
#   fuzz/smoke.sh [SECONDS]     (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

FUZZ=(cargo +nightly fuzz)
# The public suffix list without coverage counters (fuzz/env.sh).
source fuzz/env.sh
echo "fuzz smoke: sanitizer address, ${SECONDS_EACH}s per target"
"${FUZZ[@]}" build --sanitizer address
# cargo-fuzz builds into fuzz/target, or into CARGO_TARGET_DIR when it is set.
BIN=${CARGO_TARGET_DIR:-fuzz/target}/x86_64-unknown-linux-gnu/release

# Instructions of the public suffix list's functions (crates `psl` and
# `fedcm_suffix`, by their mangled names) that call or address the coverage
# instrumentation: 0 when fuzz/uninstrumented.sh did its work.
list_instrumentation() {
    objdump -d --no-show-raw-insn "$1" | awk '
        /^[0-9a-f]+ <.*>:$/ { on = ($0 ~ /(12fedcm_suffix|3psl)/); next }
        on && /__sanitizer_cov|__sancov_gen/ { n++ }
        END { print n + 0 }'
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in $("${FUZZ[@]}" list); do
    if [ "${FEDCM_FUZZ_FULL_COVERAGE:-0}" != 1 ] && command -v objdump >/dev/null 2>&1; then
        n=$(list_instrumentation "$BIN/$t")
        if [ "$n" != 0 ]; then
            printf 'FAIL  %-16s the public suffix list has %s instrumented instructions (fuzz/uninstrumented.sh did not apply)\n' "$t" "$n"
            failed+=("$t")
            continue
        fi
    fi
    mkdir -p "$work/$t" "fuzz/artifacts/$t"
    # What `cargo +nightly fuzz run $t $work/$t fuzz/corpus/$t -- ...` runs,
    # without rebuilding between targets.
    if "$BIN/$t" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$SECONDS_EACH" \
        -dict=fuzz/fedcm.dict -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        "$work/$t" "fuzz/corpus/$t" >"$work/$t.log" 2>&1; then
        runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -oE '[0-9]+$' || echo '?')
        cov=$(grep -oE 'cov: [0-9]+' "$work/$t.log" | tail -1 | grep -oE '[0-9]+' || echo '?')
        counters=$(grep -oE '[0-9]+ inline 8-bit counters' "$work/$t.log" | head -1 | awk '{ print $1 }')
        printf 'ok    %-16s %10s runs %6s edges %6s counters\n' "$t" "$runs" "$cov" "$counters"
    else
        printf 'FAIL  %-16s\n' "$t"
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$work/$t.log" | head -8 || true
        failed+=("$t")
    fi
done
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz smoke: failures in ${failed[*]}; reproduce a crash with cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>"
    exit 1
fi
echo "fuzz smoke: no crash"
