#!/usr/bin/env bash
# Benchmark baselines and the regression check.
#
#   benches/regress.sh save NAME                  record baseline NAME
#   benches/regress.sh compare NAME [THRESHOLD%]  compare the tree with NAME
#
# The gate is the instruction count under Callgrind (gungraun,
# benches/instructions.rs): identical run to run, so THRESHOLD (default 1%)
# can be tight. `compare` prints every benchmark's change and exits 3 when
# one has more instructions than the baseline by more than THRESHOLD.
# Criterion (benches/parse.rs) is run beside it with the same baseline name
# as the human view of wall-clock time (noisy here: ~20% run to run; never a
# gate); pass --no-criterion to skip it.
#
# Needs valgrind and gungraun-runner at the gungraun crate's version
# (installed here when absent). Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

# The runner must match the gungraun library exactly: its version as
# Cargo.lock pins it.
GUNGRAUN_VERSION=$(awk '$0 == "name = \"gungraun\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

criterion=1
args=()
for a in "$@"; do
    case "$a" in
        --no-criterion) criterion=0 ;;
        -h | --help) usage ;;
        *) args+=("$a") ;;
    esac
done
[ "${#args[@]}" -ge 2 ] || usage
cmd=${args[0]}
name=${args[1]}
threshold=${args[2]:-1%}
threshold=${threshold%\%}
[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "baseline name: letters, digits, _ . - only" >&2; exit 2; }
[[ "$threshold" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "threshold: a percentage such as 1% or 0.5" >&2; exit 2; }

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $2}')" != "$GUNGRAUN_VERSION" ]; then
    echo "installing gungraun-runner $GUNGRAUN_VERSION" >&2
    cargo install gungraun-runner --version "$GUNGRAUN_VERSION" --locked
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

export NO_COLOR=1 CARGO_TERM_COLOR=never
log=$(mktemp)
trap 'rm -f "$log"' EXIT

case "$cmd" in
    save)
        cargo bench --bench instructions -- --save-baseline="$name" 2>&1 | tee "$log" >/dev/null
        printf '%-58s %12s %12s  %s\n' benchmark instructions previous change
        summarize <"$log"
        if [ "$criterion" = 1 ]; then
            cargo bench --bench parse -- --save-baseline "$name" --noplot
        fi
        echo "saved baseline $name"
        ;;
    compare)
        status=0
        cargo bench --bench instructions -- --baseline="$name" --callgrind-limits="ir=${threshold}%" 2>&1 \
            | tee "$log" >/dev/null || status=$?
        printf '%-58s %12s %12s  %s\n' benchmark instructions "$name" change
        summarize <"$log"
        sed -n '/^Regressions:/,/^Gungraun result/p' "$log"
        grep '^Gungraun result' "$log" || true
        if [ "$criterion" = 1 ]; then
            echo
            echo "criterion (wall clock vs $name; informative only):"
            cargo bench --bench parse -- --baseline "$name" --noplot 2>&1 \
                | grep -E '^[a-z_/0-9 ]+time:|^[a-z_]+/[a-z_/0-9]+$|change:|time:' || true
        fi
        case "$status" in
            0) echo "no benchmark regressed by more than ${threshold}% of instructions vs $name" ;;
            3) echo "REGRESSION: instructions grew by more than ${threshold}% vs $name" >&2 ;;
            *) echo "benchmark run failed (exit $status); see the output above" >&2; cat "$log" >&2 ;;
        esac
        exit "$status"
        ;;
    *) usage ;;
esac
