import { z } from "zod";
import { hostName, pathPrefix, quantity, resourcesDefault } from "./common";
import { autoscaleSchema } from "./scaling";
import { shopSchema } from "./shop";
import { smsSchema } from "./sms";

/** Where a variant's traffic comes in. */
export const exposureSchema = (defaultPath: string, stripPrefixDefault = true) =>
  z
    .strictObject({
      /** `ingress-nginx`, `istio-gateway`, or `none` (cluster-internal only). */
      via: z.enum(["ingress-nginx", "istio-gateway", "none"]).default("ingress-nginx"),
      /** Host of the route; defaults to `ingress.host`. */
      host: hostName.optional(),
      /** Path prefix of the route. */
      path: pathPrefix.default(defaultPath),
      /**
       * true: the prefix is removed before the request reaches the app (`<path>/x` → `/x`).
       * false: the app sees the path as requested (pingpong serves `/pingpong` itself).
       */
      stripPrefix: z.boolean().default(stripPrefixDefault),
    })
    .prefault({});
export type ExposureConfig = z.infer<ReturnType<typeof exposureSchema>>;

// In its own module so that config/sms.ts can use it without importing this file back.
export { autoscaleSchema, type AutoscaleConfig } from "./scaling";

/** Keys every variant has: on/off, scaling (replicas XOR autoscale), resources. */
const common = {
  enabled: z.boolean().default(true),
  /** Fixed replica count; exclusive with `autoscale`. Defaults to 1 when neither is set. */
  replicas: z.number().int().min(1).max(50).optional(),
  /** HPA (autoscaling/v2) instead of fixed replicas. */
  autoscale: autoscaleSchema.optional(),
  resources: resourcesDefault("50m", "64Mi", "500m", "192Mi"),
};

/** Where the counts live. */
export const stateStrategy = z.enum(["pod", "shared-volume", "redis", "mongo"]);
export type StateStrategy = z.infer<typeof stateStrategy>;

/** stats (seed 000): one line per (client, server) pair, replicas behind one entry. */
export const statsSchema = z
  .strictObject({
    ...common,
    /** `pod` by default: the seed's behaviour, harmless at the default of 1 replica; scale it and the problem shows. */
    state: stateStrategy.default("pod"),
    /**
     * `none`; `client-ip` (Service ClientIP, plus a source-IP hash for Envoy when Istio is on; no
     * effect through ingress-nginx); `cookie` (ingress-nginx cookie, needs exposure via ingress-nginx).
     */
    affinity: z.enum(["none", "client-ip", "cookie"]).default("none"),
    /** ClientIP affinity timeout (Service `sessionAffinityConfig`). */
    clientIpTimeoutSeconds: z.number().int().min(1).max(86400).default(10800),
    /** Name of the ingress-nginx affinity cookie. */
    cookieName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "not a cookie name (allowed: letters, digits, '_', '-', up to 64)" }).default("STATEFLEET_AFFINITY"),
    /** Take the client from the first X-Forwarded-For hop (only behind a proxy you run). */
    trustProxy: z.boolean().default(true),
    /** Size of the pod / shared volume that keeps the counts. */
    storageSize: quantity.default("256Mi"),
    exposure: exposureSchema("/stats"),
  })
  .prefault({});

/** pingpong + logoutput (seed 001): a counter that survives pods. */
export const pingpongSchema = z
  .strictObject({
    ...common,
    /** `shared-volume` by default: the course's 1.11 (the count survives the pod), one replica. */
    state: stateStrategy.default("shared-volume"),
    /** Size of the pod / shared volume that keeps the counter. */
    storageSize: quantity.default("256Mi"),
    // The app serves `/pingpong` itself, so `curl <host>/pingpong` answers `pong N` as in the course.
    exposure: exposureSchema("/pingpong", false),
    /** The logoutput reader that shows the count every 5 s. */
    logoutput: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** `store`: read the same store; `http`: ask pingpong's /pings. */
        readVia: z.enum(["store", "http"]).default("store"),
        /** logoutput only formats a line every 5 s: a fraction of pingpong's budget. */
        resources: resourcesDefault("20m", "48Mi", "200m", "128Mi"),
        exposure: exposureSchema("/"),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * api (seed 002): every `/api/data` writes 5 documents and reads 5 ids from one throttled MongoDB.
 * Off by default: it needs MongoDB, which is off by default too.
 */
export const apiSchema = z
  .strictObject({
    ...common,
    enabled: z.boolean().default(false),
    /** Per pod; `workers` processes share it (config rules ask for ≥ 100m CPU and ≥ 96Mi memory per worker). */
    resources: resourcesDefault("100m", "128Mi", "1", "256Mi"),
    /**
     * `direct`: the seed's original, 5 `insertOne` per request. `batched`: write-behind with group
     * commit; a request is answered once the `insertMany` holding its documents has committed.
     */
    writes: z.enum(["direct", "batched"]).default("batched"),
    /** `batched`: most documents in one `insertMany` (≥ 5: one request's documents fit one batch). */
    batchMaxDocs: z.number().int().min(5).max(100000).default(500),
    /** `batched`: longest a document waits for its batch to fill before the batch is sent anyway. */
    batchMaxWaitMs: z.number().int().min(0).max(10000).default(10),
    /** `batched`: documents queued per worker before new requests get 503 + `Retry-After` (backpressure). */
    queueMaxDocs: z.number().int().min(5).max(10000000).default(20000),
    /** `redis`: read ids come from Redis, refreshed by at most one request per pod per TTL. */
    cache: z.enum(["none", "redis"]).default("none"),
    /** How long cached read ids are served before one request refreshes them. */
    cacheTtlSeconds: z.number().int().min(1).max(3600).default(5),
    /** Node.js processes per pod, each with its own Mongo pool and batcher. */
    workers: z.number().int().min(1).max(32).default(1),
    /** Take the client from the first X-Forwarded-For hop (only behind a proxy you run). */
    trustProxy: z.boolean().default(true),
    // The prefix is stripped: `<path>/api/data`, `<path>/readyz` reach the app's own routes.
    exposure: exposureSchema("/api"),
  })
  .prefault({});

/** The app variants. */
export const appsSchema = z
  .strictObject({
    stats: statsSchema,
    pingpong: pingpongSchema,
    api: apiSchema,
    sms: smsSchema,
    shop: shopSchema,
  })
  .prefault({});
