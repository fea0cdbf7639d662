#!/usr/bin/env bash
# Benchmark baselines and the regression check.
#
#   benches/regress.sh save NAME [--throughput]   record baseline NAME
#   benches/regress.sh compare NAME [THRESHOLD%] [--throughput]
#                                                 compare the tree with NAME
#
# The gate is the instruction count under Callgrind (gungraun,
# benches/instructions.rs): identical run to run, so THRESHOLD (default 1%)
# can be tight. `compare` prints every benchmark's change and exits 3 when
# one has more instructions than the baseline by more than THRESHOLD.
# Criterion (benches/parse.rs) is run beside it with the same baseline name
# as the human view of wall-clock time (noisy here: ~20% run to run; never a
# gate); pass --no-criterion to skip it.
#
# --throughput adds speed to the same report: every cargo-fuzz target run
# for FUZZ_SECONDS (default 10) without a sanitizer from its seed corpus
# (exec/s per CPU second), and `fedcm explore --depth EXPLORE_DEPTH`
# (default 6; states/s per CPU second and per wall second). `save` stores
# the figures in $CARGO_TARGET_DIR/throughput/NAME.tsv (beside gungraun's
# baselines); `compare` prints each figure now, in NAME, and now/NAME.
# Reported, not gated, unless --throughput-threshold P% is given: then a
# ratio below 1 - P/100 also exits 3. --throughput-only skips the
# instruction and criterion benches (needs neither valgrind nor gungraun).
# --fuzz-seconds S and --explore-depth D override the two settings; the
# throughput part needs the nightly toolchain and cargo-fuzz.
#
# Needs valgrind and gungraun-runner at the gungraun crate's version
# (installed here when absent). Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

# The runner must match the gungraun library exactly: its version as
# Cargo.lock pins it.
GUNGRAUN_VERSION=$(awk '$0 == "name = \"gungraun\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

usage() {
    sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

criterion=1
instructions=1
throughput=0
tp_threshold=""
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
EXPLORE_DEPTH=${EXPLORE_DEPTH:-6}
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-criterion) criterion=0 ;;
        --throughput) throughput=1 ;;
        --throughput-only) throughput=1 instructions=0 criterion=0 ;;
        --throughput-threshold) throughput=1 tp_threshold=${2:-}; shift ;;
        --throughput-threshold=*) throughput=1 tp_threshold=${1#*=} ;;
        --fuzz-seconds) FUZZ_SECONDS=${2:-}; shift ;;
        --fuzz-seconds=*) FUZZ_SECONDS=${1#*=} ;;
        --explore-depth) EXPLORE_DEPTH=${2:-}; shift ;;
        --explore-depth=*) EXPLORE_DEPTH=${1#*=} ;;
        -h | --help) usage ;;
        *) args+=("$1") ;;
    esac
    shift
