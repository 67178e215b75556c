/**
 * The Istio routing of the sms variant as plain specs (no Pulumi), so the routing evaluator in
 * test/ can check them and the variant creates exactly what was checked.
 *
 * Why a version cookie: a DestinationRule's consistent-hash cookie picks a pod *inside* the
 * subset the route already chose; it does not keep a user on v1 vs v2 under a weighted route
 * (istio/istio#9764), and Envoy's generated cookie holds a hash, never `v1`/`v2`. So `sms-app`
 * sets `<cookie>=<its version>` itself, and rules matching that cookie come before the split.
 */
import type { SmsConfig } from "../../config/types";

export const APP_VERSIONS = ["v1", "v2"] as const;
export type AppVersion = (typeof APP_VERSIONS)[number];
/** The shadow model version: gets a copy of model calls, never answers a user. */
export const SHADOW_VERSION = "v3";
/** The label routing selects versions by (Istio's convention), and its sibling `app`. */
export const VERSION_LABEL = "version";
export const APP_LABEL = "app";
/** Response header naming the app version that answered. */
export const VERSION_HEADER = "x-app-version";

/** Escapes a string for a regex (RE2 and JavaScript agree on these). */
function quote(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * RE2 for a `Cookie` header that carries `<name>=<version>` as a whole cookie (not as the tail of
 * another cookie's name or the head of `v10`). Envoy matches `regex` against the whole value.
 */
export function versionCookieRegex(cookieName: string, version: string): string {
  return `^(.*;\\s*)?${quote(cookieName)}=${quote(version)}(;.*)?$`;
}

export interface SmsHosts {
  /** The external host the gateway routes (`exposure.host`). */
  external: string;
  /** `<namespace>/<name>` of the shared Gateway. */
  gateway: string;
  /** FQDN of the app's Service (every app version behind it). */
  app: string;
  /** FQDN of the model's Service (every model version behind it). */
  model: string;
  /** The Services' port. */
  port: number;
}

/** Seconds as an Istio duration. */
const seconds = (s: number) => `${Number(s.toFixed(3))}s`;

/** The app's VirtualService: version-cookie rules first (one per version that still gets traffic), then the weighted split. */
export function appVirtualServiceSpec(c: SmsConfig, h: SmsHosts) {
  const destination = (v: AppVersion) => ({
    destination: { host: h.app, port: { number: h.port }, subset: v },
    headers: { response: { set: { [VERSION_HEADER]: v } } },
  });
  const policy = {
    timeout: seconds(c.route.timeoutSeconds),
    ...(c.route.retries > 0
      ? { retries: { attempts: c.route.retries, perTryTimeout: seconds(c.route.perTryTimeoutSeconds), retryOn: "connect-failure,refused-stream,reset" } }
      : {}),
  };
  // A version at weight 0 is being drained: its returning users go through the split (and get a new cookie).
  const live = APP_VERSIONS.filter((v) => c.weights[v] > 0);
  return {
    hosts: [h.external],
    gateways: [h.gateway],
    http: [
      ...live.map((v) => ({
        name: `sticky-${v}`,
        match: [{ headers: { cookie: { regex: versionCookieRegex(c.stickiness.cookieName, v) } } }],
        route: [destination(v)],
        ...policy,
      })),
      {
        name: "split",
        route: live.map((v) => ({ ...destination(v), ...(live.length > 1 ? { weight: c.weights[v] } : {}) })),
        ...policy,
      },
    ],
  };
}

/** Subsets by the `version` label, connection limits, and outlier detection that fits each service. */
export function appDestinationRuleSpec(h: SmsHosts) {
  return {
    host: h.app,
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 50, http2MaxRequests: 100 } },
      // Only the app's own failures eject an app pod: its 502/504s report a model problem,
      // and ejecting healthy app pods for them would only shrink the app.
      outlierDetection: {
        splitExternalLocalOriginErrors: true,
        consecutiveLocalOriginFailures: 5,
        consecutive5xxErrors: 0,
        interval: "30s",
        baseEjectionTime: "30s",
        maxEjectionPercent: 50,
      },
    },
    subsets: APP_VERSIONS.map((v) => ({ name: v, labels: { [VERSION_LABEL]: v } })),
  };
}

/** Model versions that run: v1, v2, and the shadow when it is on. */
export function modelVersions(c: SmsConfig): string[] {
  return c.shadow.enabled ? [...APP_VERSIONS, SHADOW_VERSION] : [...APP_VERSIONS];
}

/**
 * The model's VirtualService: a caller's `version` picks the model version (app v1 → model v1,
 * v2 → v2, anyone else → v1), and every route copies the call to the shadow.
 */
export function modelVirtualServiceSpec(c: SmsConfig, h: SmsHosts, appName: string) {
  const to = (v: string) => ({ host: h.model, port: { number: h.port }, subset: v });
  const mirror = c.shadow.enabled && c.shadow.mirrorPercent > 0 ? { mirror: to(SHADOW_VERSION), mirrorPercentage: { value: c.shadow.mirrorPercent } } : {};
  const timeout = { timeout: seconds(c.model.timeoutSeconds) };
  return {
    hosts: [h.model],
    http: [
      ...APP_VERSIONS.map((v) => ({
        name: `from-app-${v}`,
        match: [{ sourceLabels: { [APP_LABEL]: appName, [VERSION_LABEL]: v } }],
        route: [{ destination: to(v) }],
        ...mirror,
        ...timeout,
      })),
      { name: "default", route: [{ destination: to("v1") }], ...mirror, ...timeout },
    ],
  };
}

export function modelDestinationRuleSpec(c: SmsConfig, h: SmsHosts) {
  return {
    host: h.model,
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 50 }, http: { http1MaxPendingRequests: 20, http2MaxRequests: 50 } },
      outlierDetection: { consecutive5xxErrors: 3, interval: "60s", baseEjectionTime: "60s", maxEjectionPercent: 50 },
    },
    subsets: modelVersions(c).map((v) => ({ name: v, labels: { [VERSION_LABEL]: v } })),
  };
}
