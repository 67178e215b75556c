import type { ParsedStack } from "./schema";
import type { ConfigProblem } from "./errors";

const NS = "statefleet";
const p = (path: string, message: string): ConfigProblem => ({ path: `${NS}:${path}`, message });

type AppKey = keyof ParsedStack["apps"];
interface AppLike {
  enabled: boolean;
  replicas?: number;
  autoscale?: { min: number; max: number };
  state: string;
  exposure: { via: string };
}

/** Rules that span keys: backing services, entry points, scaling, cluster kind. */
export function crossFieldProblems(cfg: ParsedStack): ConfigProblem[] {
  const out: ConfigProblem[] = [];
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
    if (!app.enabled) continue;
    const at = `apps.${key}`;
    if (app.replicas !== undefined && app.autoscale)
      out.push(p(`${at}.autoscale`, `set together with replicas (allowed: either replicas or autoscale)`));
    if (app.autoscale && app.autoscale.min > app.autoscale.max)
      out.push(p(`${at}.autoscale.min`, `${app.autoscale.min} is above max ${app.autoscale.max} (allowed: min ≤ max)`));
    out.push(...backingProblems(cfg, `${at}.state`, app.state));
    out.push(...exposureProblems(cfg, `${at}.exposure.via`, app.exposure.via));
  }

  const stats = cfg.apps.stats;
  if (stats.enabled && stats.affinity === "cookie" && stats.exposure.via !== "ingress-nginx")
    out.push(p("apps.stats.affinity", `"cookie" needs exposure.via ingress-nginx, which sets the cookie (allowed: none | client-ip, or apps.stats.exposure.via: ingress-nginx)`));

  const pp = cfg.apps.pingpong;
  if (pp.enabled) {
    const many = (pp.replicas ?? 1) > 1 || pp.autoscale !== undefined;
    if (pp.state === "shared-volume" && many)
      out.push(p("apps.pingpong.state", `"shared-volume" keeps one counter file with a single writer, so pingpong must run 1 replica (allowed: replicas: 1, or state: redis to scale)`));
    if (pp.state === "pod" && many)
      out.push(p("apps.pingpong.state", `"pod" gives every replica its own counter, so "pong N" would repeat numbers (allowed: replicas: 1, or state: redis to scale)`));
    if (pp.logoutput.enabled) {
      if (pp.logoutput.readVia === "store" && pp.state === "pod")
        out.push(p("apps.pingpong.logoutput.readVia", `"store" cannot read pingpong's pod-local volume (allowed: http, or pingpong state: shared-volume | redis)`));
      out.push(...exposureProblems(cfg, "apps.pingpong.logoutput.exposure.via", pp.logoutput.exposure.via));
    }
  } else if (pp.logoutput.enabled) {
    out.push(p("apps.pingpong.logoutput.enabled", `true while pingpong is disabled; logoutput shows pingpong's count (allowed: false, or enable apps.pingpong)`));
  }
  return out;
}

function backingProblems(cfg: ParsedStack, path: string, state: string): ConfigProblem[] {
  if (state === "shared-volume" && !cfg.storage.enabled) return [p(path, `"shared-volume" needs ReadWriteMany storage, but storage.enabled is false (allowed: pod | redis, or storage.enabled: true)`)];
  if (state === "redis" && !cfg.redis.enabled) return [p(path, `"redis" needs Redis, but redis.enabled is false (allowed: pod | shared-volume, or redis.enabled: true)`)];
  return [];
}

function exposureProblems(cfg: ParsedStack, path: string, via: string): ConfigProblem[] {
  if (via === "ingress-nginx" && !cfg.ingress.nginx.enabled) return [p(path, `"ingress-nginx" but ingress.nginx.enabled is false (allowed: istio-gateway | none, or ingress.nginx.enabled: true)`)];
  if (via === "istio-gateway" && !(cfg.istio.enabled && cfg.istio.gateway.enabled)) return [p(path, `"istio-gateway" but the Istio gateway is off (allowed: ingress-nginx | none, or istio.enabled and istio.gateway.enabled: true)`)];
  return [];
}
