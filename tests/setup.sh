#!/usr/bin/env bash
# Installs, idempotently, everything the test suite needs beyond the Rust toolchain:
# a Python venv with moto (the DynamoDB/SQS emulator), the official Standard Webhooks
# verifiers, and the SAM tool chain (aws-sam-cli, cfn-lint, cargo-lambda, zig).
# Prints the venv's bin directory on its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HOOKLINE_TOOLS_VENV:-$root/.tools/venv}"
stamp="$venv/.hookline-tools-v1"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[server]>=5' standardwebhooks svix \
    aws-sam-cli cfn-lint cargo-lambda ziglang >&2
  touch "$stamp"
fi
echo "$venv/bin"
