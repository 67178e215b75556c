/**
 * `statefleet:apps.sms` (seed 004): the SMS spam checker on Istio — app v1 stable / v2 canary,
 * model v1 / v2 by the caller's version, shadow model v3 on mirrored traffic, a version cookie
 * that keeps users on their version, an alert on request rate, Grafana dashboards.
 */
import { z } from "zod";
import type { ConfigProblem } from "./errors";
import { autoscaleSchema } from "./scaling";
import { hostName, resourcesDefault } from "./common";
import type { Scaling } from "./types";

/** The seed's replica table: app v1 ×3, app v2 ×1, model v1 ×3, v2 ×1, shadow v3 ×1. */
export const SMS_DEFAULT_REPLICAS = { app: { v1: 3, v2: 1 }, model: { v1: 3, v2: 1 }, shadow: 1 } as const;

/** Replicas (default: the seed's table) or an HPA for one version's Deployment. */
const versionScaling = z
  .strictObject({
    /** Fixed replica count; exclusive with `autoscale`. */
    replicas: z.number().int().min(1).max(50).optional(),
    /** HPA (autoscaling/v2) instead of fixed replicas. */
    autoscale: autoscaleSchema.optional(),
  })
  .prefault({});

const percent = z.number().int().min(0).max(100);
/** A Go duration in whole seconds or minutes, as Flagger's `interval` fields take it. */
const duration = z.string().regex(/^[1-9][0-9]*(s|m)$/, { message: "not a duration (allowed: whole seconds or minutes, e.g. 30s, 1m)" });

/** The bad-version switch of `sms-app` (`SMS_FAULT`): `http-500` answers every prediction with a 500. */
export const SMS_FAULTS = ["none", "http-500"] as const;

/** `apps.sms.flagger`: progressive delivery of `sms-app` by Flagger (read only with `rollout: flagger`). */
const flaggerSchema = z
  .strictObject({
    /** The version the app Deployment runs (`APP_VERSION`, and the model version it calls). Changing it is a release. */
    version: z.enum(["v1", "v2"]).default("v1"),
    /** Replicas of the app (Flagger gives the primary the same); exclusive with `autoscale`. */
    replicas: z.number().int().min(1).max(50).optional(),
    /** HPA for the app; Flagger copies it for the primary. */
    autoscale: autoscaleSchema.optional(),
    /** The bad-version switch (`SMS_FAULT`): `http-500` makes the released version answer 500s, to rehearse a rollback. */
    fault: z.enum(SMS_FAULTS).default("none"),
    /** Time between two analysis steps (Flagger `analysis.interval`). */
    interval: duration.default("30s"),
    /** Failed checks before Flagger rolls back (`analysis.threshold`). */
    threshold: z.number().int().min(1).max(100).default(5),
    /** Canary weight added per step, percent (`analysis.stepWeight`). */
    stepWeight: z.number().int().min(1).max(100).default(10),
    /** Canary weight at which Flagger promotes, percent (`analysis.maxWeight`). */
    maxWeight: z.number().int().min(1).max(100).default(50),
    /** Range of the metric queries (`{{ interval }}`): at least two scrapes of the app (30 s each). */
    metricWindow: duration.default("1m"),
    /** Lowest share of non-5xx prediction answers of the canary, percent. */
    minSuccessPercent: z.number().min(0).max(100).default(99),
    /** Highest p99 prediction latency of the canary, milliseconds. */
    maxLatencyP99Ms: z.number().positive().max(60_000).default(1000),
    /** Seconds a release may make no progress before Flagger rolls it back (`progressDeadlineSeconds`). */
    progressDeadlineSeconds: z.number().int().min(60).max(7200).default(600),
    /** Cookie Flagger sets on the canary's answers and routes back to the canary (`sessionAffinity.cookieName`). */
    canaryCookie: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "not a cookie name (allowed: letters, digits, '_', '-', up to 64)" }).default("sms-canary"),
    /** Cookie Flagger sets on the primary's answers during a release and routes back to the primary (`sessionAffinity.primaryCookieName`, Flagger ≥ 1.43). */
    primaryCookie: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "not a cookie name (allowed: letters, digits, '_', '-', up to 64)" }).default("sms-primary"),
  })
  .prefault({});

