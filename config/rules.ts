import type { ParsedStack } from "./schema";
import type { ConfigProblem } from "./errors";
import { MONGO_MIN_CACHE_GB, quantityValue, redisMemoryBytes } from "./data";
import { SHOP_SERVICES, shopPaths, shopProblems } from "./shop";
import { smsProblems } from "./sms";

const NS = "statefleet";
const p = (path: string, message: string): ConfigProblem => ({ path: `${NS}:${path}`, message });

type AppKey = keyof ParsedStack["apps"];
interface AppLike {
  enabled: boolean;
  replicas?: number;
  autoscale?: { min: number; max: number };
  /** Absent on variants without a state strategy (api keeps its documents in MongoDB). */
  state?: string;
  exposure: { via: string };
}

/** Rules that span keys: backing services, entry points, scaling, cluster kind. */
export function crossFieldProblems(cfg: ParsedStack): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  resourceProblems(cfg, [], out);
  const { cluster } = cfg;
  if (cluster.provider === "k3d" && cluster.aks) out.push(p("cluster.aks", `AKS settings in a k3d stack (allowed: remove cluster.aks, or set cluster.provider: aks)`));
  if (cluster.provider === "aks" && cluster.k3d) out.push(p("cluster.k3d", `k3d settings in an AKS stack (allowed: remove cluster.k3d, or set cluster.provider: k3d)`));
  const aks = cluster.provider === "aks" ? cluster.aks : undefined;
  if (aks) {
    if (aks.userPool.minCount > aks.userPool.maxCount)
      out.push(p("cluster.aks.userPool.minCount", `${aks.userPool.minCount} is above maxCount ${aks.userPool.maxCount} (allowed: minCount ≤ maxCount)`));
    if (aks.entraIdOnly && aks.adminGroupObjectIds.length === 0)
      out.push(p("cluster.aks.adminGroupObjectIds", `empty while entraIdOnly is true: nobody could administer the cluster (allowed: one or more Entra ID group object ids)`));
  }
  if (cfg.istio.gateway.enabled && !cfg.istio.enabled) out.push(p("istio.gateway.enabled", `true while istio.enabled is false (allowed: false, or enable istio)`));

  const apps = cfg.apps as Record<AppKey, AppLike>;
  for (const key of Object.keys(apps) as AppKey[]) {
    const app = apps[key];
    // shop scales per service and has its own state and entry rules (shopProblems).
    if (!app.enabled || key === "shop") continue;
    const at = `apps.${key}`;
    if (app.replicas !== undefined && app.autoscale)
      out.push(p(`${at}.autoscale`, `set together with replicas (allowed: either replicas or autoscale)`));
    if (app.autoscale && app.autoscale.min > app.autoscale.max)
      out.push(p(`${at}.autoscale.min`, `${app.autoscale.min} is above max ${app.autoscale.max} (allowed: min ≤ max)`));
    if (app.state !== undefined) out.push(...backingProblems(cfg, `${at}.state`, app.state));
    out.push(...exposureProblems(cfg, `${at}.exposure.via`, app.exposure.via));
  }

  const stats = cfg.apps.stats;
  if (stats.enabled && stats.affinity === "cookie" && stats.exposure.via !== "ingress-nginx")
    out.push(p("apps.stats.affinity", `"cookie" needs exposure.via ingress-nginx, which sets the cookie (allowed: none | client-ip, or apps.stats.exposure.via: ingress-nginx)`));

  const pp = cfg.apps.pingpong;
  if (pp.enabled) {
    const many = (pp.replicas ?? 1) > 1 || pp.autoscale !== undefined;
    if (pp.state === "shared-volume" && many)
      out.push(p("apps.pingpong.state", `"shared-volume" hands out unique "pong N" numbers only with a single writer at a time, so pingpong must run 1 replica (allowed: replicas: 1, or state: redis | mongo to scale)`));
    if (pp.state === "pod" && many)
      out.push(p("apps.pingpong.state", `"pod" gives every replica its own counter, so "pong N" would repeat numbers (allowed: replicas: 1, or state: redis | mongo to scale)`));
    if (pp.logoutput.enabled) {
      if (pp.logoutput.readVia === "store" && pp.state === "pod")
        out.push(p("apps.pingpong.logoutput.readVia", `"store" cannot read pingpong's pod-local volume (allowed: http, or pingpong state: shared-volume | redis | mongo)`));
      out.push(...exposureProblems(cfg, "apps.pingpong.logoutput.exposure.via", pp.logoutput.exposure.via));
    }
  } else if (pp.logoutput.enabled) {
    out.push(p("apps.pingpong.logoutput.enabled", `true while pingpong is disabled; logoutput shows pingpong's count (allowed: false, or enable apps.pingpong)`));
  }
  out.push(...apiProblems(cfg));
  out.push(...smsProblems(cfg.apps.sms, { monitoring: cfg.monitoring.enabled, istio: cfg.istio.enabled }, `${NS}:apps.sms`));
  out.push(...shopProblems(cfg.apps.shop, {
    redis: cfg.redis.enabled,
    mongo: cfg.mongo.enabled,
    ingressNginx: cfg.ingress.nginx.enabled,
    istioGateway: cfg.istio.enabled && cfg.istio.gateway.enabled,
  }, `${NS}:apps.shop`));
  out.push(...routeProblems(cfg));
  out.push(...dataProblems(cfg));
  out.push(...platformProblems(cfg));
  return out;
}

