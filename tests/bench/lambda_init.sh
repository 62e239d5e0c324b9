#!/usr/bin/env bash
# The Lambda functions' init time at a memory setting's CPU share (issue 29's target: 25 ms
# at 256 MB), on this machine's Docker engine: both functions built as deployed (release, no
# SQLite), for this machine's architecture (arm64 deploys cannot run here at native speed),
# each started several times in the base image of tests/sam_local.sh, with a stand-in for
# Lambda's Runtime API that takes the time of the first request for work
# (tests/bench/lambda_init.py says how).
#   tests/bench/lambda_init.sh [MEMORY_MB]      (default 256)
#   HOOKLINE_INIT_BIN_DIR=DIR                    the api and deliver binaries in DIR instead
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bin="$(bash tests/setup.sh | tail -n 1)"
docker info >/dev/null 2>&1 || { echo "tests/bench/lambda_init.sh: no Docker engine answers" >&2; exit 1; }
source tests/lambda_image.sh
image="$(lambda_base_image)"
dir="${HOOKLINE_INIT_BIN_DIR:-}"
if [ -z "$dir" ]; then
  cargo build -q --release -p api -p deliver
  dir="${CARGO_TARGET_DIR:-$root/target}/release"
fi
"$bin/python" tests/bench/lambda_init.py --image "$image" --memory-mb "${1:-256}" \
  "api=$dir/api" "deliver=$dir/deliver"