/** `statefleet:apps.sms`. */
export const smsSchema = z
  .strictObject({
    /** Off unless asked for: it needs Istio with its ingress gateway. */
    enabled: z.boolean().default(false),
    /**
     * How a new app version reaches users: `static` (Deployments v1 and v2, the split in `weights`,
     * changed by hand) or `flagger` (one Deployment, Flagger shifts traffic to the new version step
     * by step while Prometheus says it is healthy, and rolls back by itself; needs monitoring).
     */
    rollout: z.enum(["static", "flagger"]).default("static"),
    /** Progressive delivery by Flagger: read only with `rollout: flagger`. */
    flagger: flaggerSchema,
    /** The Istio gateway is the only entry point: the canary split, stickiness and mirror are mesh routing. */
    exposure: z
      .strictObject({
        via: z.literal("istio-gateway", { message: "the sms variant is routed by Istio (allowed: istio-gateway)" }).default("istio-gateway"),
        /** The app's own host (it serves `/`, `/sms/`, `/metrics` at the root, as in the seed). */
        host: hostName.default("sms-checker.localhost"),
        /** Always `/`: the app owns its host. */
        path: z.literal("/", { message: "the sms app owns its host (allowed: /)" }).default("/"),
      })
      .prefault({}),
    /** The front end (`sms-app`): replicas per version (seed: v1 ×3, v2 ×1) and container resources. */
    app: z
      .strictObject({
        v1: versionScaling,
        v2: versionScaling,
        resources: resourcesDefault("25m", "64Mi", "500m", "160Mi"),
      })
      .prefault({}),
    /** The classifier (`sms-model`): replicas per version (seed: v1 ×3, v2 ×1). */
    model: z
      .strictObject({
        v1: versionScaling,
        v2: versionScaling,
        resources: resourcesDefault("25m", "80Mi", "500m", "192Mi"),
        /** The app's budget for one model call; past it the user gets a 504. */
        timeoutSeconds: z.number().min(0.1).max(60).default(5),
      })
      .prefault({}),
    /** Model v3 as a shadow: it gets a copy of model calls and its answers are thrown away. */
    shadow: z
      .strictObject({
        enabled: z.boolean().default(true),
        replicas: z.number().int().min(1).max(50).optional(),
        autoscale: autoscaleSchema.optional(),
        /** Share of model calls copied to v3, percent (Istio `mirrorPercentage`). */
        mirrorPercent: z.number().min(0).max(100).default(100),
      })
      .prefault({}),
    /** New users' split between app v1 and v2, percent; must add up to 100. A version at 0 also loses its returning users. */
    weights: z
      .strictObject({
        v1: percent.default(90),
        v2: percent.default(10),
      })
      .prefault({}),
    /** The version cookie `sms-app` sets and the VirtualService matches ahead of the weighted route. */
    stickiness: z
      .strictObject({
        cookieName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "not a cookie name (allowed: letters, digits, '_', '-', up to 64)" }).default("user-session"),
        /** How long a browser keeps its version. */
        maxAgeSeconds: z.number().int().min(60).max(31_536_000).default(3600),
      })
      .prefault({}),
    /** The app route at the gateway: overall timeout and retries of failed connections. */
    route: z
      .strictObject({
        timeoutSeconds: z.number().int().min(1).max(300).default(30),
        /** Retries when the app could not be reached (connect-failure, refused-stream, reset); never on the app's own 5xx. */
        retries: z.number().int().min(0).max(10).default(3),
        perTryTimeoutSeconds: z.number().int().min(1).max(300).default(10),
      })
      .prefault({}),
    /** PrometheusRule `HighRequestRate` (needs monitoring). */
    alert: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Fires when all app pods together take more prediction requests per minute than this (seed: 15). */
        requestsPerMinute: z.number().positive().max(1_000_000).default(15),
        /** How long the rate must stay above the threshold (Prometheus duration). */
        for: z.string().regex(/^[0-9]+[smh]$/, { message: "not a duration (allowed: e.g. 30s, 2m, 1h)" }).default("2m"),
        severity: z.enum(["info", "warning", "critical"]).default("warning"),
      })
      .prefault({}),
    /** Grafana dashboards (overview, A/B) as ConfigMaps for the chart's dashboard sidecar (needs monitoring). */
    dashboards: z.boolean().default(true),
  })
  .prefault({});

type ParsedSms = z.infer<typeof smsSchema>;

/** The sms block with every version's scaling resolved. */
export type SmsConfig = Omit<ParsedSms, "app" | "model" | "shadow" | "flagger"> & {
  flagger: Omit<ParsedSms["flagger"], "replicas" | "autoscale"> & { scaling: Scaling };
  app: Omit<ParsedSms["app"], "v1" | "v2"> & { v1: Scaling; v2: Scaling };
  model: Omit<ParsedSms["model"], "v1" | "v2"> & { v1: Scaling; v2: Scaling };
  shadow: { enabled: boolean; scaling: Scaling; mirrorPercent: number };
};

function scalingOf(s: { replicas?: number; autoscale?: z.infer<typeof autoscaleSchema> }, replicas: number): Scaling {
  return s.autoscale ? { kind: "autoscale", ...s.autoscale } : { kind: "fixed", replicas: s.replicas ?? replicas };
}

export function normaliseSms(s: ParsedSms): SmsConfig {
  const d = SMS_DEFAULT_REPLICAS;
  return {
    ...s,
    app: { ...s.app, v1: scalingOf(s.app.v1, d.app.v1), v2: scalingOf(s.app.v2, d.app.v2) },
    model: { ...s.model, v1: scalingOf(s.model.v1, d.model.v1), v2: scalingOf(s.model.v2, d.model.v2) },
    shadow: { enabled: s.shadow.enabled, scaling: scalingOf(s.shadow, d.shadow), mirrorPercent: s.shadow.mirrorPercent },
    flagger: (({ replicas: _r, autoscale: _a, ...rest }) => ({ ...rest, scaling: scalingOf(s.flagger, d.app.v1) }))(s.flagger),
  };
}

