#!/usr/bin/env bash
# The API fuzzed against its own contract: schemathesis generates requests from openapi.json
# (its examples, boundary values, random inputs, and sequences) against a fresh `hookline serve`
# and checks that no answer is a 5xx, every status code and content type is one the contract
# lists, and every body matches its schema. Prints how many requests ran; fails on any failure.
#   tests/fuzz.sh    (tests/run.sh calls it after building; it needs target/debug/hookline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="$(bash tests/setup.sh | tail -n 1)"
hookline="${CARGO_TARGET_DIR:-$root/target}/debug/hookline"
[ -x "$hookline" ] || { echo "tests/fuzz.sh: build $hookline first (cargo build -p hookline-cli)" >&2; exit 1; }

data="$(mktemp -d)"
port="$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
key="hl_fuzz_key_$(date +%s)_0000000000"
# Rate limits off: about 1,200 requests come from one key within a minute.
HOOKLINE_DATA_DIR="$data" HOOKLINE_LISTEN="127.0.0.1:$port" HOOKLINE_LOCAL_API_KEY="$key" \
  HOOKLINE_RATE_LIMIT_PER_MINUTE=0 HOOKLINE_RATE_LIMIT_PATCH_PER_MINUTE=0 RUST_LOG=warn "$hookline" serve >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

# From the scratch directory: schemathesis keeps its example cache in the working directory.
(cd "$data" && "$bin/st" run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --header "Authorization: Bearer $key" \
  --max-examples 25 --generation-deterministic --no-color) 2>&1 | tee "$data/st.log" | tail -n 25
# schemathesis exits non-zero on a failure; say so plainly, with the server's log.
if ! grep -q ' passed' "$data/st.log" || grep -qE '[0-9]+ failed' "$data/st.log"; then
  echo "tests/fuzz.sh: schemathesis found failures (server log: $data/serve.log)" >&2
  trap - EXIT; kill $server 2>/dev/null || true
  exit 1
fi
