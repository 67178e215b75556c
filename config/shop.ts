/**
 * `statefleet:apps.shop` (seed 003): the course's shopping cart — order, payment and stock, each
 * replicated behind one gateway that strips `/orders`, `/payment`, `/stock`, each keeping its data
 * apart (its own Redis key prefix or MongoDB database). docs/shop.md.
 */
import { z } from "zod";
import type { ConfigProblem } from "./errors";
import { autoscaleSchema } from "./scaling";
import { hostName, pathPrefix, resourcesDefault } from "./common";
import type { Scaling } from "./types";

/** The three services, in the order the gateway lists them. */
export const SHOP_SERVICES = ["order", "payment", "stock"] as const;
export type ShopService = (typeof SHOP_SERVICES)[number];

/** The gateway prefix of each service (the course's routes: `/orders/…`, `/payment/…`, `/stock/…`). */
export const SHOP_PREFIXES: Record<ShopService, string> = { order: "/orders", payment: "/payment", stock: "/stock" };

/** The floor: each service runs at least 2 replicas (fixed or as the HPA's minimum). */
export const SHOP_MIN_REPLICAS = 2;

/** Replicas (default 2) or an HPA, and the container's resources, for one service. */
const serviceSchema = z
  .strictObject({
    /** Fixed replica count; exclusive with `autoscale`. At least 2: a checkout must survive losing a pod. */
    replicas: z.number().int().min(SHOP_MIN_REPLICAS).max(50).optional(),
    /** HPA (autoscaling/v2) instead of fixed replicas; `min` ≥ 2. */
    autoscale: autoscaleSchema.extend({ min: z.number().int().min(SHOP_MIN_REPLICAS).max(100) }).optional(),
    resources: resourcesDefault("50m", "96Mi", "500m", "256Mi"),
  })
  .prefault({});

/** `statefleet:apps.shop`. */
export const shopSchema = z
  .strictObject({
    /** Off unless asked for: it needs Redis or MongoDB as its store. */
    enabled: z.boolean().default(false),
    /** Where the three services keep their data: `redis` (Lua / MULTI) or `mongo` (conditional updates). */
    state: z.enum(["redis", "mongo"]).default("redis"),
    /** The gateway: `<path>/orders`, `<path>/payment`, `<path>/stock`, each prefix stripped. */
    exposure: z
      .strictObject({
        /** `ingress-nginx`, `istio-gateway`, or `none` (cluster-internal only). */
        via: z.enum(["ingress-nginx", "istio-gateway", "none"]).default("ingress-nginx"),
        /** Host of the routes; defaults to `ingress.host`. */
        host: hostName.optional(),
        /** Base under which the three prefixes sit (`/` = the course's `/orders`, …). */
        path: pathPrefix.default("/"),
      })
      .prefault({}),
    order: serviceSchema,
    payment: serviceSchema,
    stock: serviceSchema,
    /** The order service's checkout saga (the contract's `SHOP_*` variables). */
    saga: z
      .strictObject({
        /** `SHOP_SAGA_LEASE_MS`: how long a checkout's owner holds it before another replica may take over. */
        leaseMs: z.number().int().min(100).max(600_000).default(2000),
        /** `SHOP_RECOVERY_INTERVAL_MS`: how often each order replica looks for abandoned checkouts. */
        recoveryIntervalMs: z.number().int().min(50).max(600_000).default(1000),
        /** `SHOP_CALL_TIMEOUT_MS`: the order service's budget for one call to payment or stock. */
        callTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
      })
      .prefault({}),
  })
  .prefault({});

type ParsedShop = z.infer<typeof shopSchema>;
type ParsedService = ParsedShop["order"];

/** One service with its scaling resolved. */
export interface ShopServiceConfig {
  scaling: Scaling;
  resources: ParsedService["resources"];
}

/** The shop block with every service's scaling resolved. */
export type ShopConfig = Omit<ParsedShop, ShopService> & Record<ShopService, ShopServiceConfig>;

export function normaliseShop(s: ParsedShop): ShopConfig {
  const service = (v: ParsedService): ShopServiceConfig => ({
    scaling: v.autoscale ? { kind: "autoscale", ...v.autoscale } : { kind: "fixed", replicas: v.replicas ?? SHOP_MIN_REPLICAS },
    resources: v.resources,
  });
  return { ...s, order: service(s.order), payment: service(s.payment), stock: service(s.stock) };
}

/** The full paths the gateway routes for a base path: `/` → `/orders`, `/shop` → `/shop/orders`. */
export function shopPaths(base: string): Record<ShopService, string> {
  const b = base.replace(/\/+$/, "");
  return { order: `${b}${SHOP_PREFIXES.order}`, payment: `${b}${SHOP_PREFIXES.payment}`, stock: `${b}${SHOP_PREFIXES.stock}` };
}

/** The platform parts the shop depends on, as the config says they will be. */
export interface ShopPlatform {
  redis: boolean;
  mongo: boolean;
  ingressNginx: boolean;
  istioGateway: boolean;
}

/** Rules across the shop block and the platform (`at` is the path prefix, e.g. `statefleet:apps.shop`). */
export function shopProblems(s: ParsedShop, platform: ShopPlatform, at: string): ConfigProblem[] {
  if (!s.enabled) return [];
  const out: ConfigProblem[] = [];
  const p = (path: string, message: string) => out.push({ path: `${at}.${path}`, message });
  if (s.state === "redis" && !platform.redis)
    p("state", `"redis" needs Redis, but redis.enabled is false (allowed: mongo, or redis.enabled: true)`);
  if (s.state === "mongo" && !platform.mongo)
    p("state", `"mongo" needs MongoDB, but mongo.enabled is false (allowed: redis, or mongo.enabled: true)`);
  if (s.exposure.via === "ingress-nginx" && !platform.ingressNginx)
    p("exposure.via", `"ingress-nginx" but ingress.nginx.enabled is false (allowed: istio-gateway | none, or ingress.nginx.enabled: true)`);
  if (s.exposure.via === "istio-gateway" && !platform.istioGateway)
    p("exposure.via", `"istio-gateway" but the Istio gateway is off (allowed: ingress-nginx | none, or istio.enabled and istio.gateway.enabled: true)`);
  for (const svc of SHOP_SERVICES) {
    const v = s[svc];
    if (v.replicas !== undefined && v.autoscale) p(`${svc}.autoscale`, "set together with replicas (allowed: either replicas or autoscale)");
    if (v.autoscale) {
      if (v.autoscale.min > v.autoscale.max) p(`${svc}.autoscale.min`, `${v.autoscale.min} is above max ${v.autoscale.max} (allowed: min ≤ max)`);
    }
  }
  return out;
}