/** Rules across the sms block and the platform (`at` is the path prefix, e.g. `statefleet:apps.sms`). */
export function smsProblems(s: ParsedSms, platform: { monitoring: boolean; istio: boolean }, at: string): ConfigProblem[] {
  if (!s.enabled) return [];
  const out: ConfigProblem[] = [];
  const p = (path: string, message: string) => out.push({ path: `${at}.${path}`, message });
  const sum = s.weights.v1 + s.weights.v2;
  if (sum !== 100) p("weights", `v1 ${s.weights.v1} + v2 ${s.weights.v2} = ${sum} (allowed: two percentages that add up to 100, e.g. 90 and 10)`);
  const scalings: [string, { replicas?: number; autoscale?: { min: number; max: number } }][] = [
    ["app.v1", s.app.v1],
    ["app.v2", s.app.v2],
    ["model.v1", s.model.v1],
    ["model.v2", s.model.v2],
    ["shadow", s.shadow],
  ];
  for (const [key, v] of scalings) {
    if (v.replicas !== undefined && v.autoscale) p(`${key}.autoscale`, "set together with replicas (allowed: either replicas or autoscale)");
    if (v.autoscale && v.autoscale.min > v.autoscale.max) p(`${key}.autoscale.min`, `${v.autoscale.min} is above max ${v.autoscale.max} (allowed: min ≤ max)`);
  }
  if (s.route.perTryTimeoutSeconds > s.route.timeoutSeconds)
    p("route.perTryTimeoutSeconds", `${s.route.perTryTimeoutSeconds} is above route.timeoutSeconds ${s.route.timeoutSeconds} (allowed: ≤ the overall timeout)`);
  if (s.model.timeoutSeconds >= s.route.timeoutSeconds)
    p("model.timeoutSeconds", `${s.model.timeoutSeconds} is not below route.timeoutSeconds ${s.route.timeoutSeconds}: the gateway would cut the request before the app can answer 504 (allowed: a smaller value)`);
  if (s.rollout === "flagger") out.push(...flaggerProblems(s.flagger, platform, `${at}`));
  if (!platform.monitoring) {
    if (s.alert.enabled) p("alert.enabled", "true while monitoring.enabled is false: nothing would evaluate the rule (allowed: false, or enable monitoring)");
    if (s.dashboards) p("dashboards", "true while monitoring.enabled is false: there is no Grafana to load them (allowed: false, or enable monitoring)");
  }
  return out;
}

/** Seconds of a `30s` / `2m` duration. */
export function durationSeconds(d: string): number {
  const n = Number(d.slice(0, -1));
  return d.endsWith("m") ? n * 60 : n;
}

/** The scrape interval of the app's ServiceMonitor (components/service-monitor.ts), seconds. */
export const APP_SCRAPE_SECONDS = 30;

/** `rollout: flagger` needs the mesh (Flagger drives Istio routing) and Prometheus (it judges each step by it). */
function flaggerProblems(f: ParsedSms["flagger"], platform: { monitoring: boolean; istio: boolean }, at: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const p = (path: string, message: string) => out.push({ path: `${at}.${path}`, message });
  if (!platform.istio) p("rollout", "flagger while istio.enabled is false: Flagger shifts traffic with Istio routing (allowed: static, or enable istio)");
  if (!platform.monitoring) p("rollout", "flagger while monitoring.enabled is false: Flagger judges every step by Prometheus metrics (allowed: static, or enable monitoring)");
  if (f.replicas !== undefined && f.autoscale) p("flagger.autoscale", "set together with replicas (allowed: either replicas or autoscale)");
  if (f.autoscale && f.autoscale.min > f.autoscale.max) p("flagger.autoscale.min", `${f.autoscale.min} is above max ${f.autoscale.max} (allowed: min ≤ max)`);
  if (f.stepWeight > f.maxWeight) p("flagger.stepWeight", `${f.stepWeight} is above maxWeight ${f.maxWeight}: the first step would already pass promotion (allowed: ≤ maxWeight)`);
  if (durationSeconds(f.metricWindow) < 2 * APP_SCRAPE_SECONDS)
    p("flagger.metricWindow", `${f.metricWindow} holds fewer than two scrapes of the app (every ${APP_SCRAPE_SECONDS}s), so rate() has no value (allowed: at least ${2 * APP_SCRAPE_SECONDS}s, e.g. 1m)`);
  if (f.canaryCookie === f.primaryCookie) p("flagger.primaryCookie", `the same name as canaryCookie (${f.canaryCookie}) (allowed: a different cookie name)`);
  return out;
}
