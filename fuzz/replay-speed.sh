#!/usr/bin/env bash
# A fixed workload, for comparing two builds on a busy machine: each
# target's binary executes each of its committed seeds (fuzz/corpus/<t>/)
# REPEAT times (file arguments with -runs=REPEAT: no mutation, no corpus),
# and the table gives executions per CPU second (user + system, from
# /usr/bin/time), so other processes on the machine change the wall time
# but hardly the figure. fuzz/run-all.sh measures the fuzzing itself.
#
#   fuzz/replay-speed.sh [--bin DIR] [--targets "a b"] [REPEAT]   (default 200)
#
# The figure includes the process's start (a few ms): use a REPEAT that
# makes the run last seconds.
#
# --bin DIR  the binaries (default: the `cargo fuzz build -O --sanitizer
#            none` build directory run-all.sh -O uses; build it first).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/fuzz/target/sanitizer-none-O/x86_64-unknown-linux-gnu/release"
TARGETS="well_known config accounts client_metadata assertion disconnect request_options differential flow invariants"
REPEAT=200
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) BIN=$(cd "$2" && pwd); shift 2 ;;
        --targets) TARGETS=$2; shift 2 ;;
        -h|--help) sed -n "2,16p" "$0"; exit 0 ;;
        *) REPEAT=$1; shift ;;
    esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-16s %6s %9s %8s %12s\n' target seeds execs cpu-s execs/cpu-s
for t in $TARGETS; do
    files=("$ROOT/fuzz/corpus/$t"/*)
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$BIN/$t" -runs="$REPEAT" -rss_limit_mb=2048 -timeout=10 "${files[@]}" >"$tmp/$t.log" 2>&1
    cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")
    seeds=$(ls "$ROOT/fuzz/corpus/$t" | wc -l)
    execs=$((${#files[@]} * REPEAT))
    printf '%-16s %6s %9s %8s %12s\n' "$t" "$seeds" "$execs" "$cpu" "$(awk -v n="$execs" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? n / c : 0) }')"
done
