# The base image the Lambda functions run on here, made from Debian's packages (debootstrap)
# and `docker import`ed, since no registry can be pulled from. Sourced by tests/sam_local.sh
# and tests/bench/lambda_init.sh; `lambda_base_image` builds the image once (again when its
# recipe below changes) and prints its name.

# The machine's own Debian mirror, as its apt sources name it (deb822 `URIs:` lines or one-line
# `deb` entries; the first that serves the main archive, not `-security`), so that this script
# names no package host of its own.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' | grep -v -- '-security' | grep '/debian/\?$' | head -n 1)
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
    | grep -v -- '-security' | grep '/debian/\?$' | head -n 1)
  [ -n "$uri" ] || { echo "tests/sam_local.sh: no Debian mirror in the apt sources" >&2; return 1; }
  echo "$uri"
}

# The base image: a minimal Debian (glibc, CA certificates, a shell for SAM's image build
# step) with the environment the Lambda runtime sets. SAM adds its runtime interface emulator
# (shipped inside aws-sam-cli) and the function's code on top.
build_image() {
  local dir="$1"
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; } >&2
  debootstrap --variant=minbase --include=ca-certificates bookworm "$dir" "$(debian_mirror)" >&2
  rm -rf "$dir"/usr/share/{doc,man,info,locale} "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
    --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change 'WORKDIR /var/task' \
    - "$2" >&2
}
# Prints the image's name, building it first when this recipe has not been built yet.
lambda_base_image() {
  local image work
  image="hookline-lambda-base:$(declare -f build_image | sha256sum | cut -c1-12)"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    work="$(mktemp -d)"
    build_image "$work/rootfs" "$image"
    rm -rf "$work"
  fi
  echo "$image"
}
