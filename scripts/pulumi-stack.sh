#!/usr/bin/env bash
# Runs any pulumi command on one stack of this project WITHOUT ever writing to the committed
# Pulumi.<stack>.yaml, so the file an operator edits (and its comments) stays exactly as committed
# and `git status` stays clean.
#
#   scripts/pulumi-stack.sh <stack> <pulumi command> [args…]
#   e.g. scripts/pulumi-stack.sh dev up
#        scripts/pulumi-stack.sh dev stack output --json
#        scripts/pulumi-stack.sh aks preview --diff
#
# Why: `pulumi stack init` and the first `pulumi up` write the stack's secrets settings
# (`secretsprovider`, `encryptionsalt` or `encryptedkey`) into Pulumi.<stack>.yaml and reformat the
# whole file while doing it (header comments dropped, flow maps reflowed). So:
#   1. a missing stack is created from a scratch directory holding only a copy of Pulumi.yaml, so
#      `stack init` writes its stack file there (the backend keeps the secrets settings in the
#      stack's state as well);
#   2. every command that reads stack config gets `--config-file` pointing at a working copy
#      (.pulumi-work/Pulumi.<stack>.yaml, git-ignored), made afresh from the committed file on every
#      run; with PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true the engine takes the secrets settings
#      from the stack's state and writes them into that working copy, never into the committed file.
# docs/operations.md walks through it for `dev` and `aks`.
#
# Environment:
#   PULUMI_BACKEND_URL              the state backend; for `dev` it defaults to file://<repo>/.pulumi-state
#   PULUMI_CONFIG_PASSPHRASE(_FILE) the passphrase, when the stack uses the passphrase secrets provider
#   STATEFLEET_SECRETS_PROVIDER     secrets provider for a stack this script creates (dev: passphrase;
#                                   other stacks: required, e.g. azurekeyvault://<vault>.vault.azure.net/keys/<key>)
#   STATEFLEET_WORK_DIR             where working copies go (default <repo>/.pulumi-work)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { echo "usage: scripts/pulumi-stack.sh <stack> <pulumi command> [args…]   (e.g. dev up, dev stack output --json)" >&2; exit 2; }
[ $# -ge 2 ] || usage
stack=$1; shift
[[ "$stack" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "stack name '$stack': use letters, digits, '-', '_' or '.'" >&2; exit 2; }
committed="$root/Pulumi.$stack.yaml"
[ -f "$committed" ] || { echo "no Pulumi.$stack.yaml in $root: the stacks of this project are $(ls Pulumi.*.yaml | sed -E 's/Pulumi\.(.*)\.yaml/\1/' | tr '\n' ' ')" >&2; exit 2; }

for a in "$@"; do
  case "$a" in
    --stack|--stack=*|-s) echo "do not pass --stack: this script runs on stack '$stack' (scripts/pulumi-stack.sh <stack> …)" >&2; exit 2 ;;
    --config-file|--config-file=*) echo "do not pass --config-file: this script points pulumi at a working copy of Pulumi.$stack.yaml" >&2; exit 2 ;;
  esac
done

# `config set` & co. would write into the working copy, which is rebuilt from the committed file
# on the next run: the change would vanish. The committed file is the one place to edit.
if [ "$1" = "config" ] && [ $# -ge 2 ]; then
  case "$2" in
    set|set-all|rm|rm-all|cp|refresh|env)
      echo "pulumi config $2 would write to a throw-away copy: edit Pulumi.$stack.yaml instead (every key: docs/config.md)." >&2
      echo "This project keeps no secret values in stack config; its passwords are generated (@pulumi/random) and kept in the state." >&2
      exit 2 ;;
  esac
fi

command -v pulumi >/dev/null 2>&1 || { echo "missing on PATH: pulumi (see README.md, Prerequisites)" >&2; exit 1; }

if [ "$stack" = "dev" ]; then
  export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$root/.pulumi-state}
  case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
  provider=${STATEFLEET_SECRETS_PROVIDER:-passphrase}
else
  provider=${STATEFLEET_SECRETS_PROVIDER:-}
fi
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true
export PULUMI_SKIP_UPDATE_CHECK=${PULUMI_SKIP_UPDATE_CHECK:-true}
if [ "$provider" = "passphrase" ] || [ -z "$provider" ]; then
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    echo "note: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to skip the passphrase prompt" >&2
  fi
fi

work=${STATEFLEET_WORK_DIR:-$root/.pulumi-work}
mkdir -p "$work"
workfile="$work/Pulumi.$stack.yaml"

# 1. Create the stack in the backend if it is not there yet, from a scratch project directory.
if ! pulumi stack ls --json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const name = process.argv[1];
    const stacks = JSON.parse(s || "[]");
    process.exit(stacks.some((x) => x.name === name || x.name.endsWith("/" + name)) ? 0 : 1);
  });' "$stack"; then
  if [ -z "$provider" ]; then
    echo "stack '$stack' does not exist in backend ${PULUMI_BACKEND_URL:-(your pulumi login)} yet." >&2
    echo "Choose how its secrets are encrypted and run again, e.g.:" >&2
    echo "  export STATEFLEET_SECRETS_PROVIDER='azurekeyvault://<vault>.vault.azure.net/keys/<key>'   # or: passphrase" >&2
    exit 1
  fi
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp "$root/Pulumi.yaml" "$scratch/Pulumi.yaml"
  echo "creating stack '$stack' (secrets provider: $provider); Pulumi.$stack.yaml is not touched" >&2
  (cd "$scratch" && pulumi stack init "$stack" --secrets-provider "$provider" --no-select --non-interactive)
  rm -rf "$scratch"; trap - EXIT
fi

# 2. A fresh working copy of the committed stack file for this run.
cp "$committed" "$workfile"

case "$1" in
  up|update|preview|pre|destroy|down|refresh|import|watch|logs|config)
    exec pulumi "$@" --stack "$stack" --config-file "$workfile" ;;
  *)
    exec pulumi "$@" --stack "$stack" ;;
esac
