#!/usr/bin/env bash
# `sam local`, end to end, on a machine with a Docker engine and no container registry:
#   1. a base image for the functions' runtime, made from Debian's packages (debootstrap) and
#      `docker import`ed, since nothing can be pulled; built once, rebuilt when its recipe changes;
#   2. both functions built for this machine (x86_64, debug: the template's Architecture
#      parameter says x86_64; deploys stay arm64) and laid out as `sam build` lays them out
#      (.aws-sam/local: a bootstrap per function, the template pointing at them). `sam build`
#      itself would compile every dependency again for its own target directory; tests/run.sh
#      checks `sam build` on its own (arm64, with cargo-lambda);
#   3. the `sam_local` test: `sam local invoke` of both functions on every event in events/, and
#      `sam local start-api` serving the README walkthrough, with a published event delivered by
#      `sam local invoke DeliverFunction`, against DynamoDB and SQS in moto.
# Prints how long each step takes. Fails, loudly, when no Docker engine answers.
#   tests/sam_local.sh    (tests/run.sh calls it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n==> %s\n' "$*"; }
took() { echo "  took $(( $(date +%s) - $1 ))s"; }

bin="$(bash tests/setup.sh | tail -n 1)"
export PATH="$bin:$PATH"
export HOOKLINE_TEST_PYTHON="$bin/python"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

if ! docker info >/dev/null 2>&1; then
  echo "tests/sam_local.sh: no Docker engine answers ('docker info' failed); sam local needs one" >&2
  exit 1
fi

source "$root/tests/lambda_image.sh"
step "base image"
start=$(date +%s)
image="$(lambda_base_image)"
echo "  $image: $(( $(docker image inspect --format '{{.Size}}' "$image") / 1000000 )) MB"
took "$start"

step "the functions (x86_64, debug), laid out as sam build does"
start=$(date +%s)
# Only the two Lambda packages, so that their features are a deploy's (no SQLite).
cargo build -q -p api -p deliver
out="$root/.aws-sam/local"
rm -rf "$out"
mkdir -p "$out/ApiFunction" "$out/DeliverFunction"
built="${CARGO_TARGET_DIR:-$root/target}/debug"
cp "$built/api" "$out/ApiFunction/bootstrap"
cp "$built/deliver" "$out/DeliverFunction/bootstrap"
# The template with each function's CodeUri pointing at its folder, as in sam build's output.
"$bin/python" - "$root/template.yaml" "$out/template.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
for fn in ("ApiFunction", "DeliverFunction"):
    start = text.index(f"\n  {fn}:\n")
    at = text.index("      CodeUri: .\n", start)
    text = text[:at] + f"      CodeUri: {fn}\n" + text[at + len("      CodeUri: .\n"):]
open(sys.argv[2], "w").write(text)
PY
grep -q "CodeUri: ApiFunction" "$out/template.yaml" && grep -q "CodeUri: DeliverFunction" "$out/template.yaml" \
  || { echo "tests/sam_local.sh: could not point the template at the built functions" >&2; exit 1; }
took "$start"

# SAM runs the functions on Docker's default bridge (its `--docker-network host` still leaves
# them there), so what they call must listen on the bridge's address on this machine: moto, and
# the tests' webhook receivers.
host="$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 || true)"
if [ -z "$host" ]; then  # no iproute2: ask the kernel directly (SIOCGIFADDR)
  host="$("$bin/python" -c 'import fcntl, socket, struct; s = socket.socket(); print(socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", b"docker0"))[20:24]))' 2>/dev/null || true)"
fi
[ -n "$host" ] || { echo "tests/sam_local.sh: no docker0 bridge address found" >&2; exit 1; }
step "AWS emulator (moto) on $host, where the containers reach it"
port="$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("'"$host"'",0)); print(s.getsockname()[1])')"
"$bin/moto_server" -H "$host" -p "$port" >"${TMPDIR:-/tmp}/hookline-moto-sam.log" 2>&1 &
moto_pid=$!
# Containers SAM keeps warm go too, even when a test fails before stopping `start-api`.
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  docker ps -aq --filter "ancestor=${image%%:*}:rapid-x86_64" | xargs -r docker rm -f >/dev/null
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  "$bin/python" -c "import socket; socket.create_connection(('$host', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done
export HOOKLINE_TEST_AWS_ENDPOINT="http://$host:$port" HOOKLINE_TEST_RECEIVER_HOST="$host"

step "sam local invoke and start-api (tests/sam_local/main.rs)"
start=$(date +%s)
HOOKLINE_SAM_TEMPLATE="$root/.aws-sam/local/template.yaml" HOOKLINE_SAM_IMAGE="$image" \
  cargo test -q -p hookline-tests --test sam_local -- --nocapture --test-threads=1
took "$start"
