#!/usr/bin/env bash
# The throughput table of docs/benchmarks.md, every figure from one run on
# this machine:
#
#   benches/table.sh [--fuzz-seconds S] [--no-fuzz] [--no-instructions]
#
# 1. Instruction counts (gungraun under Callgrind): the sign-in whole path
#    and each document parser over the `typed+urls` floor, and instructions
#    per account at 1,000 and 10,000 accounts.
# 2. `fedcm explore` (release, every core) at depths 8 and 14: distinct
#    states per wall second, and peak RSS per distinct state.
# 3. Every cargo-fuzz target without a sanitizer for S seconds (default
#    60) from its seeds: executions per CPU second, as
#    `benches/regress.sh --throughput` measures them.
#
# Prints a Markdown table. Run it on a quiet machine: parts 2 and 3 are
# rates. Needs python3; part 1 valgrind and gungraun-runner, part 3 the
# nightly toolchain and cargo-fuzz (regress.sh installs the last three).
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=60 fuzz=1 instructions=1
while [ $# -gt 0 ]; do
    case "$1" in
        --fuzz-seconds) fuzz_seconds=${2:-}; shift ;;
        --fuzz-seconds=*) fuzz_seconds=${1#*=} ;;
        --no-fuzz) fuzz=0 ;;
        --no-instructions) instructions=0 ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
        *) echo "table.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$fuzz_seconds" =~ ^[1-9][0-9]*$ ]] || { echo "--fuzz-seconds: a whole number of seconds" >&2; exit 2; }

ROOT=$(pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
export CARGO_TARGET_DIR=$TARGET_DIR NO_COLOR=1 CARGO_TERM_COLOR=never
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$instructions" = 1 ]; then
    echo "table: instruction benches" >&2
    # regress.sh installs the runner gungraun needs; it saves a baseline
    # named `table`, which nothing else reads.
    benches/regress.sh save table --no-criterion >"$work/instructions.txt"
fi

echo "table: fedcm explore at depths 8 and 14" >&2
cargo build --locked --release --quiet --bin fedcm
for depth in 8 14; do
    # Peak RSS of the child, from the kernel's accounting (no `time` needed).
    python3 - "$TARGET_DIR/release/fedcm" "$depth" "$work/explore-$depth.json" <<'EOF'
import json, resource, subprocess, sys
fedcm, depth, out = sys.argv[1:4]
with open(out + ".raw", "w") as f:
    status = subprocess.run([fedcm, "explore", "--depth", depth, "--json"], stdout=f).returncode
report = json.load(open(out + ".raw"))
report["max_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
report["status"] = status
json.dump(report, open(out, "w"))
EOF
done

if [ "$fuzz" = 1 ]; then
    echo "table: every fuzz target for ${fuzz_seconds}s" >&2
    benches/regress.sh save table --throughput-only --fuzz-seconds "$fuzz_seconds" --explore-depth 1 >/dev/null
    cp "$TARGET_DIR/throughput/table.tsv" "$work/fuzz.tsv"
fi

exec python3 - "$TARGET_DIR" "$work" "$instructions" <<'EOF'
import json, os, sys

target, work, measured = sys.argv[1:4]
# `regress.sh save table` writes its counts beside the last `cargo bench`
# run's, as `.out.base@table`: read those, not the older ones.
suffix = ".out.base@table" if measured == "1" else ".out"
grind = os.path.join(target, "gungraun", "fedcm-workbench", "instructions", "grind")

def ir(group, bench, bench_id):
    path = os.path.join(grind, group, f"{bench}.{bench_id}", f"callgrind.{bench}.{bench_id}{suffix}")
    try:
        for line in open(path):
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    except OSError:
        return None

rows = []
def row(what, value, note=""):
    rows.append((what, value, note))

def ratio(model, floor):
    return "-" if model is None or not floor else f"{model / floor:.2f}x"

model, floor = ir("sign_in_group", "sign_in_model", "typical"), ir("sign_in_group", "sign_in_typed_urls", "typical")
row("sign-in whole path / `typed+urls` (instructions)", ratio(model, floor), f"{model:,} / {floor:,}" if model and floor else "")
for doc, gid in [("well_known", "doc_0"), ("config", "doc_1"), ("accounts", "doc_2"),
                 ("client_metadata", "doc_3"), ("assertion", "doc_4")]:
    m, f = ir("document_group", "document_model", gid), ir("document_group", "document_typed_urls", gid)
    row(f"document `{doc}` / `typed+urls`", ratio(m, f), f"{m:,} / {f:,}" if m and f else "")
for i, n in [(3, 1000), (4, 10000)]:
    m = ir("accounts_group", "accounts_model", f"accounts_{i}")
    row(f"accounts step, instructions per account at {n:,}", f"{m / n:,.0f}" if m else "-", "")

for depth in (8, 14):
    try:
        r = json.load(open(os.path.join(work, f"explore-{depth}.json")))
    except OSError:
        continue
    distinct, seconds, rss = r["stats"]["distinct"], r["seconds"], r["max_rss_kb"] * 1024
    verdict = "no violation" if not r["counterexamples"] else f"{len(r['counterexamples'])} counterexamples"
    row(f"explore depth {depth}: distinct states per second", f"{distinct / seconds:,.0f}",
        f"{distinct:,} states in {seconds:.1f} s, {verdict}")
    row(f"explore depth {depth}: peak RSS per distinct state", f"{rss / distinct:.0f} B", f"{rss / 2**20:,.0f} MiB")

try:
    for line in open(os.path.join(work, "fuzz.tsv")):
        name, value, unit = line.rstrip("\n").split("\t")
        if name.startswith("fuzz ") and unit == "exec/cpu-s":
            row(f"fuzz `{name[5:]}`, no sanitizer", f"{int(value):,} exec/CPU-s", "")
except OSError:
    pass

print("| figure | value | detail |")
print("|---|---|---|")
for what, value, note in rows:
    print(f"| {what} | {value} | {note} |")
EOF