const trimPath = (path: string) => path.replace(/\/+$/, "") || "/";
/** `/` covers everything; `/a` covers `/a` and `/a/…` (the Workload matches whole segments). */
const covers = (outer: string, inner: string) => outer === inner || inner.startsWith(outer === "/" ? "/" : `${outer}/`);

/**
 * Two apps on one entry point and host must not fight over a path. ingress-nginx tries longer
 * paths first, so only identical paths clash there; Istio merges the VirtualServices of one
 * host in creation order, so any prefix overlap (`/` above all) is decided by chance.
 */
function routeProblems(cfg: ParsedStack): ConfigProblem[] {
  const routes = appExposures(cfg).map((r) => ({ ...r, path: trimPath(r.path) }));
  const out: ConfigProblem[] = [];
  routes.forEach((r, i) => {
    for (const o of routes.slice(0, i)) {
      if (o.via !== r.via || o.host !== r.host) continue;
      const clash = r.via === "istio-gateway" ? covers(o.path, r.path) || covers(r.path, o.path) : o.path === r.path;
      if (!clash) continue;
      const why = r.via === "istio-gateway" ? "Istio merges the routes of one host in creation order, so which app answers is left to chance" : "two Ingresses for one host and path";
      out.push(p(`${r.at}.path`, `"${r.path}" overlaps ${o.at}.path "${o.path}" on ${r.via} for host "${r.host}": ${why} (allowed: a path that neither covers nor is covered by "${o.path}", e.g. /logoutput, or another exposure.host)`));
    }
  });
  return out;
}

function backingProblems(cfg: ParsedStack, path: string, state: string): ConfigProblem[] {
  if (state === "shared-volume" && !cfg.storage.enabled) return [p(path, `"shared-volume" needs ReadWriteMany storage, but storage.enabled is false (allowed: pod | redis | mongo, or storage.enabled: true)`)];
  if (state === "redis" && !cfg.redis.enabled) return [p(path, `"redis" needs Redis, but redis.enabled is false (allowed: pod | shared-volume | mongo, or redis.enabled: true)`)];
  if (state === "mongo" && !cfg.mongo.enabled) return [p(path, `"mongo" needs MongoDB, but mongo.enabled is false (allowed: pod | shared-volume | redis, or mongo.enabled: true)`)];
  return [];
}

/** CPU and memory one api worker process needs at the least (a Node.js process with its driver pools). */
export const API_WORKER_MIN = { cpu: 0.1, memoryMi: 96 } as const;

