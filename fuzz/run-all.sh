#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, one after the other, then prints
# a table: target, CPU seconds used, runs, exec/s, edges (libFuzzer's final `cov:`), corpus
# (libFuzzer's `corp:` units/bytes at the end), crashes (new files under
# fuzz/artifacts/<target>/).
#
#   fuzz/run-all.sh [--sanitizer none|address] [-O] [--merge] [--targets "a b"]
#                   [--work DIR] [--bin DIR] SECONDS
#
# --sanitizer  default `none`: this is the long-campaign script, and safe
#              Rust gains little from ASan at a 4-5x cost in speed
#              (fuzz/smoke.sh, what CI runs, keeps ASan). Debug assertions
#              and overflow checks are on either way (cargo-fuzz's default).
# -O           build with `cargo fuzz build -O`: release without debug
#              assertions and overflow checks (its own build directory,
#              fuzz/target/sanitizer-<s>-O). The throughput measurement of
#              docs/fuzzing.md uses `--sanitizer none -O`.
# --work DIR   where new inputs and logs go (default fuzz/work); a fresh
#              scratch directory makes runs comparable (each starts from the
#              seeds only).
# --bin DIR    run the binaries in DIR as they are, without building
#              (e.g. a copy of an earlier build, to compare two builds).
# --merge      afterwards, merge into fuzz/corpus/<target>/ the inputs of
#              the run that add coverage (libFuzzer -merge=1): the committed
#              corpus grows by a minimized set only.
#
# The targets are built once (`cargo +nightly fuzz build`), then each binary
# runs as `cargo +nightly fuzz run <t> fuzz/work/<t> fuzz/corpus/<t> -- ...`
# would run it, without the rebuild `cargo fuzz run` does when model/src
# changed meanwhile: one campaign fuzzes one build of the model.
# New inputs go to fuzz/work/<target>/ (git-ignored); fuzz/corpus/<target>/
# (the committed seeds) is read, never written, unless --merge. Logs:
# fuzz/work/logs/<target>.log; the table also goes to fuzz/work/summary.txt.
# libFuzzer options: -dict=fuzz/fedcm.dict -rss_limit_mb=2048 -timeout=10.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SANITIZER=none
MERGE=0
OPT=0
WORK="$ROOT/fuzz/work"
PREBUILT=""
TARGETS=""
SECONDS_EACH=""
while [ $# -gt 0 ]; do
    case "$1" in
        --sanitizer) SANITIZER=$2; shift 2 ;;
        --sanitizer=*) SANITIZER=${1#*=}; shift ;;
        --merge) MERGE=1; shift ;;
        -O|--release) OPT=1; shift ;;
        --work) WORK=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
        --bin) PREBUILT=$(cd "$2" && pwd); shift 2 ;;
        --targets) TARGETS=$2; shift 2 ;;
        -h|--help) sed -n "2,38p" "$0"; exit 0 ;;
        *) SECONDS_EACH=$1; shift ;;
    esac
done
case "$SECONDS_EACH" in
    ''|*[!0-9]*) echo "usage: fuzz/run-all.sh [--sanitizer none|address] [--merge] [--targets \"a b\"] SECONDS" >&2; exit 2 ;;
esac

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# One build directory per sanitizer, so switching between this script and
# the ASan smoke run does not rebuild everything.
TARGET_DIR="$ROOT/fuzz/target"
[ "$SANITIZER" = address ] || TARGET_DIR="$ROOT/fuzz/target/sanitizer-$SANITIZER"
[ "$OPT" = 0 ] || TARGET_DIR="$ROOT/fuzz/target/sanitizer-$SANITIZER-O"
FUZZ=(cargo +nightly fuzz)
# The public suffix list without coverage counters (fuzz/env.sh).
source "$ROOT/fuzz/env.sh"
BUILD_ARGS=(--sanitizer "$SANITIZER" --target-dir "$TARGET_DIR")
[ "$OPT" = 0 ] || BUILD_ARGS+=(-O)

[ -n "$TARGETS" ] || TARGETS=$("${FUZZ[@]}" list)
if [ -n "$PREBUILT" ]; then
    BIN=$PREBUILT
    echo "running the $(echo $TARGETS | wc -w) targets in $BIN (not rebuilt)"
else
    echo "building $(echo $TARGETS | wc -w) targets (sanitizer: $SANITIZER, -O: $OPT)"
    "${FUZZ[@]}" build "${BUILD_ARGS[@]}"
    BIN="$TARGET_DIR/x86_64-unknown-linux-gnu/release"
fi

mkdir -p "$WORK/logs"
ROWS=()
TOTAL_CRASHES=0
for t in $TARGETS; do
    work="$WORK/$t"
    seeds="$ROOT/fuzz/corpus/$t"
    artifacts="$ROOT/fuzz/artifacts/$t"
    log="$WORK/logs/$t.log"
    mkdir -p "$work" "$seeds" "$artifacts"
    rm -f "$log.cpu"
    before=$(ls "$artifacts" | grep -cE '^(crash|oom|timeout|leak)-' || true)
    echo "=== $t: ${SECONDS_EACH}s"
    status=0
    # /usr/bin/time appends the CPU seconds the target used (user + system)
    # to its log: the budget is wall-clock, so a busy machine shows here.
    timer=()
    [ ! -x /usr/bin/time ] || timer=(/usr/bin/time -f 'cpu-seconds: %U %S' -a -o "$log.cpu")
    "${timer[@]}" "$BIN/$t" -artifact_prefix="$artifacts/" \
        -max_total_time="$SECONDS_EACH" -dict="$ROOT/fuzz/fedcm.dict" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 || status=$?
    after=$(ls "$artifacts" | grep -cE '^(crash|oom|timeout|leak)-' || true)
    crashes=$((after - before))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes="exit $status"
    fi
    [ "$crashes" = 0 ] || TOTAL_CRASHES=$((TOTAL_CRASHES + 1))
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    [ -n "$runs" ] || runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo '?')
    edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //' || echo '?')
    cpu=$(awk '/^cpu-seconds:/ { printf "%.0f", $2 + $3 }' "$log.cpu" 2>/dev/null || true)
    ROWS+=("$(printf '%-16s %7s %12s %9s %7s %14s %8s' "$t" "${cpu:-?}" "$runs" "$speed" "$edges" "$corpus" "$crashes")")
    if [ "$crashes" != 0 ]; then
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -5 || true
    fi
    if [ "$MERGE" = 1 ]; then
        "$BIN/$t" -merge=1 -rss_limit_mb=2048 -timeout=10 "$seeds" "$work" >"$WORK/logs/$t.merge.log" 2>&1 ||
            echo "merge of $t failed: see $WORK/logs/$t.merge.log"
    fi
done

{
    echo "fuzz/run-all.sh $SECONDS_EACH s per target, sanitizer: $SANITIZER, -O: $OPT, $(date -u +%Y-%m-%dT%H:%MZ)"
    printf '%-16s %7s %12s %9s %7s %14s %8s\n' target cpu-s runs exec/s edges corpus crashes
    printf '%s\n' "${ROWS[@]}"
} | tee "$WORK/summary.txt"
[ "$TOTAL_CRASHES" -eq 0 ]
