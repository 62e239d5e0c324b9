#!/usr/bin/env bash
# Installs, idempotently, everything the test suite needs beyond the Rust toolchain:
# a Python venv with moto (the DynamoDB/SQS emulator), the official Standard Webhooks
# verifiers, Chromium and Selenium for the portal's browser test, the SAM tool chain (aws-sam-cli, cfn-lint, cargo-lambda, zig) and schemathesis, at the versions
# pinned in tests/requirements.txt.
# Prints the venv's bin directory on its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HOOKLINE_TOOLS_VENV:-$root/.tools/venv}"
# The customer portal's browser test drives Debian's Chromium through its WebDriver (the
# distribution's current security release: Debian replaces old builds, so it is not pinned).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
fi
# Every version is pinned in tests/requirements.txt; a change to it reinstalls.
stamp="$venv/.hookline-tools-$(sha256sum "$root/tests/requirements.txt" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/requirements.txt" >&2
  rm -f "$venv"/.hookline-tools-*
  touch "$stamp"
fi
echo "$venv/bin"
