#!/usr/bin/env bash
# Instructions per API invocation of the cost benchmark (a batch publish of ten 1 KB events,
# `a10 1KB full`), counted by valgrind's callgrind: a steadier measure than the benchmark's CPU
# time, whose runs on this project's VMs spread by 10 to 25 % (and the VMs have no hardware
# counters for `perf stat`). Only the API's invocations are counted (from the API Gateway event's
# bytes to the response, within the router's own task: the HTTP connections' tasks, which
# write the AWS calls and read their answers, are not counted), less the SDK's reads that reload
# the caches: their number depends on wall time, which valgrind stretches.
#   tests/bench/api_instructions.sh [EVENTS]     (default 200: twenty invocations)
#   HOOKLINE_BENCH_COST_BIN=PATH                 another build of the cost benchmark, with symbols
# Two things valgrind counts unlike the CPU: it hides SHA-NI, so SigV4's hashing runs the
# portable SHA-256 (about a quarter of the count), and it counts `rep stosb` once per byte
# (zlib-rs clears its tables with it). Compare builds by this count, not with CPU figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
events="${1:-200}"
command -v valgrind >/dev/null || { echo "api_instructions.sh: valgrind is not installed" >&2; exit 1; }
bench="${HOOKLINE_BENCH_COST_BIN:-}"
if [ -z "$bench" ]; then
  # The release profile with its symbols and without LTO (function names for the toggles).
  export CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  export CARGO_TARGET_DIR="${HOOKLINE_PROFILE_TARGET_DIR:-$root/target/profile}"
  bench="$(cargo bench -q -p hookline-tests --bench cost --no-run 2>&1 |
    grep -o "$CARGO_TARGET_DIR/release/deps/cost-[0-9a-f]*" | tail -n 1)"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
HOOKLINE_BENCH_ONLY="a10 1KB full" HOOKLINE_BENCH_EVENTS="$events" \
  valgrind --tool=callgrind --separate-threads=yes --collect-atstart=no \
  --toggle-collect='<lambda_http::TransformResponse*' --toggle-collect='lambda_http::deserializer::*' \
  --callgrind-out-file="$out/cg" "$bench" --bench >"$out/log" 2>&1 ||
  { cat "$out/log" >&2; exit 1; }
# The handlers' thread is the one that collected the most.
counted="$(ls -S "$out"/cg-* | head -n 1)"
callgrind_annotate --inclusive=yes --threshold=100 "$counted" 2>/dev/null >"$out/incl"
python3 - "$out/incl" "$events" <<'EOF'
import re, sys
total, sdk = 0, {}
for line in open(sys.argv[1]):
    m = re.match(r"\s*([\d,]+) \(", line)
    if not m:
        continue
    n = int(m.group(1).replace(",", ""))
    if "PROGRAM TOTALS" in line:
        total = n
    for call in ("GetItemFluentBuilder::send", "QueryPaginator::send"):
        if call in line:
            sdk[call] = max(sdk.get(call, 0), n)
calls = int(sys.argv[2]) // 10
reads = sum(sdk.values())
print(f"API batch publish (a10 1KB full, {calls} invocations): "
      f"{(total - reads) / calls / 1e6:.3f} M instructions each "
      f"(the caches' SDK reads left out: {reads / calls / 1e6:.3f} M each)")
EOF
