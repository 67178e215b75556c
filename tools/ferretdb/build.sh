#!/usr/bin/env bash
# Builds the app tests' Mongo-protocol server (FerretDB v1 + serialising proxy, see main.go)
# into a cache directory keyed by the hash of go.mod, go.sum and main.go, and prints the
# binary's path on stdout. A second run with the same sources prints the path at once.
#
#   STATEFLEET_CACHE_DIR   cache root (default: ${XDG_CACHE_HOME:-~/.cache}/statefleet)
#
# Needs Go (1.24 or newer) and the Go module proxy (or a warm module cache).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${STATEFLEET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/statefleet}"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
bin="$cache_root/ferretdb-$key/ferretdb"

if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "tools/ferretdb/build.sh: Go is not on the PATH; install Go 1.24+ (https://go.dev/dl/) to build the test server" >&2
    exit 1
  fi
  echo "tools/ferretdb/build.sh: building the FerretDB test server into $bin (first time: about a minute)" >&2
  mkdir -p "$(dirname "$bin")"
  tmp="$bin.tmp.$$"
  # -mod=mod: go.sum pins every module; no vendor directory is kept.
  (cd "$here" && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$tmp" .)
  mv -f "$tmp" "$bin"   # atomic: a concurrent run never sees a half-written binary
fi
echo "$bin"
