/**
 * What every variant receives from the platform and data layers, and the two translations all
 * of them share: config exposure → WorkloadExposure, config state → WorkloadState.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ExposureConfig, StateStrategy } from "../../config/apps";
import type { EntryPoints } from "../cluster/types";
import type { FlaggerInfo, IngressNginxInfo, IstioInfo, MongoInfo, MonitoringInfo, RedisInfo, RwxStorage } from "../contracts";
import { entryPoint } from "../platform/entry-points";
import type { WorkloadExposure, WorkloadState } from "../workload";

/** Each field is undefined when that part of the platform is off. */
export interface AppPlatform {
  ingressNginx?: IngressNginxInfo;
  istio?: IstioInfo;
  monitoring?: MonitoringInfo;
  storage?: RwxStorage;
  redis?: RedisInfo;
  mongo?: MongoInfo;
  /** Flagger, installed when a variant releases by progressive delivery (`apps.sms.rollout: flagger`). */
  flagger?: FlaggerInfo;
}

/**
 * The exposure a config block asks for. Config rules reject an entry point that is off; the
 * errors here only guard against a caller that skipped them.
 */
export function exposureOf(key: string, exposure: ExposureConfig, platform: AppPlatform, defaultHost: string, cookieName?: string): WorkloadExposure | undefined {
  const host = exposure.host ?? defaultHost;
  switch (exposure.via) {
    case "none":
      return undefined;
    case "ingress-nginx":
      if (!platform.ingressNginx) throw new Error(`${key}.exposure.via: ingress-nginx is not installed`);
      return { via: "ingress-nginx", ingress: platform.ingressNginx, host, path: exposure.path, stripPrefix: exposure.stripPrefix, ...(cookieName ? { cookieAffinity: { cookieName } } : {}) };
    case "istio-gateway":
      if (!platform.istio?.gateway) throw new Error(`${key}.exposure.via: the Istio gateway is not installed`);
      return { via: "istio-gateway", istio: platform.istio, host, path: exposure.path, stripPrefix: exposure.stripPrefix };
  }
}

/** The WorkloadState of a state strategy; `claimName` names the RWX claim when one is needed. */
export function stateOf(key: string, state: StateStrategy, platform: AppPlatform, claim: { name: string; namespace: string; size: string }): WorkloadState {
  switch (state) {
    case "pod":
      return { kind: "pod", size: claim.size };
    case "shared-volume":
      if (!platform.storage) throw new Error(`${key}.state: shared-volume needs ReadWriteMany storage, which is off`);
      return { kind: "shared-volume", claim: platform.storage.claim(claim.name, { namespace: claim.namespace, size: claim.size }) };
    case "redis":
      if (!platform.redis) throw new Error(`${key}.state: redis needs Redis, which is off`);
      return { kind: "redis", redis: platform.redis };
    case "mongo":
      if (!platform.mongo) throw new Error(`${key}.state: mongo needs MongoDB, which is off`);
      return { kind: "mongo", mongo: platform.mongo };
  }
}

/** Where an exposed app is reached: entry point, host, path prefix, and the page to open there. */
export interface AppRoute {
  via: "ingress-nginx" | "istio-gateway";
  /** "" = any host. */
  host: string;
  path: string;
  /** The app's own path behind the prefix that shows the variant at work (`/`, `/pingpong`). */
  page: string;
}

/** What every variant component takes: its config block plus what the layers above provide. */
export interface VariantArgs<C> {
  config: C;
  /** The app image (`AppImage.ref`). */
  image: pulumi.Input<string>;
  /** The apps' namespace. */
  namespace: string;
  /** Route host when an exposure sets none (`ingress.host`). */
  defaultHost: string;
  platform: AppPlatform;
  /** Resources every object waits for (the namespace). */
  dependsOn?: pulumi.Resource[];
}

/** The route of an exposure, for the stack outputs. */
export function routeOf(exposure: WorkloadExposure | undefined, page = "/"): AppRoute | undefined {
  return exposure ? { via: exposure.via, host: exposure.host, path: exposure.path, page } : undefined;
}

/**
 * The URL an operator opens: the entry point's URL (`http://<host>:<port>` on k3d,
 * `http://<host or EXTERNAL-IP>` on AKS; see entry-points.ts) + the path + the page.
 */
export function appUrl(entry: EntryPoints, route: AppRoute | undefined): string | undefined {
  if (!route) return undefined;
  const prefix = route.path.replace(/\/+$/, "");
  const tail = `${prefix}${route.page === "/" && prefix !== "" ? "" : route.page}` || "/";
  return `${entryPoint(entry, route.via, route.host).url}${tail}`;
}