/** The api variant: its stores, its write queue, and workers that fit the pod. */
function apiProblems(cfg: ParsedStack): ConfigProblem[] {
  const api = cfg.apps.api;
  if (!api.enabled) return [];
  const out: ConfigProblem[] = [];
  if (!cfg.mongo.enabled)
    out.push(p("apps.api.enabled", `true while mongo.enabled is false: api keeps every document in MongoDB (allowed: false, or mongo.enabled: true)`));
  if (api.cache === "redis" && !cfg.redis.enabled)
    out.push(p("apps.api.cache", `"redis" needs Redis, but redis.enabled is false (allowed: none, or redis.enabled: true)`));
  if (api.writes === "batched" && api.queueMaxDocs < api.batchMaxDocs)
    out.push(p("apps.api.queueMaxDocs", `${api.queueMaxDocs} is below batchMaxDocs ${api.batchMaxDocs}: a batch could never fill, and requests would be refused while the queue still has room for them (allowed: ≥ ${api.batchMaxDocs}, or a smaller batchMaxDocs)`));
  const apiPath = trimPath(api.exposure.path);
  if (api.exposure.via !== "none" && !api.exposure.stripPrefix && apiPath !== "/" && apiPath !== "/api")
    out.push(p("apps.api.exposure.path", `"${api.exposure.path}" with stripPrefix false: the app would see ${apiPath}/… and none of its routes (/api/…, /healthz, /readyz) (allowed: stripPrefix: true, or path / | /api)`));
  const cpu = quantityValue(api.resources.limits.cpu);
  const memoryMi = quantityValue(api.resources.limits.memory) / 2 ** 20;
  const fit = Math.max(1, Math.min(Math.floor(cpu / API_WORKER_MIN.cpu + 1e-9), Math.floor(memoryMi / API_WORKER_MIN.memoryMi)));
  if (api.workers > fit) {
    const needCpu = `${Math.round(api.workers * API_WORKER_MIN.cpu * 1000)}m`;
    const needMem = `${api.workers * API_WORKER_MIN.memoryMi}Mi`;
    out.push(p("apps.api.workers", `${api.workers} processes do not fit resources.limits (cpu ${api.resources.limits.cpu}, memory ${api.resources.limits.memory}); each needs at least ${API_WORKER_MIN.cpu * 1000}m CPU and ${API_WORKER_MIN.memoryMi}Mi (allowed: workers ≤ ${fit}, or limits of at least cpu ${needCpu} and memory ${needMem})`));
  }
  return out;
}

function exposureProblems(cfg: ParsedStack, path: string, via: string): ConfigProblem[] {
  if (via === "ingress-nginx" && !cfg.ingress.nginx.enabled) return [p(path, `"ingress-nginx" but ingress.nginx.enabled is false (allowed: istio-gateway | none, or ingress.nginx.enabled: true)`)];
  if (via === "istio-gateway" && !(cfg.istio.enabled && cfg.istio.gateway.enabled)) return [p(path, `"istio-gateway" but the Istio gateway is off (allowed: ingress-nginx | none, or istio.enabled and istio.gateway.enabled: true)`)];
  return [];
}

/**
 * The routes apps ask for: every enabled block under `apps` (or nested in one) with an `exposure`;
 * shop's one exposure is a base under which it routes three prefixes.
 */
function appExposures(cfg: ParsedStack): { at: string; via: string; host: string; path: string }[] {
  const out: { at: string; via: string; host: string; path: string }[] = [];
  const visit = (at: string, block: unknown) => {
    if (!block || typeof block !== "object") return;
    const b = block as { enabled?: boolean; exposure?: { via: string; host?: string; path: string } };
    if (b.enabled === false) return;
    if (b.exposure && b.exposure.via !== "none") out.push({ at: `${at}.exposure`, via: b.exposure.via, host: b.exposure.host ?? cfg.ingress.host, path: b.exposure.path });
    for (const [k, v] of Object.entries(b)) if (k !== "exposure" && v && typeof v === "object" && !Array.isArray(v)) visit(`${at}.${k}`, v);
  };
  for (const [key, app] of Object.entries(cfg.apps)) if (key !== "shop") visit(`apps.${key}`, app);
  const shop = cfg.apps.shop;
  if (shop.enabled && shop.exposure.via !== "none") {
    const paths = shopPaths(shop.exposure.path);
    for (const svc of SHOP_SERVICES) out.push({ at: "apps.shop.exposure", via: shop.exposure.via, host: shop.exposure.host ?? cfg.ingress.host, path: paths[svc] });
  }
  return out;
}

/**
 * Does an Istio Gateway host (`*`, `*.a.b`, `a.b`) admit a route host ("" = any host, i.e. `*`)?
 * Istio binds a VirtualService to a gateway server when one of their hosts overlaps the other
 * (pilot's pickMatchingGatewayHosts with host.Name.Matches): equal names, or a wildcard whose
 * suffix ends the other name (`*.localhost` and `a.localhost`, `*.localhost` and `*.a.localhost`,
 * `a.localhost` and `*`), in either direction; the route then answers for the hosts both admit.
 */
