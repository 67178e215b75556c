#!/usr/bin/env bash
# The check between the mocks and a real cluster: a REAL `pulumi preview` of the `dev` stack with
# the real Pulumi CLI, Node.js language host and providers (command, kubernetes, random,
# docker-build), run exactly the way a user runs it (`npm run preview`, i.e. scripts/pulumi-dev.sh)
# in a fresh clone of this checkout. It fails when
#   - the preview fails, or prints any `warning:` or `error:` line, or
#   - the clone's `git status` is not clean afterwards (pulumi must never rewrite Pulumi.dev.yaml).
#
#   scripts/engine-preview.sh [ENGINE_DIR]      (default: $STATEFLEET_ENGINE or ~/.cache/statefleet-engine)
#
# The engine is built from source once per machine (no Pulumi CLI installs here), with the shared
# recipe: ../shared/tools/pulumi-engine/README.md (build.sh, ~30 min cold on 2 cores, ~1 min warm).
# docs/testing.md §5 says what it proves and what it leaves to the PR preview workflow.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
engine=${1:-${STATEFLEET_ENGINE:-$HOME/.cache/statefleet-engine}}
if [ ! -x "$engine/bin/pulumi" ] || [ ! -f "$engine/env.sh" ]; then
  echo "no engine in $engine: build it first, e.g." >&2
  echo "  MIRROR=<snapshots> ../shared/tools/pulumi-engine/build.sh $engine   (see that folder's README)" >&2
  exit 2
fi
# shellcheck disable=SC1091
source "$engine/env.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# What is committed plus the working tree's changes (tracked and new files), as a git repo of its own.
git clone -q --no-hardlinks "$root" "$tmp/repo"
git -C "$root" diff HEAD --binary | git -C "$tmp/repo" apply --allow-empty --whitespace=nowarn
git -C "$root" ls-files --others --exclude-standard -z | (cd "$root" && xargs -0 -r cp --parents -t "$tmp/repo")
git -C "$tmp/repo" add -A && git -C "$tmp/repo" -c user.email=preview@local -c user.name=preview commit -qm snapshot --allow-empty
cd "$tmp/repo"
if [ -d "$root/node_modules" ]; then cp -a "$root/node_modules" node_modules; else npm ci --no-audit --no-fund >/dev/null; fi

before=$(git status --porcelain)
export PULUMI_BACKEND_URL="file://$tmp/state"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-engine-preview}
set +e
npm run --silent preview -- --non-interactive --diff >"$tmp/preview.log" 2>&1
rc=$?
set -e
after=$(git status --porcelain)
cat "$tmp/preview.log"
echo "--- engine preview: pulumi exit $rc"
fail=0
[ "$rc" -eq 0 ] || fail=1
if grep -nE '^\s*(warning|error):' "$tmp/preview.log"; then echo "✗ the preview printed warnings or errors (above)"; fail=1; else echo "✓ no warning: or error: lines"; fi
if [ "$before" != "$after" ]; then
  echo "✗ the preview changed the checkout:"; echo "$after"; git diff --stat; fail=1
else
  echo "✓ git status unchanged (Pulumi.dev.yaml as committed)"
fi
grep -E '^\s*Resources:' -A2 "$tmp/preview.log" | head -3 || true
exit "$fail"