done
[ "${#args[@]}" -ge 2 ] || usage
cmd=${args[0]}
name=${args[1]}
threshold=${args[2]:-1%}
threshold=${threshold%\%}
[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "baseline name: letters, digits, _ . - only" >&2; exit 2; }
[[ "$threshold" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "threshold: a percentage such as 1% or 0.5" >&2; exit 2; }
tp_threshold=${tp_threshold%\%}
[[ -z "$tp_threshold" || "$tp_threshold" =~ ^[0-9]+([.][0-9]+)?$ ]] ||
    { echo "--throughput-threshold: a percentage such as 20%" >&2; exit 2; }
[[ "$FUZZ_SECONDS" =~ ^[1-9][0-9]*$ ]] || { echo "--fuzz-seconds: a whole number of seconds" >&2; exit 2; }
[[ "$EXPLORE_DEPTH" =~ ^[1-9][0-9]*$ ]] || { echo "--explore-depth: a whole number" >&2; exit 2; }
[ "$cmd" = save ] || [ "$cmd" = compare ] || usage

ROOT=$(pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
TP_DIR="$TARGET_DIR/throughput"
if [ "$cmd" = compare ] && [ "$throughput" = 1 ] && [ ! -s "$TP_DIR/$name.tsv" ]; then
    echo "no throughput baseline $name ($TP_DIR/$name.tsv): run benches/regress.sh save $name --throughput first" >&2
    exit 2
fi

# The gate's tools, only when the instruction benches run.
if [ "$instructions" = 1 ]; then
    command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
    if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $2}')" != "$GUNGRAUN_VERSION" ]; then
        echo "installing gungraun-runner $GUNGRAUN_VERSION" >&2
        cargo install gungraun-runner --version "$GUNGRAUN_VERSION" --locked
    fi
fi

# gungraun's report, condensed to one line per benchmark:
#   <benchmark>  <instructions now>  <baseline>  <change>
summarize() {
    awk '
        /^instructions::/ { name = $1; sub(/^instructions::/, "", name); id = $2; sub(/:.*/, "", id); next }
        /^  Instructions:/ {
            split($2, v, "|"); change = ($3 == "" ? "" : $3)
            printf "%-58s %12s %12s  %s\n", name " " id, v[1], v[2], change
        }
    '
}

# ---- throughput (--throughput) ----

# measure_throughput FILE: one line per figure, tab-separated:
#   <figure>  <value>  <unit>
# Fuzz targets: executions per CPU second (user + system of the fuzzer
# process), so a machine busy with other work changes the figure less than
# a wall-clock rate would. The explorer: states per CPU second and per wall
# second (the first is the comparable one while it runs on one thread).
measure_throughput() {
    local out=$1 fuzz_dir="$TARGET_DIR/fuzz-sanitizer-none" work t log cpu runs status
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
    echo "throughput: building the fuzz targets (no sanitizer) and fedcm (release)" >&2
    # (Explicit checks: the caller may run this where `set -e` is off.)
    # As the fuzz scripts build them: the public suffix list uninstrumented.
    (source fuzz/env.sh && cargo +nightly fuzz build --sanitizer none --target-dir "$fuzz_dir") >&2 || return 1
    cargo build --locked --release --quiet --bin fedcm >&2 || return 1
    work=$(mktemp -d)
    # The settings first: figures measured with others are not comparable.
    printf 'fuzz seconds each\t%s\ts\n' "$FUZZ_SECONDS" >"$out"
    for t in $(cargo +nightly fuzz list); do
        mkdir -p "$work/$t" "fuzz/artifacts/$t"
        log="$work/$t.log"
        echo "throughput: fuzz $t, ${FUZZ_SECONDS}s" >&2
        # New inputs go to $work/$t; the committed seeds are only read.
        # -seed=1: the same mutation sequence from one run to the next.
        cpu=$( { TIMEFORMAT='%U %S'; time "$fuzz_dir/x86_64-unknown-linux-gnu/release/$t" \
            -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$FUZZ_SECONDS" -seed=1 -dict=fuzz/fedcm.dict -rss_limit_mb=2048 \
            -timeout=10 -print_final_stats=1 "$work/$t" "fuzz/corpus/$t" >"$log" 2>&1; } 2>&1 |
            awk '{ print $1 + $2 }') || true
        runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
        if [ -z "$runs" ] || [ -z "$cpu" ]; then
            echo "throughput: fuzz $t printed no final stats; its log:" >&2
            tail -5 "$log" >&2
            rm -rf "$work"
            return 1
        fi
        printf 'fuzz %s\t%s\texec/cpu-s\n' "$t" "$(awk -v r="$runs" -v c="$cpu" 'BEGIN { printf "%.0f", r / (c > 0.001 ? c : 0.001) }')" >>"$out"
    done
    echo "throughput: fedcm explore --depth $EXPLORE_DEPTH" >&2
    log="$work/explore.json"
    status=0
    cpu=$( { TIMEFORMAT='%U %S'; time "$TARGET_DIR/release/fedcm" explore --depth "$EXPLORE_DEPTH" --json \
        >"$log" 2>"$work/explore.err"; } 2>&1 | awk '{ print $1 + $2 }') || status=$?
    local visited seconds
    # The report's own fields by their indentation (two spaces at the top
    # level, four in `stats`), not a counterexample's deeper ones.
    visited=$(grep -E '^    "visited": *[0-9]+' "$log" | grep -oE '[0-9]+' | head -1 || true)
    seconds=$(grep -E '^  "seconds": *[0-9]' "$log" | grep -oE '[0-9][0-9.eE+-]*' | head -1 || true)
    if [ -z "$visited" ] || [ -z "$seconds" ]; then
        echo "throughput: fedcm explore printed no stats (exit $status):" >&2
        tail -5 "$work/explore.err" >&2
        rm -rf "$work"
        return 1
    fi
    grep -qE '^  "counterexamples": *\[\]' "$log" || echo "throughput: note: fedcm explore found a violation" >&2
    awk -v v="$visited" -v c="$cpu" -v s="$seconds" -v d="$EXPLORE_DEPTH" 'BEGIN {
        printf "explore depth %s\t%.0f\tstates/cpu-s\n", d, v / (c > 0.001 ? c : 0.001)
        printf "explore depth %s\t%.0f\tstates/s\n", d, v / (s > 0.001 ? s : 0.001)
        printf "explore depth %s states\t%d\tstates\n", d, v
    }' >>"$out"
    rm -rf "$work"
}

# print_throughput NOW [BASELINE]: the figures, and now/baseline ratios.
# With tp_threshold set, returns 3 when a rate fell below 1 - tp_threshold%.
print_throughput() {
    local now=$1 base=${2:-}
    echo
    if [ -z "$base" ]; then
        printf '%-34s %14s  %s\n' "throughput" "now" "unit"
        awk -F'\t' '{ printf "%-34s %14s  %s\n", $1, $2, $3 }' "$now"
        return 0
    fi
    printf '%-34s %14s %14s %8s  %s\n' "throughput (vs $name)" "now" "$name" "ratio" "unit"
    awk -F'\t' -v limit="${tp_threshold:-}" '
        NR == FNR { base[$1, $3] = $2; next }
        {
            b = base[$1, $3]; ratio = "-"
            if (b != "" && b > 0 && $3 != "s") ratio = sprintf("%.2fx", $2 / b)
            flag = ""
            # Rates are gated; a setting (s) or the state count must match.
            rate = ($3 != "states" && $3 != "s")
            if (limit != "" && rate && b > 0 && $2 / b < 1 - limit / 100) { flag = "  SLOWER"; slow = 1 }
            if (!rate && b != "" && $2 != b) flag = "  (differs from the baseline: its figures are not comparable)"
            printf "%-34s %14s %14s %8s  %s%s\n", $1, $2, (b == "" ? "-" : b), ratio, $3, flag
        }
        END { exit slow ? 3 : 0 }
    ' "$base" "$now"
}

export NO_COLOR=1 CARGO_TERM_COLOR=never
log=$(mktemp)
trap 'rm -f "$log"' EXIT

case "$cmd" in
    save)
        if [ "$instructions" = 1 ]; then
            cargo bench --bench instructions -- --save-baseline="$name" 2>&1 | tee "$log" >/dev/null
            printf '%-58s %12s %12s  %s\n' benchmark instructions previous change
            summarize <"$log"
        fi
        if [ "$criterion" = 1 ]; then
            cargo bench --bench parse -- --save-baseline "$name" --noplot
        fi
        if [ "$throughput" = 1 ]; then
            mkdir -p "$TP_DIR"
            measure_throughput "$TP_DIR/$name.tsv.new"
            mv "$TP_DIR/$name.tsv.new" "$TP_DIR/$name.tsv"
            print_throughput "$TP_DIR/$name.tsv"
            echo "saved throughput baseline $name: $TP_DIR/$name.tsv"
        fi
        echo "saved baseline $name"
        ;;
    compare)
        status=0
        if [ "$instructions" = 1 ]; then
            cargo bench --bench instructions -- --baseline="$name" --callgrind-limits="ir=${threshold}%" 2>&1 \
                | tee "$log" >/dev/null || status=$?
            printf '%-58s %12s %12s  %s\n' benchmark instructions "$name" change
            summarize <"$log"
            sed -n '/^Regressions:/,/^Gungraun result/p' "$log"
            grep '^Gungraun result' "$log" || true
        fi
        if [ "$criterion" = 1 ]; then
            echo
            echo "criterion (wall clock vs $name; informative only):"
            cargo bench --bench parse -- --baseline "$name" --noplot 2>&1 \
                | grep -E '^[a-z_/0-9 ]+time:|^[a-z_]+/[a-z_/0-9]+$|change:|time:' || true
        fi
        if [ "$instructions" = 1 ]; then
            case "$status" in
                0) echo "no benchmark regressed by more than ${threshold}% of instructions vs $name" ;;
                3) echo "REGRESSION: instructions grew by more than ${threshold}% vs $name" >&2 ;;
                *) echo "benchmark run failed (exit $status); see the output above" >&2; cat "$log" >&2 ;;
            esac
        fi
        if [ "$throughput" = 1 ]; then
            now="$TP_DIR/$name.now.tsv"
            mkdir -p "$TP_DIR"
            measure_throughput "$now" || { [ "$status" -ne 0 ] || status=1; }
            if [ -s "$now" ]; then
                tp_status=0
                print_throughput "$now" "$TP_DIR/$name.tsv" || tp_status=$?
                if [ -z "$tp_threshold" ]; then
                    echo "throughput: reported, not gated (--throughput-threshold P% gates it)"
                elif [ "$tp_status" -eq 0 ]; then
                    echo "no throughput figure fell by more than ${tp_threshold}% vs $name"
                else
                    echo "REGRESSION: a throughput figure fell by more than ${tp_threshold}% vs $name" >&2
                    [ "$status" -ne 0 ] || status=3
                fi
            fi
        fi
        exit "$status"
        ;;
    *) usage ;;
esac