function gatewayAdmits(gatewayHost: string, host: string): boolean {
  const route = host === "" ? "*" : host;
  const gwWild = gatewayHost.startsWith("*");
  const routeWild = route.startsWith("*");
  if (gwWild && routeWild) return gatewayHost.length < route.length ? route.slice(1).endsWith(gatewayHost.slice(1)) : gatewayHost.slice(1).endsWith(route.slice(1));
  if (gwWild) return route.endsWith(gatewayHost.slice(1));
  if (routeWild) return gatewayHost.endsWith(route.slice(1));
  return gatewayHost === route;
}

/** The entry point Grafana ends up on, or undefined when none (config rules report that). */
function grafanaEntry(cfg: Pick<ParsedStack, "ingress" | "istio" | "monitoring">): "ingress-nginx" | "istio-gateway" | "none" | undefined {
  const nginx = cfg.ingress.nginx.enabled;
  const gateway = cfg.istio.enabled && cfg.istio.gateway.enabled;
  const via = cfg.monitoring.grafanaVia;
  if (via === "auto") return nginx ? "ingress-nginx" : gateway ? "istio-gateway" : undefined;
  if (via === "ingress-nginx") return nginx ? via : undefined;
  if (via === "istio-gateway") return gateway ? via : undefined;
  return "none";
}

/** Entry points, the Istio gateway's hosts, Grafana's route and Alertmanager's receivers. */
function platformProblems(cfg: ParsedStack): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const gatewayOn = cfg.istio.enabled && cfg.istio.gateway.enabled;
  const gwHosts = cfg.istio.gateway.hosts;
  const admitted = (host: string) => gwHosts.some((g) => gatewayAdmits(g, host));
  // "" (any host) binds to every gateway host, so it shows only in Grafana's path clash.
  const shown = (host: string) => (host === "" ? `"" (any host)` : `"${host}"`);

  if (!cfg.ingress.nginx.enabled && cfg.ingress.nginx.trustedProxyCidrs.length > 0)
    out.push(p("ingress.nginx.trustedProxyCidrs", `set while ingress.nginx.enabled is false (allowed: [], or enable ingress-nginx)`));

  const routes = appExposures(cfg);
  if (gatewayOn) {
    for (const r of routes) {
      if (r.via === "istio-gateway" && !admitted(r.host))
        out.push(p(`${r.at}.host`, `${shown(r.host)} matches none of istio.gateway.hosts [${gwHosts.join(", ")}], so its VirtualService would never bind (allowed: one of them or a host under one of their wildcards, or add it to istio.gateway.hosts)`));
    }
  }

  const m = cfg.monitoring;
  if (m.enabled) {
    const via = grafanaEntry(cfg);
    if (via === undefined) {
      const why = m.grafanaVia === "auto" ? "ingress-nginx and the Istio gateway are both off" : `${m.grafanaVia} is off`;
      out.push(p("monitoring.grafanaVia", `"${m.grafanaVia}" but ${why}, so Grafana could not be reached (allowed: none (then kubectl port-forward), or enable an entry point)`));
    } else if (via !== "none") {
      const host = cfg.ingress.host;
      if (via === "istio-gateway" && !admitted(host))
        out.push(p("monitoring.grafanaVia", `Grafana on the Istio gateway uses ingress.host ${shown(host)}, which matches none of istio.gateway.hosts [${gwHosts.join(", ")}] (allowed: add it to istio.gateway.hosts, or grafanaVia: ingress-nginx | none)`));
      const gp = trimPath(m.grafanaPath);
      for (const r of routes) {
        if (r.via !== via || r.host !== host) continue;
        const rp = trimPath(r.path);
        // Istio merges the VirtualServices of a host in creation order: a covering prefix, either
        // way (an app at `/`, or Grafana at `/` above every app), may win.
        const clash = via === "istio-gateway" ? covers(gp, rp) || covers(rp, gp) : rp === gp;
        if (clash) out.push(p("monitoring.grafanaPath", `"${m.grafanaPath}" overlaps ${r.at}.path "${r.path}" on ${via} for host ${shown(host)} (allowed: a path neither covers, or grafanaVia: another entry point)`));
      }
    }
    const am = m.alertmanager;
    if (!am.enabled && am.receivers.length > 0)
      out.push(p("monitoring.alertmanager.receivers", `set while monitoring.alertmanager.enabled is false (allowed: [], or enable Alertmanager)`));
    const names = am.receivers.map((r) => r.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) out.push(p(`monitoring.alertmanager.receivers[${i}].name`, `"${n}" is used twice (allowed: unique names)`));
    });
    if (am.defaultReceiver !== "null" && !names.includes(am.defaultReceiver))
      out.push(p("monitoring.alertmanager.defaultReceiver", `"${am.defaultReceiver}" is not a receiver (allowed: null | ${names.join(" | ") || "a name from monitoring.alertmanager.receivers"})`));
  }
  return out;
}

