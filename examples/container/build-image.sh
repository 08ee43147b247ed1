#!/bin/sh
# Builds a local container image for corral agents without a registry:
# it assembles a root filesystem from busybox-static, the example agents
# and any extra files, and imports it with `podman import`.
#
#   build-image.sh IMAGE AGENT_BINARY [FILE...]
#
# IMAGE         name to import as, e.g. localhost/corral-echo:latest
# AGENT_BINARY  the statically linked C agent (built as corral-container-agent)
# FILE...       more files for /agents, e.g. test scripts
#
# The image runs /agents/echo.sh by default; a spawn picks another program
# with its agent_type, e.g. "/agents/agent". ENGINE selects the engine
# binary (default podman) and BUSYBOX the static busybox (default
# /bin/busybox from Debian's busybox-static).
#
# With a registry, no script is needed: `podman pull docker.io/library/busybox`
# and spawn with that image and an agent_type such as
# "/bin/sh -c 'echo {\"type\":\"ready\"}; cat >/dev/null'", or build an image
# FROM it that copies an agent in (see docs/container-protocol.md).
set -eu

if [ $# -lt 2 ]; then
  echo "usage: build-image.sh IMAGE AGENT_BINARY [FILE...]" >&2
  exit 2
fi
image=$1
agent=$2
shift 2
engine=${ENGINE:-podman}
busybox=${BUSYBOX:-/bin/busybox}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$busybox" ]; then
  echo "build-image.sh: $busybox is missing; install busybox-static" >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/agents" "$root/tmp" "$root/proc" "$root/sys" \
  "$root/dev" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in sh cat echo sleep sed printf head tr ls env; do
  ln -s busybox "$root/bin/$applet"
done
cp "$here/echo.sh" "$root/agents/echo.sh"
cp "$agent" "$root/agents/agent"
for file in "$@"; do
  cp "$file" "$root/agents/"
done
chmod 755 "$root"/agents/*

tar -C "$root" -cf "$root.tar" .
trap 'rm -rf "$root" "$root.tar"' EXIT
"$engine" import --change 'CMD ["/bin/sh", "/agents/echo.sh"]' \
  --change 'ENV PATH=/bin' "$root.tar" "$image" >/dev/null
echo "build-image.sh: imported $image"
