#!/usr/bin/env bash
# Makes localhost/node-base:24, the stand-in for node:24-bookworm-slim on machines that cannot pull images: a minimal
# Debian bookworm with the pinned Node 24 and its npm (tools/node24.sh, from the npm registry) in /usr/local as in the
# official image, this machine's CA trust store (npm needs it to reach the registry here) and user node (uid/gid
# 1000) like the official image. Skips the work when the image exists with that Node; a new pin remakes it.
set -euo pipefail
image=${NODE_BASE_IMAGE:-localhost/node-base:24}
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

node=$(bash "$here/../node24.sh")
version=$("$node/bin/node" --version)
label=io.github.shaservice.node-version
if podman image exists "$image" &&
  [ "$(podman image inspect --format "{{index .Config.Labels \"$label\"}}" "$image")" = "$version" ]; then
  exit 0
fi

root=$(mktemp -d /tmp/node-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" >/dev/null

cp -a "$node/." "$root/usr/local/"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
[ "$(chroot "$root" /usr/local/bin/node --version)" = "$version" ]

tar -C "$root" -c . | podman import \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL $label=$version" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