/**
 * Redis, MongoDB and RWX storage sizing: a setting that the container limit or the cloud would
 * silently override is an error here, not an OOM kill or a surprise bill later.
 */
function dataProblems(cfg: ParsedStack): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  // A minimum limit, so rounded up to whole Mi (rounded down it would fail the rule it answers).
  const atLeastMi = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;
  if (cfg.redis.enabled) {
    const limit = quantityValue(cfg.redis.resources.limits.memory);
    // Headroom for the AOF-rewrite fork (copy-on-write), buffers and the allocator's overhead.
    if (redisMemoryBytes(cfg.redis.maxMemory) > 0.75 * limit)
      out.push(p("redis.maxMemory", `${cfg.redis.maxMemory} leaves too little headroom under resources.limits.memory ${cfg.redis.resources.limits.memory}: the container would be OOM-killed before Redis applies its maxmemory policy (allowed: at most 75% of the limit, here ≤ ${Math.floor((0.75 * limit) / 2 ** 20)}mb)`));
  }
  if (cfg.mongo.enabled) {
    const limitGiB = quantityValue(cfg.mongo.resources.limits.memory) / 2 ** 30;
    const cache = cfg.mongo.throttle.cacheSizeGB;
    // MongoDB sizes its own default cache as the larger of 50% of (RAM − 1 GB) and 256 MB, with
    // the container's memory limit as RAM; a bigger cache leaves mongod too little for the rest.
    // The seed's 0.25 GB in 500Mi is exactly that default.
    if (cache > Math.max(MONGO_MIN_CACHE_GB, (limitGiB - 1) / 2))
      out.push(p("mongo.throttle.cacheSizeGB", `${cache} GB is more than mongod's own sizing rule allows under resources.limits.memory ${cfg.mongo.resources.limits.memory}: the larger of 0.25 GB and 50% of (limit − 1 GB), so connections and sorts would push mongod into an OOM kill (allowed: ≤ ${Math.max(MONGO_MIN_CACHE_GB, Math.floor(((limitGiB - 1) / 2) * 100) / 100)}, or a limit of at least ${atLeastMi((2 * cache + 1) * 2 ** 30)})`));
  }
  return out;
}

interface ResourcesBlock { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } }
const isResources = (o: Record<string, unknown>): o is Record<string, unknown> & ResourcesBlock => {
  const pair = (v: unknown) => typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).cpu === "string" && typeof (v as Record<string, unknown>).memory === "string";
  return pair(o.requests) && pair(o.limits);
};

/**
 * requests ≤ limits in every resources block of the stack — found by shape, so a block a new
 * component adds is covered without a rule of its own. Kubernetes rejects such a pod at admission
 * (after the cluster exists, mid-`up`); here it fails before anything is created. Parts that are
 * switched off (`enabled: false`) are not checked.
 */
function resourceProblems(node: unknown, at: string[], out: ConfigProblem[]): void {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  const o = node as Record<string, unknown>;
  if (o.enabled === false) return;
  if (isResources(o)) {
    for (const k of ["cpu", "memory"] as const) {
      if (quantityValue(o.requests[k]) > quantityValue(o.limits[k]))
        out.push(p(`${at.join(".")}.requests.${k}`, `${o.requests[k]} is above the limit ${o.limits[k]} (allowed: requests ≤ limits)`));
    }
    return;
  }
  for (const [k, v] of Object.entries(o)) resourceProblems(v, [...at, k], out);
}
