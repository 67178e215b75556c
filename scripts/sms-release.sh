#!/usr/bin/env bash
# A scripted progressive release of the sms app by Flagger — the k3d end-to-end workflow runs it,
# and it is the operator's runbook (docs/sms.md, "Progressive delivery with Flagger"):
#
#   1. switch apps.sms.rollout to flagger, `up`, wait until the Canary is Initialized;
#   2. release version v2 while a load runner sends traffic and sticky users keep their cookies:
#      wait for Succeeded; no sticky user's version flips while the canary is Progressing;
#   3. release a bad version (flagger.fault: http-500): wait for Failed, canary weight 0, and
#      every answer back on the primary (200, the version promoted in step 2).
#
# Each release is an edit of Pulumi.<stack>.yaml (as an operator would make it) and `up`.
# Usage: scripts/sms-release.sh            (the dev stack, through scripts/pulumi-dev.sh)
# Needs: kubectl, curl, node, a running dev stack (npm run up). Leaves the stack on the failed
# release's config; put `fault: none` back (and `up`) to release again.
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_FILE=Pulumi.dev.yaml
NS=statefleet-apps
CANARY=sms-app
PULUMI=scripts/pulumi-dev.sh
WAIT=${SMS_RELEASE_WAIT:-15m}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

say() { echo "--- $*"; }
# Sets one key of the stack file (a YAML path under `config:`), keeping its comments and layout.
set_config() {
  node -e '
    const fs = require("fs"); const YAML = require("yaml");
    const [file, key, value] = process.argv.slice(1);
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    doc.setIn(["config", ...key.split(".")], value);
    fs.writeFileSync(file, doc.toString());
  ' "$STACK_FILE" "$1" "$2"
  say "$STACK_FILE: $1 = $2"
}
phase() { kubectl -n "$NS" get canary "$CANARY" -o jsonpath='{.status.phase}'; }
wait_phase() { say "waiting for canary/$CANARY to be $1 (up to $WAIT)"; kubectl -n "$NS" wait "canary/$CANARY" --for=jsonpath='{.status.phase}'="$1" --timeout="$WAIT"; }

kubeconfig="$work/kubeconfig"
$PULUMI stack output kubeconfig --show-secrets > "$kubeconfig"
export KUBECONFIG="$kubeconfig"
url=$($PULUMI stack output smsUrl)
say "sms at $url"
predict() { curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -X POST "$url" -H 'content-type: application/json' -d '{"sms":"WINNER! Claim your free prize now","guess":"spam"}' "$@"; }

# ── 1. Flagger takes over the app ──
set_config "statefleet:apps.sms.rollout" flagger
set_config "statefleet:apps.sms.flagger.version" v1
set_config "statefleet:apps.sms.flagger.fault" none
$PULUMI up --yes
wait_phase Initialized

# ── 2. release v2 under load, with sticky users ──
load() { while :; do predict >> "$work/load.codes" || true; done; }
for _ in 1 2 3; do load & pids+=($!); done
sticky() { # one browser: keeps its cookies, logs "<canary phase> <x-app-version>" per answer
  local jar="$work/jar.$1"
  while :; do
    v=$(curl -s -o /dev/null -D - --max-time 10 -c "$jar" -b "$jar" -X POST "$url" -H 'content-type: application/json' -d '{"sms":"lunch at noon?","guess":"ham"}' | tr -d '\r' | awk -F': ' 'tolower($1)=="x-app-version" {print $2}')
    echo "$(phase) ${v:-none}" >> "$work/sticky.$1"
    sleep 1
  done
}
for u in 1 2 3 4 5; do sticky "$u" & pids+=($!); done
set_config "statefleet:apps.sms.flagger.version" v2
$PULUMI up --yes
wait_phase Succeeded
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=()
flips=0
for u in 1 2 3 4 5; do
  seen=$(awk '$1 == "Progressing" {print $2}' "$work/sticky.$u" | sort -u | tr '\n' ' ')
  say "sticky user $u saw, while Progressing: ${seen:-nothing}"
  [ "$(awk '$1 == "Progressing" {print $2}' "$work/sticky.$u" | sort -u | wc -l)" -le 1 ] || flips=$((flips + 1))
done
[ "$flips" -eq 0 ] || { echo "FAIL: $flips sticky user(s) changed version during the release" >&2; exit 1; }
say "load during the release: $(sort "$work/load.codes" | uniq -c | tr '\n' ' ')"

# ── 3. a bad version: Flagger must roll it back by itself ──
for _ in 1 2 3; do load & pids+=($!); done
set_config "statefleet:apps.sms.flagger.fault" http-500
$PULUMI up --yes
wait_phase Failed
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=()
weight=$(kubectl -n "$NS" get canary "$CANARY" -o jsonpath='{.status.canaryWeight}')
[ "$weight" = "0" ] || { echo "FAIL: canary weight is $weight after the rollback" >&2; exit 1; }
bad=0
for _ in $(seq 1 20); do
  out=$(curl -s -o /dev/null -D - --max-time 10 -X POST "$url" -H 'content-type: application/json' -d '{"sms":"still there?","guess":"ham"}' | tr -d '\r')
  code=$(echo "$out" | awk 'NR==1 {print $2}'); v=$(echo "$out" | awk -F': ' 'tolower($1)=="x-app-version" {print $2}')
  [ "$code" = "200" ] && [ "$v" = "v2" ] || bad=$((bad + 1))
done
[ "$bad" -eq 0 ] || { echo "FAIL: $bad of 20 answers after the rollback were not 200 from the primary (v2)" >&2; exit 1; }
say "rolled back: canary weight 0, 20 of 20 answers 200 from the primary (v2)"
kubectl -n "$NS" get canary "$CANARY"
