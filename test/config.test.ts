import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, parseAllConfig, parseStackConfig } from "../config";
import { stackSchema } from "../config/schema";
import { evaluate, merge, REPO_ROOT, stackFileConfig } from "./harness/evaluate";

/** A stack's `statefleet:*` values with the prefix stripped, as the program sees them. */
function stackRaw(stack: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) out[k.slice("statefleet:".length)] = v;
  return out;
}
const devRaw = () => stackRaw("dev");

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", raw);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("config was accepted");
}

interface BadCase {
  what: string;
  change: Record<string, unknown>;
  /** The key path that must be named, and words the message must contain (or the whole line, when a string). */
  path: string;
  says: RegExp | string;
  /** The stack file the change is made to (default dev). */
  stack?: string;
  /** The only problem: no other rule fires first and could hide this one. */
  alone?: boolean;
}

const BAD: BadCase[] = [
  { what: "an unquoted version YAML turns into a number", stack: "aks", change: { cluster: { aks: { kubernetesVersion: 1.3 } } }, path: "statefleet:cluster.aks.kubernetesVersion", says: /YAML read this as the number 1\.3, but a text value is wanted: put it in quotes .*write "1\.30"/, alone: true },
  { what: "unquoted zone numbers", stack: "aks", change: { cluster: { aks: { zones: [1, 2, 3] } } }, path: "statefleet:cluster.aks.zones[0]", says: /the number 1, but a text value is wanted: put it in quotes, "1" \(allowed: "1" \| "2" \| "3"\)/ },
  { what: "requests above limits in a platform block (ingress-nginx)", change: { ingress: { nginx: { resources: { requests: { cpu: "2" } } } } }, path: "statefleet:ingress.nginx.resources.requests.cpu", says: /2 is above the limit 500m \(allowed: requests ≤ limits\)/, alone: true },
  { what: "requests above limits in a block not called resources (istiod)", change: { istio: { istiodResources: { requests: { memory: "4Gi" } } } }, path: "statefleet:istio.istiodResources.requests.memory", says: /4Gi is above the limit/, alone: true },
  { what: "requests above limits in an app", change: { apps: { stats: { resources: { requests: { memory: "1Gi" } } } } }, path: "statefleet:apps.stats.resources.requests.memory", says: /1Gi is above the limit 192Mi/, alone: true },
  { what: "wrong enum (cluster provider)", change: { cluster: { provider: "gke" } }, path: "statefleet:cluster.provider", says: /"gke" is not allowed \(allowed: k3d \| aks\)/ },
  { what: "wrong enum (state strategy)", change: { apps: { stats: { state: "memcached" } } }, path: "statefleet:apps.stats.state", says: /allowed: pod \| shared-volume \| redis/ },
  { what: "wrong type (replicas as string)", change: { apps: { stats: { replicas: "two" } } }, path: "statefleet:apps.stats.replicas", says: /expected number, got "two"/ },
  { what: "wrong type (enabled as string)", change: { redis: { enabled: "yes" } }, path: "statefleet:redis.enabled", says: /expected boolean/ },
  { what: "zero replicas", change: { apps: { stats: { replicas: 0 } } }, path: "statefleet:apps.stats.replicas", says: /too small \(allowed: ≥ 1\)/ },
  { what: "negative agents", change: { cluster: { k3d: { agents: -1 } } }, path: "statefleet:cluster.k3d.agents", says: /too small/ },
  { what: "non-integer port", change: { cluster: { k3d: { httpPort: 80.5 } } }, path: "statefleet:cluster.k3d.httpPort", says: /expected int/ },
  { what: "HPA min > max", change: { apps: { stats: { replicas: undefined, autoscale: { min: 5, max: 2 } } } }, path: "statefleet:apps.stats.autoscale.min", says: /5 is above max 2 \(allowed: min ≤ max\)/ },
  { what: "replicas and autoscale together", change: { apps: { stats: { autoscale: { min: 2, max: 4 } } } }, path: "statefleet:apps.stats.autoscale", says: /either replicas or autoscale/ },
  { what: "a key of the other cluster kind", change: { cluster: { aks: { location: "westeurope" } } }, path: "statefleet:cluster.aks", says: /AKS settings in a k3d stack/ },
  { what: "an unknown nested key", change: { apps: { stats: { replica: 3 } } }, path: "statefleet:apps.stats.replica", says: /unknown key \(allowed: enabled, replicas, autoscale/ },
  { what: "an unknown top-level key", change: { databases: { enabled: true } }, path: "statefleet:databases", says: /unknown key \(allowed: cluster, ingress, istio/ },
  { what: "redis state with Redis disabled", change: { redis: { enabled: false } }, path: "statefleet:apps.stats.state", says: /"redis" needs Redis, but redis.enabled is false/ },
  { what: "shared-volume state without RWX storage", change: { storage: { enabled: false } }, path: "statefleet:apps.pingpong.state", says: /needs ReadWriteMany storage/ },
  { what: "stats on the shared volume without RWX storage", change: { storage: { enabled: false }, apps: { stats: { state: "shared-volume" }, pingpong: { state: "redis", logoutput: { readVia: "http" } } } }, path: "statefleet:apps.stats.state", says: /^statefleet:apps\.stats\.state: "shared-volume" needs ReadWriteMany storage, but storage\.enabled is false \(allowed: pod \| redis \| mongo, or storage\.enabled: true\)$/, alone: true },
  { what: "cookie affinity without ingress-nginx", change: { apps: { stats: { affinity: "cookie", exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.stats.affinity", says: /"cookie" needs exposure.via ingress-nginx/ },
  { what: "pingpong shared-volume with 2 replicas", change: { apps: { pingpong: { replicas: 2 } } }, path: "statefleet:apps.pingpong.state", says: /single writer/ },
  { what: "exposure through a disabled ingress", change: { ingress: { nginx: { enabled: false } } }, path: "statefleet:apps.stats.exposure.via", says: /ingress.nginx.enabled is false/ },
  { what: "a malformed quantity", change: { apps: { stats: { resources: { limits: { memory: "lots" } } } } }, path: "statefleet:apps.stats.resources.limits.memory", says: /not a Kubernetes quantity/ },
  { what: "an unpinned k3s image", change: { cluster: { k3d: { k3sImage: "rancher/k3s:latest" } } }, path: "statefleet:cluster.k3d.k3sImage", says: /not a pinned k3s image/ },
  { what: "a relative shared host path", change: { cluster: { k3d: { sharedHostPath: "shared" } } }, path: "statefleet:cluster.k3d.sharedHostPath", says: /not an absolute path/ },
  { what: "a cluster name that is no DNS label", change: { cluster: { name: "My_Cluster" } }, path: "statefleet:cluster.name", says: /not a DNS label/ },
  { what: "istio gateway on while Istio is off", change: { istio: { enabled: false }, apps: { pingpong: { logoutput: { exposure: { via: "ingress-nginx" } } } } }, path: "statefleet:istio.gateway.enabled", says: /while istio.enabled is false/ },
  { what: "logoutput reading pingpong's pod-local store", change: { apps: { pingpong: { state: "pod" } } }, path: "statefleet:apps.pingpong.logoutput.readVia", says: /cannot read pingpong's pod-local volume/ },
  // "pong N" would repeat across replicas that each count on their own volume.
  { what: "pingpong per pod with 2 replicas (logoutput over HTTP)", change: { apps: { pingpong: { state: "pod", replicas: 2, logoutput: { readVia: "http" } } } }, path: "statefleet:apps.pingpong.state", says: /"pod" gives every replica its own counter, so "pong N" would repeat numbers \(allowed: replicas: 1, or state: redis \| mongo to scale\)/, alone: true },
  { what: "pingpong per pod, autoscaled (logoutput off)", change: { apps: { pingpong: { state: "pod", replicas: undefined, autoscale: { min: 2, max: 3 }, logoutput: { enabled: false } } } }, path: "statefleet:apps.pingpong.state", says: /"pod" gives every replica its own counter/, alone: true },
  { what: "pingpong on the shared volume, autoscaled", change: { apps: { pingpong: { replicas: undefined, autoscale: { min: 1, max: 3 } } } }, path: "statefleet:apps.pingpong.state", says: /single writer/, alone: true },
  { what: "sms released by Flagger without monitoring", change: { monitoring: { enabled: false }, apps: { sms: { rollout: "flagger", alert: { enabled: false }, dashboards: false } } }, path: "statefleet:apps.sms.rollout", says: /flagger while monitoring\.enabled is false: Flagger judges every step by Prometheus metrics \(allowed: static, or enable monitoring\)/ },
  { what: "sms released by Flagger without Istio", change: { istio: { enabled: false, gateway: { enabled: false } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { rollout: "flagger" } } }, path: "statefleet:apps.sms.rollout", says: /flagger while istio\.enabled is false: Flagger shifts traffic with Istio routing/ },
  { what: "a Flagger step above the promotion weight", change: { apps: { sms: { rollout: "flagger", flagger: { stepWeight: 60, maxWeight: 50 } } } }, path: "statefleet:apps.sms.flagger.stepWeight", says: /60 is above maxWeight 50/, alone: true },
  { what: "a Flagger metric window shorter than two scrapes", change: { apps: { sms: { rollout: "flagger", flagger: { metricWindow: "45s" } } } }, path: "statefleet:apps.sms.flagger.metricWindow", says: /45s holds fewer than two scrapes of the app \(every 30s\).*at least 60s/, alone: true },
  { what: "the same cookie for Flagger's canary and primary", change: { apps: { sms: { rollout: "flagger", flagger: { canaryCookie: "ab", primaryCookie: "ab" } } } }, path: "statefleet:apps.sms.flagger.primaryCookie", says: /the same name as canaryCookie \(ab\)/, alone: true },
  { what: "Flagger replicas and autoscale together", change: { apps: { sms: { rollout: "flagger", flagger: { autoscale: { min: 2, max: 3 } } } } }, path: "statefleet:apps.sms.flagger.autoscale", says: /either replicas or autoscale/, alone: true },
  { what: "an unknown rollout", change: { apps: { sms: { rollout: "argo" } } }, path: "statefleet:apps.sms.rollout", says: /allowed: static \| flagger/, alone: true },
  { what: "an AKS user pool with minCount above maxCount", stack: "aks", change: { cluster: { aks: { userPool: { minCount: 7, maxCount: 3 } } } }, path: "statefleet:cluster.aks.userPool.minCount", says: /^statefleet:cluster\.aks\.userPool\.minCount: 7 is above maxCount 3 \(allowed: minCount ≤ maxCount\)$/, alone: true },
  { what: "an admin group given by name instead of its object id", stack: "aks", change: { cluster: { aks: { entraIdOnly: true, adminGroupObjectIds: ["aks-admins"] } } }, path: "statefleet:cluster.aks.adminGroupObjectIds[0]", says: /^statefleet:cluster\.aks\.adminGroupObjectIds\[0\]: "aks-admins" is not an Entra ID group object id \(allowed: a uuid .*`az ad group show --group <name> --query id -o tsv`\)$/, alone: true },
  { what: "a zone listed twice", stack: "aks", change: { cluster: { aks: { zones: ["1", "2", "1"] } } }, path: "statefleet:cluster.aks.zones[2]", says: /"1" is listed twice \(allowed: each zone once/, alone: true },
  { what: "an Entra-ID-only AKS cluster without admin groups", stack: "aks", change: { cluster: { aks: { entraIdOnly: true, adminGroupObjectIds: [] } } }, path: "statefleet:cluster.aks.adminGroupObjectIds", says: /nobody could administer the cluster/, alone: true },

  // ── the cluster kind and the gateway switch, word for word ──
  { what: "k3d keys in an AKS stack", stack: "aks", change: { cluster: { k3d: { agents: 1 } } }, path: "statefleet:cluster.k3d", says: "statefleet:cluster.k3d: k3d settings in an AKS stack (allowed: remove cluster.k3d, or set cluster.provider: k3d)", alone: true },
  { what: "AKS keys in a k3d stack, word for word", change: { cluster: { aks: { location: "westeurope" } } }, path: "statefleet:cluster.aks", says: "statefleet:cluster.aks: AKS settings in a k3d stack (allowed: remove cluster.aks, or set cluster.provider: aks)", alone: true },
  // The AKS block of a k3d stack is reported as out of place, not judged as if it were used.
  { what: "an AKS block in a k3d stack that would also be wrong in an AKS stack", change: { cluster: { aks: { location: "westeurope", userPool: { minCount: 5, maxCount: 2 }, entraIdOnly: true } } }, path: "statefleet:cluster.aks", says: /^statefleet:cluster\.aks: AKS settings in a k3d stack/, alone: true },
  { what: "the Istio gateway on while Istio is off, word for word", change: { istio: { enabled: false }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false } } }, path: "statefleet:istio.gateway.enabled", says: "statefleet:istio.gateway.enabled: true while istio.enabled is false (allowed: false, or enable istio)", alone: true },

  // ── two apps on one entry point and host (routeProblems): the later app's key is named ──
  { what: "two apps on one ingress-nginx path", change: { apps: { stats: { exposure: { path: "/pingpong" } } } }, path: "statefleet:apps.pingpong.exposure.path", alone: true,
    says: 'statefleet:apps.pingpong.exposure.path: "/pingpong" overlaps apps.stats.exposure.path "/pingpong" on ingress-nginx for host "statefleet.localhost": two Ingresses for one host and path (allowed: a path that neither covers nor is covered by "/pingpong", e.g. /logoutput, or another exposure.host)' },
  { what: "two apps on one ingress-nginx path, one written with trailing slashes", change: { apps: { stats: { exposure: { path: "/pingpong//" } } } }, path: "statefleet:apps.pingpong.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.exposure\.path: "\/pingpong" overlaps apps\.stats\.exposure\.path "\/pingpong" on ingress-nginx/ },
  { what: "two apps at / on the Istio gateway for one host (sms moved onto ingress.host)", change: { apps: { sms: { exposure: { host: "statefleet.localhost" } } } }, path: "statefleet:apps.sms.exposure.path", alone: true,
    says: 'statefleet:apps.sms.exposure.path: "/" overlaps apps.pingpong.logoutput.exposure.path "/" on istio-gateway for host "statefleet.localhost": Istio merges the routes of one host in creation order, so which app answers is left to chance (allowed: a path that neither covers nor is covered by "/", e.g. /logoutput, or another exposure.host)' },
  { what: "an app at // on the Istio gateway (the same as /)", change: { apps: { pingpong: { logoutput: { exposure: { path: "//" } } }, sms: { exposure: { host: "statefleet.localhost" } } } }, path: "statefleet:apps.sms.exposure.path", alone: true,
    says: /^statefleet:apps\.sms\.exposure\.path: "\/" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/" on istio-gateway/ },
  { what: "two apps at one path below / on the gateway", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/logs" } }, pingpong: { logoutput: { exposure: { path: "/logs/" } } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.path: "\/logs" overlaps apps\.stats\.exposure\.path "\/logs" on istio-gateway/ },
  { what: "a later app on the gateway under an earlier one's prefix", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/logs" } }, pingpong: { logoutput: { exposure: { path: "/logs/x" } } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.path: "\/logs\/x" overlaps apps\.stats\.exposure\.path "\/logs" on istio-gateway for host "statefleet\.localhost": Istio merges/ },
  { what: "a later app on the gateway whose prefix covers an earlier one's", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/logs/stats" } }, pingpong: { logoutput: { exposure: { path: "/logs" } } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.path: "\/logs" overlaps apps\.stats\.exposure\.path "\/logs\/stats" on istio-gateway/ },
  { what: "an earlier app at / on the gateway, which covers every later path", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/" } }, pingpong: { logoutput: { exposure: { path: "/logs" } } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.path: "\/logs" overlaps apps\.stats\.exposure\.path "\/" on istio-gateway/ },
  { what: "a later app at / on the gateway, which covers every earlier path", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/stats" } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.path", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.path: "\/" overlaps apps\.stats\.exposure\.path "\/stats" on istio-gateway/ },
  { what: "an app on one of the shop's prefixes (reported at the shop, which routes last)", change: { apps: { stats: { exposure: { path: "/orders" } } } }, path: "statefleet:apps.shop.exposure.path", alone: true,
    says: 'statefleet:apps.shop.exposure.path: "/orders" overlaps apps.stats.exposure.path "/orders" on ingress-nginx for host "statefleet.localhost": two Ingresses for one host and path (allowed: a path that neither covers nor is covered by "/orders", e.g. /logoutput, or another exposure.host)' },
  { what: "an app on a prefix of the shop under its own base", change: { apps: { shop: { exposure: { path: "/shop/" } }, stats: { exposure: { path: "/shop/payment" } } } }, path: "statefleet:apps.shop.exposure.path", alone: true,
    says: /^statefleet:apps\.shop\.exposure\.path: "\/shop\/payment" overlaps apps\.stats\.exposure\.path "\/shop\/payment" on ingress-nginx/ },
  { what: "the shop on the gateway under logoutput's /", change: { apps: { shop: { exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.shop.exposure.path",
    says: /^statefleet:apps\.shop\.exposure\.path: "\/orders" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/" on istio-gateway for host "statefleet\.localhost"/ },

  // ── what an app's state and entry point need (backingProblems, exposureProblems), per app ──
  { what: "stats on MongoDB with MongoDB off", change: { mongo: { enabled: false }, apps: { api: { enabled: false }, stats: { state: "mongo" } } }, path: "statefleet:apps.stats.state", alone: true,
    says: 'statefleet:apps.stats.state: "mongo" needs MongoDB, but mongo.enabled is false (allowed: pod | shared-volume | redis, or mongo.enabled: true)' },
  { what: "stats on Redis with Redis off, word for word", change: { redis: { enabled: false }, apps: { api: { cache: "none" }, shop: { state: "mongo" } } }, path: "statefleet:apps.stats.state", alone: true,
    says: 'statefleet:apps.stats.state: "redis" needs Redis, but redis.enabled is false (allowed: pod | shared-volume | mongo, or redis.enabled: true)' },
  { what: "pingpong on MongoDB with MongoDB off", change: { mongo: { enabled: false }, apps: { api: { enabled: false }, pingpong: { state: "mongo" } } }, path: "statefleet:apps.pingpong.state", alone: true,
    says: /^statefleet:apps\.pingpong\.state: "mongo" needs MongoDB, but mongo\.enabled is false/ },
  { what: "stats on the Istio gateway while Istio runs without it", change: { istio: { gateway: { enabled: false } }, apps: { stats: { exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.stats.exposure.via",
    says: 'statefleet:apps.stats.exposure.via: "istio-gateway" but the Istio gateway is off (allowed: ingress-nginx | none, or istio.enabled and istio.gateway.enabled: true)' },
  { what: "api on ingress-nginx while it is off", change: { ingress: { nginx: { enabled: false } } }, path: "statefleet:apps.api.exposure.via",
    says: 'statefleet:apps.api.exposure.via: "ingress-nginx" but ingress.nginx.enabled is false (allowed: istio-gateway | none, or ingress.nginx.enabled: true)' },
  { what: "sms on the gateway while Istio runs without it (the gateway's hosts are not judged then)", change: { istio: { gateway: { enabled: false, hosts: ["other.localhost"] } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } } } }, path: "statefleet:apps.sms.exposure.via", alone: true,
    says: /^statefleet:apps\.sms\.exposure\.via: "istio-gateway" but the Istio gateway is off/ },
  { what: "logoutput on ingress-nginx while it is off", change: { ingress: { nginx: { enabled: false } }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "ingress-nginx" } } }, api: { exposure: { via: "none" } }, shop: { exposure: { via: "none" } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.via", alone: true,
    says: /^statefleet:apps\.pingpong\.logoutput\.exposure\.via: "ingress-nginx" but ingress\.nginx\.enabled is false/ },
  { what: "the shop on the gateway while Istio runs without it", change: { istio: { gateway: { enabled: false } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false }, shop: { exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.shop.exposure.via", alone: true,
    says: 'statefleet:apps.shop.exposure.via: "istio-gateway" but the Istio gateway is off (allowed: ingress-nginx | none, or istio.enabled and istio.gateway.enabled: true)' },
  // shop has its own state rule (only redis | mongo); the per-app rule must not speak for it too.
  { what: "the shop on MongoDB with MongoDB off, named once", change: { mongo: { enabled: false }, apps: { api: { enabled: false }, shop: { state: "mongo" } } }, path: "statefleet:apps.shop.state", alone: true,
    says: 'statefleet:apps.shop.state: "mongo" needs MongoDB, but mongo.enabled is false (allowed: redis, or mongo.enabled: true)' },

  // ── stats affinity and pingpong's counter, word for word ──
  { what: "cookie affinity on an unexposed stats, word for word", change: { apps: { stats: { affinity: "cookie", exposure: { via: "none" } } } }, path: "statefleet:apps.stats.affinity", alone: true,
    says: 'statefleet:apps.stats.affinity: "cookie" needs exposure.via ingress-nginx, which sets the cookie (allowed: none | client-ip, or apps.stats.exposure.via: ingress-nginx)' },
  { what: "pingpong on the shared volume with 2 replicas, word for word", change: { apps: { pingpong: { replicas: 2 } } }, path: "statefleet:apps.pingpong.state", alone: true,
    says: 'statefleet:apps.pingpong.state: "shared-volume" hands out unique "pong N" numbers only with a single writer at a time, so pingpong must run 1 replica (allowed: replicas: 1, or state: redis | mongo to scale)' },
  { what: "logoutput reading pingpong's pod-local store, word for word", change: { apps: { pingpong: { state: "pod" } } }, path: "statefleet:apps.pingpong.logoutput.readVia", alone: true,
    says: `statefleet:apps.pingpong.logoutput.readVia: "store" cannot read pingpong's pod-local volume (allowed: http, or pingpong state: shared-volume | redis | mongo)` },
  { what: "logoutput on while pingpong is off", change: { apps: { pingpong: { enabled: false } } }, path: "statefleet:apps.pingpong.logoutput.enabled", alone: true,
    says: `statefleet:apps.pingpong.logoutput.enabled: true while pingpong is disabled; logoutput shows pingpong's count (allowed: false, or enable apps.pingpong)` },
  { what: "autoscale min above max, for api", change: { apps: { api: { autoscale: { min: 4, max: 3 } } } }, path: "statefleet:apps.api.autoscale.min", alone: true,
    says: "statefleet:apps.api.autoscale.min: 4 is above max 3 (allowed: min ≤ max)" },
  { what: "replicas and autoscale together, for pingpong", change: { apps: { pingpong: { state: "redis", autoscale: { min: 1, max: 2 } } } }, path: "statefleet:apps.pingpong.autoscale", alone: true,
    says: "statefleet:apps.pingpong.autoscale: set together with replicas (allowed: either replicas or autoscale)" },

  // ── the api variant (apiProblems) ──
  { what: "api without MongoDB", change: { mongo: { enabled: false } }, path: "statefleet:apps.api.enabled", alone: true,
    says: "statefleet:apps.api.enabled: true while mongo.enabled is false: api keeps every document in MongoDB (allowed: false, or mongo.enabled: true)" },
  { what: "api's Redis cache without Redis", change: { redis: { enabled: false }, apps: { stats: { state: "pod" }, shop: { state: "mongo" } } }, path: "statefleet:apps.api.cache", alone: true,
    says: 'statefleet:apps.api.cache: "redis" needs Redis, but redis.enabled is false (allowed: none, or redis.enabled: true)' },
  { what: "a write queue one document short of a batch", change: { apps: { api: { queueMaxDocs: 499 } } }, path: "statefleet:apps.api.queueMaxDocs", alone: true,
    says: "statefleet:apps.api.queueMaxDocs: 499 is below batchMaxDocs 500: a batch could never fill, and requests would be refused while the queue still has room for them (allowed: ≥ 500, or a smaller batchMaxDocs)" },
  { what: "api under its own prefix without stripping it", change: { apps: { api: { exposure: { path: "/v1/", stripPrefix: false } } } }, path: "statefleet:apps.api.exposure.path", alone: true,
    says: 'statefleet:apps.api.exposure.path: "/v1/" with stripPrefix false: the app would see /v1/… and none of its routes (/api/…, /healthz, /readyz) (allowed: stripPrefix: true, or path / | /api)' },
  { what: "api under /apiv2 without stripping it (not /api)", change: { apps: { api: { exposure: { path: "/apiv2", stripPrefix: false } } } }, path: "statefleet:apps.api.exposure.path", alone: true,
    says: /^statefleet:apps\.api\.exposure\.path: "\/apiv2" with stripPrefix false: the app would see \/apiv2\/… / },
  { what: "more api workers than the memory limit holds", change: { apps: { api: { workers: 3 } } }, path: "statefleet:apps.api.workers", alone: true,
    says: "statefleet:apps.api.workers: 3 processes do not fit resources.limits (cpu 500m, memory 256Mi); each needs at least 100m CPU and 96Mi (allowed: workers ≤ 2, or limits of at least cpu 300m and memory 288Mi)" },
  { what: "more api workers than the CPU limit holds", change: { apps: { api: { workers: 3, resources: { limits: { cpu: "200m", memory: "1Gi" } } } } }, path: "statefleet:apps.api.workers", alone: true,
    says: "statefleet:apps.api.workers: 3 processes do not fit resources.limits (cpu 200m, memory 1Gi); each needs at least 100m CPU and 96Mi (allowed: workers ≤ 2, or limits of at least cpu 300m and memory 288Mi)" },
  { what: "two api workers in limits below one worker's need", change: { apps: { api: { workers: 2, resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "50m", memory: "64Mi" } } } } }, path: "statefleet:apps.api.workers", alone: true,
    says: /^statefleet:apps\.api\.workers: 2 processes do not fit .*\(allowed: workers ≤ 1, or limits of at least cpu 200m and memory 192Mi\)$/ },

  // ── the platform: entry points, the gateway's hosts, Grafana, Alertmanager ──
  { what: "trusted proxies for an ingress-nginx that is off", change: { ingress: { nginx: { enabled: false, trustedProxyCidrs: ["10.0.0.0/8"] } }, monitoring: { grafanaVia: "none" }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" } }, api: { exposure: { via: "none" } }, shop: { exposure: { via: "none" } } } }, path: "statefleet:ingress.nginx.trustedProxyCidrs", alone: true,
    says: "statefleet:ingress.nginx.trustedProxyCidrs: set while ingress.nginx.enabled is false (allowed: [], or enable ingress-nginx)" },
  { what: "an app host outside the gateway's wildcard (the ingress-nginx routes are not judged by it)", change: { istio: { gateway: { hosts: ["*.example.com"] } }, monitoring: { grafanaVia: "ingress-nginx" }, apps: { sms: { exposure: { host: "sms.example.com" } } } }, path: "statefleet:apps.pingpong.logoutput.exposure.host", alone: true,
    says: 'statefleet:apps.pingpong.logoutput.exposure.host: "statefleet.localhost" matches none of istio.gateway.hosts [*.example.com], so its VirtualService would never bind (allowed: one of them or a host under one of their wildcards, or add it to istio.gateway.hosts)' },
  { what: "a host beside one the gateway lists by name (x.localhost admits only x.localhost)", change: { istio: { gateway: { hosts: ["x.localhost", "statefleet.localhost"] } }, apps: { sms: { exposure: { host: "sms.localhost" } } } }, path: "statefleet:apps.sms.exposure.host", alone: true,
    says: /^statefleet:apps\.sms\.exposure\.host: "sms\.localhost" matches none of istio\.gateway\.hosts \[x\.localhost, statefleet\.localhost\]/ },
  { what: "the bare domain of a gateway wildcard (*.localhost does not admit localhost)", change: { istio: { gateway: { hosts: ["*.localhost"] } }, apps: { sms: { exposure: { host: "localhost" } } } }, path: "statefleet:apps.sms.exposure.host", alone: true,
    says: /^statefleet:apps\.sms\.exposure\.host: "localhost" matches none of istio\.gateway\.hosts \[\*\.localhost\]/ },
  { what: "a wildcard route host beside the gateway's other wildcard", change: { istio: { gateway: { hosts: ["*.example.com", "statefleet.localhost"] } }, apps: { sms: { exposure: { host: "*.example.org" } } } }, path: "statefleet:apps.sms.exposure.host", alone: true,
    says: /^statefleet:apps\.sms\.exposure\.host: "\*\.example\.org" matches none of istio\.gateway\.hosts \[\*\.example\.com, statefleet\.localhost\]/ },
  { what: "Grafana at / on the gateway above an app's prefix on its host", change: { monitoring: { grafanaVia: "istio-gateway", grafanaPath: "/" }, apps: { pingpong: { logoutput: { exposure: { path: "/logoutput" } } } } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: 'statefleet:monitoring.grafanaPath: "/" overlaps apps.pingpong.logoutput.exposure.path "/logoutput" on istio-gateway for host "statefleet.localhost" (allowed: a path neither covers, or grafanaVia: another entry point)' },
  { what: "Grafana on the gateway while Istio runs without it", change: { istio: { gateway: { enabled: false } }, monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false } } }, path: "statefleet:monitoring.grafanaVia", alone: true,
    says: 'statefleet:monitoring.grafanaVia: "istio-gateway" but istio-gateway is off, so Grafana could not be reached (allowed: none (then kubectl port-forward), or enable an entry point)' },
  { what: "Grafana on auto with no entry point, word for word", change: { ingress: { nginx: { enabled: false } }, istio: { gateway: { enabled: false } }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "none" } } }, api: { exposure: { via: "none" } }, sms: { enabled: false }, shop: { exposure: { via: "none" } } } }, path: "statefleet:monitoring.grafanaVia", alone: true,
    says: 'statefleet:monitoring.grafanaVia: "auto" but ingress-nginx and the Istio gateway are both off, so Grafana could not be reached (allowed: none (then kubectl port-forward), or enable an entry point)' },
  { what: "Grafana on ingress-nginx while it is off (the gateway is on)", change: { ingress: { nginx: { enabled: false } }, monitoring: { grafanaVia: "ingress-nginx" }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" } }, api: { exposure: { via: "none" } }, shop: { exposure: { via: "none" } } } }, path: "statefleet:monitoring.grafanaVia", alone: true,
    says: /^statefleet:monitoring\.grafanaVia: "ingress-nginx" but ingress-nginx is off, so Grafana could not be reached/ },
  { what: "Grafana on the gateway with ingress.host not among its hosts", change: { istio: { gateway: { hosts: ["sms-checker.localhost", "*.example.com"] } }, monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } } } }, path: "statefleet:monitoring.grafanaVia", alone: true,
    says: 'statefleet:monitoring.grafanaVia: Grafana on the Istio gateway uses ingress.host "statefleet.localhost", which matches none of istio.gateway.hosts [sms-checker.localhost, *.example.com] (allowed: add it to istio.gateway.hosts, or grafanaVia: ingress-nginx | none)' },
  { what: "Grafana on an app's ingress-nginx path", change: { monitoring: { grafanaPath: "/stats" } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: 'statefleet:monitoring.grafanaPath: "/stats" overlaps apps.stats.exposure.path "/stats" on ingress-nginx for host "statefleet.localhost" (allowed: a path neither covers, or grafanaVia: another entry point)' },
  { what: "Grafana on an app's ingress-nginx path for any host", change: { ingress: { host: "" }, monitoring: { grafanaPath: "/stats" } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: 'statefleet:monitoring.grafanaPath: "/stats" overlaps apps.stats.exposure.path "/stats" on ingress-nginx for host "" (any host) (allowed: a path neither covers, or grafanaVia: another entry point)' },
  { what: "Grafana on an app's ingress-nginx path written with trailing slashes", change: { apps: { stats: { exposure: { path: "/stats//" } } }, monitoring: { grafanaPath: "/stats" } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: /^statefleet:monitoring\.grafanaPath: "\/stats" overlaps apps\.stats\.exposure\.path "\/stats\/\/" on ingress-nginx/ },
  { what: "Grafana on auto moving to the gateway when ingress-nginx is off, under logoutput's /", change: { ingress: { nginx: { enabled: false } }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" } }, api: { exposure: { via: "none" } }, shop: { exposure: { via: "none" } } } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: /^statefleet:monitoring\.grafanaPath: "\/grafana" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/" on istio-gateway/ },
  { what: "Grafana at / beside an app at / on ingress-nginx", change: { apps: { stats: { exposure: { path: "/" } } }, monitoring: { grafanaPath: "/" } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: /^statefleet:monitoring\.grafanaPath: "\/" overlaps apps\.stats\.exposure\.path "\/" on ingress-nginx/ },
  { what: "Grafana under logoutput's / on the gateway, word for word", change: { monitoring: { grafanaVia: "istio-gateway" } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: 'statefleet:monitoring.grafanaPath: "/grafana" overlaps apps.pingpong.logoutput.exposure.path "/" on istio-gateway for host "statefleet.localhost" (allowed: a path neither covers, or grafanaVia: another entry point)' },
  { what: "Grafana on the gateway at an app's path", change: { monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { path: "/grafana" } } } } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: /^statefleet:monitoring\.grafanaPath: "\/grafana" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/grafana" on istio-gateway/ },
  { what: "Grafana on the gateway above an app's path", change: { monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { path: "/grafana/logs" } } } } }, path: "statefleet:monitoring.grafanaPath", alone: true,
    says: /^statefleet:monitoring\.grafanaPath: "\/grafana" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/grafana\/logs" on istio-gateway/ },
  { what: "Alertmanager receivers while Alertmanager is off", change: { monitoring: { alertmanager: { enabled: false, receivers: [{ name: "oncall", webhookUrlSecret: { name: "oncall" } }] } } }, path: "statefleet:monitoring.alertmanager.receivers", alone: true,
    says: "statefleet:monitoring.alertmanager.receivers: set while monitoring.alertmanager.enabled is false (allowed: [], or enable Alertmanager)" },
  { what: "a receiver name used twice, at the second use", change: { monitoring: { alertmanager: { receivers: [{ name: "a", webhookUrlSecret: { name: "s" } }, { name: "b", webhookUrlSecret: { name: "t" } }, { name: "a", webhookUrlSecret: { name: "u" } }] } } }, path: "statefleet:monitoring.alertmanager.receivers[2].name", alone: true,
    says: 'statefleet:monitoring.alertmanager.receivers[2].name: "a" is used twice (allowed: unique names)' },
  { what: "a default receiver that is not configured (none are)", change: { monitoring: { alertmanager: { defaultReceiver: "pager" } } }, path: "statefleet:monitoring.alertmanager.defaultReceiver", alone: true,
    says: 'statefleet:monitoring.alertmanager.defaultReceiver: "pager" is not a receiver (allowed: null | a name from monitoring.alertmanager.receivers)' },
  { what: "a default receiver that is not among the configured ones", change: { monitoring: { alertmanager: { defaultReceiver: "pager", receivers: [{ name: "oncall", webhookUrlSecret: { name: "s" } }, { name: "ops", webhookUrlSecret: { name: "t" } }] } } }, path: "statefleet:monitoring.alertmanager.defaultReceiver", alone: true,
    says: 'statefleet:monitoring.alertmanager.defaultReceiver: "pager" is not a receiver (allowed: null | oncall | ops)' },

  // ── data services: the numbers the message gives are the boundary ──
  { what: "a Redis maxmemory 1mb above 75 % of its limit", change: { redis: { maxMemory: "241mb" } }, path: "statefleet:redis.maxMemory", alone: true,
    says: "statefleet:redis.maxMemory: 241mb leaves too little headroom under resources.limits.memory 320Mi: the container would be OOM-killed before Redis applies its maxmemory policy (allowed: at most 75% of the limit, here ≤ 240mb)" },
  { what: "a WiredTiger cache above half of (limit − 1 GB)", change: { mongo: { throttle: { cacheSizeGB: 1.3 }, resources: { limits: { memory: "3584Mi" } } } }, path: "statefleet:mongo.throttle.cacheSizeGB", alone: true,
    says: /^statefleet:mongo\.throttle\.cacheSizeGB: 1\.3 GB is more than mongod's own sizing rule allows under resources\.limits\.memory 3584Mi: the larger of 0\.25 GB and 50% of \(limit − 1 GB\), so connections and sorts would push mongod into an OOM kill \(allowed: ≤ 1\.25, or a limit of at least \d+Mi\)$/ },
  { what: "a WiredTiger cache above the 0.25 GB floor in a small limit", change: { mongo: { throttle: { cacheSizeGB: 0.5 }, resources: { requests: { memory: "256Mi" }, limits: { memory: "1Gi" } } } }, path: "statefleet:mongo.throttle.cacheSizeGB", alone: true,
    says: /^statefleet:mongo\.throttle\.cacheSizeGB: 0\.5 GB .* under resources\.limits\.memory 1Gi: .*\(allowed: ≤ 0\.25, or a limit of at least 2048Mi\)$/ },
  { what: "memory requests above limits, word for word", change: { apps: { api: { resources: { requests: { memory: "257Mi" } } } } }, path: "statefleet:apps.api.resources.requests.memory", alone: true,
    says: "statefleet:apps.api.resources.requests.memory: 257Mi is above the limit 256Mi (allowed: requests ≤ limits)" },
];

/** Configs right at a rule's boundary, or with the rule's inputs switched off: each must pass. */
const ACCEPTED: { what: string; change: Record<string, unknown>; stack?: string }[] = [
  { what: "an Entra-ID-only AKS cluster with an admin group", stack: "aks", change: { cluster: { aks: { entraIdOnly: true, adminGroupObjectIds: ["0a0a0a0a-0000-4000-8000-000000000001"] } } } },
  { what: "an AKS cluster that is not Entra-ID-only without admin groups", stack: "aks", change: { cluster: { aks: { entraIdOnly: false, adminGroupObjectIds: [] } } } },
  { what: "Istio and its gateway both off, nothing routed through it", change: { istio: { enabled: false, gateway: { enabled: false } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false } } } },
  { what: "every entry point off, nothing exposed, Grafana reached by port-forward", change: { ingress: { nginx: { enabled: false } }, istio: { gateway: { enabled: false } }, monitoring: { grafanaVia: "none" }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "none" } } }, api: { exposure: { via: "none" } }, sms: { enabled: false }, shop: { exposure: { via: "none" } } } } },
  { what: "autoscale with min equal to max", change: { apps: { stats: { replicas: undefined, autoscale: { min: 3, max: 3 } } } } },
  { what: "cookie affinity through ingress-nginx", change: { apps: { stats: { affinity: "cookie" } } } },
  { what: "a disabled app's settings (cookie affinity off nginx, a store that is off, autoscale beside replicas)", change: { mongo: { enabled: false }, apps: { api: { enabled: false }, stats: { enabled: false, affinity: "cookie", state: "mongo", autoscale: { min: 5, max: 2 }, exposure: { via: "istio-gateway" } } } } },
  { what: "pingpong and logoutput both off, pingpong set up for scale on the shared volume", change: { apps: { pingpong: { enabled: false, replicas: 3, logoutput: { enabled: false } } } } },
  { what: "pingpong per pod with logoutput off (nothing reads its store)", change: { apps: { pingpong: { state: "pod", logoutput: { enabled: false } } } } },
  { what: "pingpong on Redis with 3 replicas", change: { apps: { pingpong: { state: "redis", replicas: 3, logoutput: { readVia: "http" } } } } },
  { what: "stats and pingpong on MongoDB with MongoDB on", change: { apps: { stats: { state: "mongo" }, pingpong: { state: "mongo" } } } },
  // routes
  { what: "nested paths on ingress-nginx (it tries the longer path first)", change: { apps: { stats: { exposure: { path: "/pingpong/stats" } } } } },
  { what: "one path on ingress-nginx and on the gateway (different entry points)", change: { apps: { stats: { exposure: { path: "/" } } } } },
  { what: "one ingress-nginx path on two hosts", change: { apps: { stats: { exposure: { host: "stats.localhost", path: "/pingpong" } } } } },
  { what: "gateway paths that share letters but not a segment (/logs, /logsx)", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/logs" } }, pingpong: { logoutput: { exposure: { path: "/logsx" } } } } } },
  { what: "gateway paths that share letters but not a segment, the longer first (/logsx, /logs)", change: { apps: { stats: { exposure: { via: "istio-gateway", path: "/logsx" } }, pingpong: { logoutput: { exposure: { path: "/logs" } } } } } },
  { what: "two unexposed apps at one path (no entry point, nothing to clash on)", change: { apps: { stats: { exposure: { via: "none", path: "/x" } }, api: { exposure: { via: "none", path: "/x" } } } } },
  { what: "an app at an unexposed app's path", change: { apps: { stats: { exposure: { via: "none", path: "/pingpong" } } } } },
  { what: "logoutput off, its route left where pingpong's is", change: { apps: { pingpong: { state: "redis", logoutput: { enabled: false, exposure: { via: "ingress-nginx", path: "/pingpong" } } } } } },
  { what: "the shop on the gateway on a host of its own", change: { apps: { shop: { exposure: { via: "istio-gateway", host: "shop.localhost" } } } } },
  { what: "the shop off or unexposed, an app on /orders", change: { apps: { stats: { exposure: { path: "/orders" } }, shop: { enabled: false } } } },
  { what: "the shop unexposed, an app on /payment", change: { apps: { stats: { exposure: { path: "/payment" } }, shop: { exposure: { via: "none" } } } } },
  { what: "the shop under /shop, an app on /orders", change: { apps: { stats: { exposure: { path: "/orders" } }, shop: { exposure: { path: "/shop" } } } } },
  // api
  { what: "api off while MongoDB is off", change: { mongo: { enabled: false }, apps: { api: { enabled: false, workers: 32, queueMaxDocs: 5 } } } },
  { what: "api without a cache while Redis is off", change: { redis: { enabled: false }, apps: { stats: { state: "pod" }, api: { cache: "none" }, shop: { state: "mongo" } } } },
  { what: "a write queue exactly one batch long", change: { apps: { api: { queueMaxDocs: 500 } } } },
  { what: "a short queue with direct writes (no batches)", change: { apps: { api: { writes: "direct", queueMaxDocs: 100 } } } },
  { what: "api at /api, /api/ or / without stripping the prefix (its own routes)", change: { apps: { api: { exposure: { path: "/api/", stripPrefix: false } } } } },
  { what: "api at / without stripping", change: { apps: { api: { exposure: { path: "/", stripPrefix: false } } } } },
  { what: "api under its own prefix, stripped", change: { apps: { api: { exposure: { path: "/v1", stripPrefix: true } } } } },
  { what: "api unexposed at any path without stripping", change: { apps: { api: { exposure: { via: "none", path: "/v1", stripPrefix: false } } } } },
  { what: "as many api workers as the limits hold (2 in 500m / 256Mi)", change: { apps: { api: { workers: 2 } } } },
  { what: "3 api workers in 300m (a float division must not lose one)", change: { apps: { api: { workers: 3, resources: { limits: { cpu: "300m", memory: "1Gi" } } } } } },
  { what: "the limits a workers message asks for (3 workers in 300m / 288Mi)", change: { apps: { api: { workers: 3, resources: { limits: { cpu: "300m", memory: "288Mi" } } } } } },
  { what: "one api worker in limits below one worker's need (there is always one)", change: { apps: { api: { workers: 1, resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "50m", memory: "64Mi" } } } } } },
  // platform
  { what: "gateway hosts by wildcard", change: { istio: { gateway: { hosts: ["*.localhost"] } } } },
  { what: "gateway hosts by name", change: { istio: { gateway: { hosts: ["statefleet.localhost", "sms-checker.localhost"] } } } },
  { what: "an any-host route on a gateway for any host", change: { apps: { sms: { exposure: { host: "" } } } } },
  { what: "a wildcard route host the gateway lists as that wildcard", change: { istio: { gateway: { hosts: ["*.localhost"] } }, apps: { sms: { exposure: { host: "*.localhost" } } } } },
  // Istio binds a route whose host overlaps a gateway host either way (host.Name.Matches); it answers for the overlap.
  { what: "an any-host route on a gateway with named hosts (it answers for those)", change: { istio: { gateway: { hosts: ["*.localhost", "statefleet.localhost"] } }, apps: { sms: { exposure: { host: "" } } } } },
  { what: "a wildcard route host over a host the gateway lists by name", change: { istio: { gateway: { hosts: ["statefleet.localhost", "a.localhost"] } }, apps: { sms: { exposure: { host: "*.localhost" } } } } },
  { what: "a narrower wildcard route host under the gateway's wildcard", change: { istio: { gateway: { hosts: ["*.localhost"] } }, apps: { sms: { exposure: { host: "*.sms.localhost" } } } } },
  { what: "Grafana on the gateway beside logoutput's own prefix and sms' / on another host", change: { monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { path: "/logoutput" } } } } } },
  { what: "Grafana on the gateway beside a path that only shares letters (/grafanax)", change: { monitoring: { grafanaVia: "istio-gateway" }, apps: { pingpong: { logoutput: { exposure: { path: "/grafanax" } } } } } },
  { what: "Grafana on ingress-nginx above an app's nested path (nginx tries the longer first)", change: { monitoring: { grafanaPath: "/stats" }, apps: { stats: { exposure: { path: "/stats/x" } } } } },
  { what: "Grafana on ingress-nginx at an app's path on the gateway", change: { apps: { pingpong: { logoutput: { exposure: { path: "/grafana" } } } } } },
  { what: "Grafana on ingress-nginx at an app's path on another host", change: { apps: { stats: { exposure: { host: "stats.localhost", path: "/grafana" } } } } },
  { what: "Grafana at / on ingress-nginx beside the apps' own prefixes", change: { monitoring: { grafanaPath: "/" } } },
  { what: "a default receiver that is configured", change: { monitoring: { alertmanager: { defaultReceiver: "oncall", receivers: [{ name: "oncall", webhookUrlSecret: { name: "s" } }] } } } },
  { what: "Alertmanager off without receivers", change: { monitoring: { alertmanager: { enabled: false } } } },
  { what: "monitoring off: its Grafana and Alertmanager settings are not judged", change: { ingress: { nginx: { enabled: false } }, istio: { gateway: { enabled: false } }, monitoring: { enabled: false, grafanaVia: "ingress-nginx", alertmanager: { defaultReceiver: "pager" } }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "none" } } }, api: { exposure: { via: "none" } }, sms: { enabled: false }, shop: { exposure: { via: "none" } } } } },
  // data and resources
  { what: "a Redis maxmemory of exactly 75 % of its limit", change: { redis: { maxMemory: "240mb" } } },
  { what: "Redis off, its maxmemory not judged", change: { redis: { enabled: false, maxMemory: "2gb" }, apps: { stats: { state: "pod" }, api: { cache: "none" }, shop: { state: "mongo" } } } },
  { what: "a WiredTiger cache of exactly half of (limit − 1 GB)", change: { mongo: { throttle: { cacheSizeGB: 1.25 }, resources: { limits: { memory: "3584Mi" } } } } },
  { what: "the limit a cacheSizeGB message asks for (0.5 GB in 2048Mi)", change: { mongo: { throttle: { cacheSizeGB: 0.5 }, resources: { limits: { memory: "2048Mi" } } } } },
  { what: "the maxmemory a Redis message allows (240mb in 320Mi) and the workers an api message allows (2)", change: { redis: { maxMemory: "240mb" }, apps: { api: { workers: 2 } } } },
  { what: "a WiredTiger cache of 0.25 GB in a 1Gi limit (the floor)", change: { mongo: { throttle: { cacheSizeGB: 0.25 }, resources: { requests: { memory: "256Mi" }, limits: { memory: "1Gi" } } } } },
  { what: "requests equal to limits", change: { apps: { stats: { resources: { requests: { cpu: "500m", memory: "192Mi" } } } } } },
  { what: "requests above limits in a part that is off (the shop)", change: { apps: { shop: { enabled: false, order: { resources: { requests: { cpu: "4" } } } } } } },
];


describe("stack config validation", () => {
  it("accepts the boundaries: AKS minCount equal to maxCount, pingpong per pod with one replica", () => {
    expect(() => parseStackConfig("aks", merge(stackRaw("aks"), { cluster: { aks: { userPool: { minCount: 3, maxCount: 3 } } } }) as Record<string, unknown>)).not.to.throw();
    expect(() => parseStackConfig("dev", merge(devRaw(), { apps: { pingpong: { state: "pod", replicas: 1, logoutput: { readVia: "http" } } } }) as Record<string, unknown>)).not.to.throw();
  });

  it("accepts plain numbers where Kubernetes does (cpu: 1, cpu: 0.5), as the quantities the docs show", () => {
    const cfg = parseStackConfig("dev", merge(devRaw(), { apps: { stats: { resources: { requests: { cpu: 0.5 }, limits: { cpu: 1 } } } } }) as Record<string, unknown>);
    expect(cfg.apps.stats.resources).to.deep.include({ requests: { cpu: "0.5", memory: "64Mi" }, limits: { cpu: "1", memory: "192Mi" } });
    expect(problemsOf(merge(devRaw(), { apps: { stats: { resources: { limits: { cpu: -1 } } } } }) as Record<string, unknown>).join("\n")).to.contain("statefleet:apps.stats.resources.limits.cpu");
  });

  it("accepts both real stack files", () => {
    for (const stack of ["dev", "aks"]) {
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) raw[k.slice(11)] = v;
      expect(() => parseStackConfig(stack, raw), stack).not.to.throw();
    }
  });

  it("fills every default from an empty config (a k3d stack)", () => {
    const cfg = parseStackConfig("empty", {});
    expect(cfg.cluster.provider).to.equal("k3d");
    if (cfg.cluster.provider !== "k3d") throw new Error("unreachable");
    expect(cfg.cluster.k3d.agents).to.equal(2);
    expect(cfg.apps.stats.scaling).to.deep.equal({ kind: "fixed", replicas: 1 });
    expect(cfg.redis.maxMemoryPolicy).to.equal("noeviction");
  });

  it("resolves autoscale into an HPA scaling and drops replicas", () => {
    const raw = merge(devRaw(), { apps: { stats: { replicas: undefined, autoscale: { min: 2, max: 5 } } } }) as Record<string, unknown>;
    const cfg = parseStackConfig("dev", raw);
    expect(cfg.apps.stats.scaling).to.deep.equal({ kind: "autoscale", min: 2, max: 5, cpuPercent: 70 });
  });

  for (const c of ACCEPTED) {
    it(`accepts ${c.what}`, () => {
      const raw = merge(stackRaw(c.stack ?? "dev"), c.change) as Record<string, unknown>;
      let problems: string[] = [];
      try {
        parseStackConfig(c.stack ?? "dev", raw);
      } catch (e) {
        problems = e instanceof ConfigError ? e.problems.map((p) => `${p.path}: ${p.message}`) : [String(e)];
      }
      expect(problems).to.deep.equal([]);
    });
  }

  it("binds a route to the gateway exactly when Istio would: the host.Name.Matches examples of Istio's pilot", () => {
    // [gateway host, route host, binds]: the examples in the doc comment of Istio's host.Name.Matches
    // (pkg/config/host/name.go), which pickMatchingGatewayHosts calls with the gateway host first;
    // then wildcards on both sides, and "" (our any-host route, rendered as "*").
    const table: [string, string, boolean][] = [
      ["foo.com", "foo.com", true], ["foo.com", "bar.com", false], ["*.com", "foo.com", true], ["bar.com", "*.com", true],
      ["*.foo.com", "foo.com", false], ["*", "foo.com", true], ["*", "*.com", true],
      ["*.com", "*.foo.com", true], ["*.foo.com", "*.com", true], ["*.foo.com", "*.bar.com", false], ["*.oo.com", "foo.com", false],
      ["foo.com", "", true], ["*.com", "", true], ["*", "", true], ["foo.com", "*.bar.com", false],
      ["xfoo.com", "foo.com", false], ["foo.com", "xfoo.com", false], ["a.foo.com", "foo.com", false],
    ];
    for (const [gw, host, binds] of table) {
      const raw = merge(devRaw(), { istio: { gateway: { hosts: [gw] } }, apps: { sms: { exposure: { host } } } }) as Record<string, unknown>;
      let problems: string[] = [];
      try {
        parseStackConfig("dev", raw);
      } catch (e) {
        problems = (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      const flagged = problems.some((p) => p.startsWith("statefleet:apps.sms.exposure.host: ") && p.includes("would never bind"));
      expect(flagged, `gateway host ${gw}, route host "${host}"`).to.equal(!binds);
    }
  });

  for (const c of BAD) {
    it(`rejects ${c.what}, naming ${c.path}`, () => {
      const problems = problemsOf(merge(stackRaw(c.stack ?? "dev"), c.change) as Record<string, unknown>);
      const line = problems.find((p) => p.startsWith(`${c.path}: `));
      expect(line, `no problem for ${c.path} in:\n${problems.join("\n")}`).to.be.a("string");
      if (typeof c.says === "string") expect(line).to.equal(c.says);
      else expect(line).to.match(c.says);
      if (c.alone) expect(problems, "the only problem").to.have.length(1);
    });
  }

  it("suggests a MongoDB memory limit for a too-large WiredTiger cache that the same rule then accepts", () => {
    // The suggestion is 2 × cache + 1 GiB in whole Mi: rounded down it would be just too small again.
    for (const cacheSizeGB of [0.3, 0.5, 0.7, 1.3, 2.05]) {
      const change = (memory: string) => ({ mongo: { throttle: { cacheSizeGB }, resources: { requests: { memory: "256Mi" }, limits: { memory } } } });
      const line = problemsOf(merge(devRaw(), change("512Mi")) as Record<string, unknown>).find((l) => l.startsWith("statefleet:mongo.throttle.cacheSizeGB: "));
      const suggested = /or a limit of at least (\d+Mi)\)$/.exec(line ?? "")?.[1];
      expect(suggested, `a suggested limit for ${cacheSizeGB} GB in: ${line}`).to.be.a("string");
      expect(() => parseStackConfig("test", merge(devRaw(), change(suggested as string)) as Record<string, unknown>), `${cacheSizeGB} GB in ${suggested}`).not.to.throw();
    }
  });

  it("lists every problem at once, not just the first", () => {
    const problems = problemsOf(merge(devRaw(), { cluster: { provider: "gke" }, apps: { stats: { replicas: 0, state: "x" } } }) as Record<string, unknown>);
    expect(problems.map((p) => p.split(":").slice(0, 2).join(":"))).to.include.members([
      "statefleet:cluster.provider",
      "statefleet:apps.stats.replicas",
      "statefleet:apps.stats.state",
    ]);
  });

  it("runs the rules across keys even when other keys fail, so one run lists every problem: the docs' own example", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8");
    const example = /```\n(Invalid stack config \(2 problems\):\n[\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example, "docs/config.md shows a two-problem error").to.be.a("string");
    // The docs' two lines: a value the schema rejects and a rule across keys, found in the same run.
    const err = (() => {
      try {
        parseStackConfig("dev", { redis: { enabled: false }, apps: { stats: { replicas: 0, state: "redis" } } });
      } catch (e) {
        return e as Error;
      }
      throw new Error("accepted");
    })();
    expect(err.message).to.equal(example);
  });

  it("leaves out a rule across keys that would rest on a value it had to set aside", () => {
    // redis.enabled is not a boolean: "redis needs Redis, but redis.enabled is false" would be judged on the default.
    const problems = problemsOf({ redis: { enabled: "no" }, storage: { enabled: false }, apps: { stats: { state: "redis" } } });
    expect(problems.some((p) => p.startsWith("statefleet:redis.enabled: expected boolean")), problems.join("\n")).to.equal(true);
    expect(problems.filter((p) => p.includes("redis.enabled is false")), "a rule fed the default").to.deep.equal([]);
    // …while a rule on keys that are fine still speaks (pingpong's shared volume without storage).
    expect(problems.some((p) => p.startsWith("statefleet:apps.pingpong.state: \"shared-volume\" needs ReadWriteMany storage")), problems.join("\n")).to.equal(true);
    expect(problems).to.have.length(2);
  });

  it("names the closest namespace for a misspelt one (statefeet:, stateflet:, StateFleet:), which Pulumi would ignore", () => {
    const all = (extra: Record<string, unknown>): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...stackFileConfig("dev"), ...extra })) out[k] = typeof v === "string" ? v : JSON.stringify(v);
      return out;
    };
    const problemsFor = (extra: Record<string, unknown>) => {
      try {
        parseAllConfig("dev", all(extra));
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problemsFor({ "statefeet:apps": { stats: { replicas: 3 } } })).to.deep.equal([
      'statefeet:apps: unknown namespace "statefeet": did you mean "statefleet:apps"? A key in a namespace nobody reads is ignored without a word (allowed: statefleet:apps; this project\'s keys are statefleet:<key>)',
    ]);
    expect(problemsFor({ "stateflet:cluster": {} })[0]).to.match(/^stateflet:cluster: unknown namespace "stateflet": did you mean "statefleet:cluster"\?/);
    expect(problemsFor({ "StateFleet:redis": {} })[0]).to.match(/did you mean "statefleet:redis"/);
    expect(problemsFor({ "kubernets:context": "x" })[0]).to.match(/did you mean "kubernetes:context"/);
    // Listed with the schema's own problems, in one run.
    expect(problemsFor({ "statefeet:apps": {}, "statefleet:redis": { enabled: "yes" } })).to.have.length(2);
    // Other namespaces are left to their owners, and real keys still parse.
    expect(problemsFor({ "azure-native:location": "westeurope", "kubernetes:context": "k3d-x", "myorg:owner": "team-a" })).to.deep.equal([]);
  });

  it("formats the error as one `<key path>: <problem>` line per problem, pointing at the docs", () => {
    try {
      parseStackConfig("dev", merge(devRaw(), { apps: { stats: { replicas: 0 } } }) as Record<string, unknown>);
      expect.fail("accepted");
    } catch (e) {
      expect((e as Error).message).to.match(/^Invalid stack config \(1 problem\):\n {2}statefleet:apps\.stats\.replicas: number 0 is too small \(allowed: ≥ 1\)\nSee docs\/config\.md/);
    }
  });

  it("fails the program before any resource is registered", async () => {
    let registered = -1;
    try {
      await evaluate("dev", { overrides: { "statefleet:apps": { stats: { state: "nope" } } }, onRegister: (n) => (registered = n) });
      expect.fail("the program accepted a bad config");
    } catch (e) {
      expect(e).to.be.instanceOf(Error);
      expect((e as Error).message).to.contain("statefleet:apps.stats.state");
    }
    expect(registered).to.equal(0);
  });

  it("rejects AKS-only keys in the real dev stack file and k3d keys in the real aks stack file", async () => {
    const err = await evaluate("aks", { overrides: { "statefleet:cluster": { k3d: { agents: 1 } } } }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain("statefleet:cluster.k3d: k3d settings in an AKS stack");
  });

  it("a misspelt namespace fails the program before any resource is registered", async () => {
    let registered = -1;
    const err = await evaluate("dev", { overrides: { "statefeet:apps": { stats: { replicas: 3 } } }, onRegister: (n) => (registered = n) }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain('statefeet:apps: unknown namespace "statefeet": did you mean "statefleet:apps"?');
    expect(registered).to.equal(0);
  });

  it("dev turns on no platform service that none of its enabled variants uses (each costs laptop memory)", () => {
    const cfg = stackSchema.parse(devRaw());
    const used = { nginx: false, istio: false, storage: false, redis: false, mongo: false, monitoring: false };
    // Every enabled block under apps (variants and their parts, e.g. logoutput, shop's services).
    const visit = (block: unknown) => {
      if (!block || typeof block !== "object" || Array.isArray(block)) return;
      const b = block as Record<string, unknown>;
      if (b.enabled === false) return;
      const via = (b.exposure as { via?: string } | undefined)?.via;
      if (via === "ingress-nginx") used.nginx = true;
      if (via === "istio-gateway") used.istio = true;
      if (b.state === "shared-volume") used.storage = true;
      if (b.state === "redis" || b.cache === "redis") used.redis = true;
      if (b.state === "mongo") used.mongo = true;
      if (b.dashboards === true || (b.alert as { enabled?: boolean } | undefined)?.enabled === true) used.monitoring = true;
      for (const [k, v] of Object.entries(b)) if (k !== "exposure") visit(v);
    };
    for (const app of Object.values(cfg.apps)) visit(app);
    if (cfg.apps.api.enabled) used.mongo = true; // api keeps every document in MongoDB
    if (cfg.apps.sms.enabled) used.istio = true; // its split, stickiness and mirror are Istio routing
    const on = { nginx: cfg.ingress.nginx.enabled, istio: cfg.istio.enabled, storage: cfg.storage.enabled, redis: cfg.redis.enabled, mongo: cfg.mongo.enabled, monitoring: cfg.monitoring.enabled };
    const unused = (Object.keys(on) as (keyof typeof on)[]).filter((k) => on[k] && !used[k]);
    expect(unused, "enabled in Pulumi.dev.yaml but used by no enabled variant").to.deep.equal([]);
  });
});
