#!/usr/bin/env bash
# The table of ratios from the last runs of both benchmarks:
#
#   cargo bench --bench parse           # criterion: wall-clock medians
#   cargo bench --bench instructions    # gungraun: instruction counts
#   benches/ratios.sh                   # prints a Markdown table
#
# For each group, the model's median time over the reference points
# measured in the same run on the same bytes (serde_json::Value, the bare
# typed parse, the typed parse plus the URL parsing the spec requires, the
# copy), and the same ratios in instructions. Needs
# python3. Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
exec python3 - "$target" <<'EOF'
import json, os, re, sys

target = sys.argv[1]
crit = os.path.join(target, "criterion")
grind = os.path.join(target, "gungraun", "fedcm-workbench", "instructions", "grind")

def median(path):
    try:
        with open(os.path.join(crit, path, "new", "estimates.json")) as f:
            return json.load(f)["median"]["point_estimate"]
    except OSError:
        return None

def instructions(group, bench, bench_id):
    d = os.path.join(grind, group, f"{bench}.{bench_id}")
    try:
        with open(os.path.join(d, f"callgrind.{bench}.{bench_id}.out")) as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    return int(line.split()[1])
    except OSError:
        return None

def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

# (row label, criterion path prefix, gungraun group, gungraun bench prefix, gungraun id)
rows = [("sign-in, whole path (1 account)", "sign_in", "sign_in_group", "sign_in", "typical")]
for doc, gid in [("well_known", "doc_0"), ("config", "doc_1"), ("accounts", "doc_2"),
                 ("client_metadata", "doc_3"), ("assertion", "doc_4")]:
    rows.append((f"document: {doc}", f"document_{doc}", "document_group", "document", gid))
rows.append(("well-known + config step", "manifests", "manifests_group", "manifests", "typical"))
for i, n in enumerate([1, 10, 100, 1000, 10000]):
    rows.append((f"accounts step, {n} accounts", f"accounts_scaling/{{}}/{n}", "accounts_group", "accounts", f"accounts_{i}"))

print("| benchmark | median time | / Value | / typed | / typed+urls | / copy | instructions | Ir / Value | Ir / typed | Ir / typed+urls |")
print("|---|---|---|---|---|---|---|---|---|---|")
for label, path, group, bench, bid in rows:
    def t(kind):
        return median(path.format(kind) if "{}" in path else f"{path}/{kind}")
    def ir(kind):
        return instructions(group, f"{bench}_{kind}", bid)
    m, v, ty, tu, c = t("model"), t("value"), t("typed"), t("typed_urls"), t("copy")
    im, iv, ity, itu = ir("model"), ir("value"), ir("typed"), ir("typed_urls")
    count = f"{im:,}" if im is not None else "-"
    print(f"| {label} | {fmt_time(m)} | {ratio(m, v)} | {ratio(m, ty)} | {ratio(m, tu)} | {ratio(m, c)} | "
          f"{count} | {ratio(im, iv)} | {ratio(im, ity)} | {ratio(im, itu)} |")

print()
print("| accounts | model time | time per account | instructions per account |")
print("|---|---|---|---|")
for i, n in enumerate([1, 10, 100, 1000, 10000]):
    m = median(f"accounts_scaling/model/{n}")
    im = instructions("accounts_group", "accounts_model", f"accounts_{i}")
    print(f"| {n:,} | {fmt_time(m)} | {fmt_time(m / n if m else None)} | "
          f"{(f'{im / n:,.0f}' if im else '-')} |")

explore = os.path.join(crit, "explore")
if os.path.isdir(explore):
    for name in sorted(os.listdir(explore)):
        m = median(f"explore/{name}")
        try:
            with open(os.path.join(explore, name, "new", "benchmark.json")) as f:
                elements = json.load(f)["throughput"]["Elements"]
        except (OSError, KeyError, TypeError):
            elements = None
        if m and elements:
            print(f"\nmodel checker ({name}): {elements:,} states in {fmt_time(m)}: "
                  f"{elements / (m / 1e9):,.0f} states/s")
EOF
