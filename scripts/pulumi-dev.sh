#!/usr/bin/env bash
# The `dev` stack's pulumi: a local file state backend (.pulumi-state/) and the passphrase secrets
# provider, so a laptop needs no Pulumi Cloud account; the committed Pulumi.dev.yaml is never
# rewritten (scripts/pulumi-stack.sh says how). Any pulumi command passes through:
#   scripts/pulumi-dev.sh up | preview | destroy | refresh | stack output --json | …
# (npm run up / preview / destroy, and `npm run pulumi -- <anything>`.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/pulumi-dev.sh <pulumi command> [args…]   (e.g. up, preview, stack output --json)" >&2; exit 2; }

# up/destroy/refresh run k3d and docker on this machine (the cluster and its registry are local);
# preview and read-only commands do not.
case "$1" in
  up|update|destroy|down|refresh)
    missing=()
    for tool in node docker k3d; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "missing on PATH: ${missing[*]} (see README.md, Prerequisites)" >&2
      exit 1
    fi
    if ! docker info >/dev/null 2>&1; then
      echo "docker is installed but its engine is not running" >&2
      exit 1
    fi ;;
esac
exec scripts/pulumi-stack.sh dev "$@"
