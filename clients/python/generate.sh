#!/usr/bin/env bash
# Makes hookline/generated again from the API's contract (openapi.json at the repository's
# root), with the generator and formatter pinned in tests/requirements.txt.
#   generate.sh            regenerate in place
#   generate.sh --check    fail, showing the difference, when hookline/generated is not what
#                          the contract makes (the test command runs this)
#   --spec PATH            another contract (the freshness check's own test uses it)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${HOOKLINE_TOOLS_BIN:-$root/.tools/venv/bin}"
spec="$root/openapi.json" check=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --spec) spec="$2"; shift ;;
    *) echo "usage: generate.sh [--check] [--spec PATH]" >&2; exit 2 ;;
  esac
  shift
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# The formatter runs as a post hook; it must be the pinned one.
(cd "$out" && PATH="$bin:$PATH" "$bin/openapi-python-client" generate --path "$spec" \
  --config "$here/generator.yml" --meta none --output-path "$out/generated" >/dev/null)
# The formatter's cache is not part of the client.
rm -rf "$out/generated/.ruff_cache"
if [ -n "$check" ]; then
  if ! diff -ru --exclude=__pycache__ "$here/hookline/generated" "$out/generated"; then
    echo "clients/python/hookline/generated is not what openapi.json makes: run clients/python/generate.sh" >&2
    exit 1
  fi
  echo "clients/python/hookline/generated is current"
else
  rm -rf "$here/hookline/generated"
  cp -r "$out/generated" "$here/hookline/generated"
fi
