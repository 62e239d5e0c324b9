#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (idempotently), starts
# the AWS emulator (moto), then runs formatting and lint checks, every Rust test (unit,
# integration on SQLite and on DynamoDB/SQS in moto, Lambda events), the SAM template checks,
# and `sam local` in containers (tests/sam_local.sh; it needs the Docker engine).
#   tests/run.sh           everything
#   tests/run.sh --quick   skip `sam build` and `sam local` (they take minutes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=false
[ "${1:-}" = "--quick" ] && quick=true

# Each step prints when it starts and how long the one before it took, so a slow CI run shows
# where its minutes went.
suite_start=$(date +%s)
step_start=$suite_start
step() {
  local now
  now=$(date +%s)
  [ "$now" = "$suite_start" ] || echo "  (step took $(( now - step_start ))s)"
  step_start=$now
  printf '\n==> [%ss] %s\n' "$(( now - suite_start ))" "$*"
}

step "tools (Python venv: moto, standardwebhooks, svix, aws-sam-cli, cfn-lint, cargo-lambda, zig)"
bin="$(bash tests/setup.sh | tail -n 1)"
export PATH="$bin:$PATH"
export HOOKLINE_TEST_PYTHON="$bin/python"
export SAM_CLI_TELEMETRY=0
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
if [ "$quick" = false ]; then
  if ! rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$'; then
    echo "adding the aarch64-unknown-linux-gnu target to your rustup toolchain (sam build cross-compiles the functions to arm64)"
    rustup target add aarch64-unknown-linux-gnu
  fi
fi

step "AWS emulator (moto)"
port="$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin/moto_server" -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/hookline-moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done
"$bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5)" \
  || { echo "moto did not start; see ${TMPDIR:-/tmp}/hookline-moto.log" >&2; exit 1; }
export HOOKLINE_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
echo "moto at $HOOKLINE_TEST_AWS_ENDPOINT"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p hookline-tests --test sam_local -- -D warnings
# The delivery function alone builds the library without its `api` feature: it must compile
# so, and link no HTTP stack.
cargo clippy -p deliver -- -D warnings
if cargo tree -p deliver -e normal | grep -E '(axum|utoipa|jsonwebtoken) v'; then
  echo "the delivery function links the HTTP stack above (see ARCHITECTURE.md §11)" >&2
  exit 1
fi
# The Lambda functions read AWS credentials from the environment and link neither the
# standard credential chain nor the SDK's own HTTP client, and JSON Schemas are checked by
# Hookline's own validator (docs/benchmarks.md, their size); the operators' `hookline`
# command with `--features aws` adds the chain, and must compile so.
if cargo tree -p api -p deliver -e normal | grep -E ' (aws-config|aws-smithy-http-client|h2|jsonschema|fancy-regex|regex) v'; then
  echo "a Lambda function links the crates above (see ARCHITECTURE.md §5)" >&2
  exit 1
fi
cargo clippy -p hookline-cli --features aws -- -D warnings

step "cargo build (every target: the serve test and the benchmark run the hookline binary)"
cargo build --workspace --all-targets

step "API fuzzing against openapi.json (schemathesis, tests/fuzz.sh)"
tests/fuzz.sh

step "Python SDK current with openapi.json (clients/python/generate.sh --check)"
HOOKLINE_TOOLS_BIN="$bin" clients/python/generate.sh --check

step "cargo test (unit, integration on SQLite and moto, Lambda events)"
# Most tests wait (on moto, a receiver, a browser) rather than compute: six at a time keep
# two cores busy (the integration tests took 248 s with two at a time, 179 s with six, on
# 2026-12-04).
RUST_TEST_THREADS="${RUST_TEST_THREADS:-6}" cargo test --workspace --all-targets 2>&1 \
  | tee "${TMPDIR:-/tmp}/hookline-test.log"

if [ -f template.yaml ]; then
  step "cfn-lint"
  cfn-lint template.yaml
  step "sam validate --lint"
  AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" sam validate --lint --template template.yaml
  if [ "$quick" = false ]; then
    # The check that the template cross-compiles both functions for arm64 with cargo-lambda;
    # deploys build with the release profile as it is (fat LTO, optimised). This build is a
    # compile-and-link check (sam local runs x86_64 debug builds), so it skips optimisation
    # and LTO (cold, it took 170 s on a 2-core machine on 2026-12-03).
    step "sam build (cargo-lambda, arm64; release profile unoptimised, without LTO)"
    start=$(date +%s)
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
      AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" sam build --template template.yaml
    echo "sam build took $(( $(date +%s) - start ))s"
    for fn in ApiFunction DeliverFunction; do
      f=".aws-sam/build/$fn/bootstrap"
      [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }
      file "$f" | grep -q 'ARM aarch64' || { echo "$f is not an arm64 binary: $(file "$f")" >&2; exit 1; }
      echo "$fn bootstrap: $(stat -c %s "$f") bytes stripped, $(gzip -9c "$f" | wc -c) bytes compressed (unoptimised: not the deploy size)"
    done
  fi
fi
if [ "$quick" = false ]; then
  step "sam local (tests/sam_local.sh)"
  start=$(date +%s)
  tests/sam_local.sh
  echo "sam local took $(( $(date +%s) - start ))s"
fi
step "all checks passed in $(( $(date +%s) - suite_start ))s"
