#!/usr/bin/env bash
# Runs a pulumi command on the dev stack with a local state backend and the passphrase secrets
# provider, so a laptop needs no Pulumi Cloud account. Usage: scripts/pulumi-dev.sh up|preview|destroy [args…]
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?usage: scripts/pulumi-dev.sh up|preview|destroy [pulumi args…]}; shift

missing=()
for tool in pulumi node; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "$cmd" != "preview" ]; then
  for tool in docker k3d; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing on PATH: ${missing[*]} (see README.md, Prerequisites)" >&2
  exit 1
fi
if [ "$cmd" != "preview" ] && ! docker info >/dev/null 2>&1; then
  echo "docker is installed but its engine is not running" >&2
  exit 1
fi

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}
mkdir -p .pulumi-state
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  echo "note: set PULUMI_CONFIG_PASSPHRASE (or _FILE) to skip the passphrase prompt" >&2
fi
pulumi stack select dev 2>/dev/null || pulumi stack init dev --secrets-provider passphrase
exec pulumi "$cmd" --stack dev "$@"
