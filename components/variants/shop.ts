import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SHOP_SERVICES, shopPaths, type ShopService } from "../../config/shop";
import type { ShopConfig } from "../../config/types";
import type { MongoAppDatabase } from "../contracts";
import { labels, selectorLabels } from "../k8s";
import { Workload, type WorkloadState } from "../workload";
import { exposureOf, type AppRoute, type VariantArgs } from "./platform";
import { shopDashboard } from "./shop-dashboard";

export type ShopAppArgs = VariantArgs<ShopConfig>;

/** Each service's Redis key prefix: it touches no key outside it (the role's own default, spelled out). */
export function shopRedisKeyPrefix(service: ShopService): string {
  return `statefleet:shop-${service}:`;
}

/** Each service's own MongoDB database (the path of its `MONGO_URL`). */
export const SHOP_DATABASES: Record<ShopService, MongoAppDatabase> = { order: "shop_order", payment: "shop_payment", stock: "shop_stock" };

/** The order service's saga settings (docs/shop.md). */
export function shopSagaEnv(c: ShopConfig): { name: string; value: string }[] {
  return [
    { name: "SHOP_SAGA_LEASE_MS", value: String(c.saga.leaseMs) },
    { name: "SHOP_RECOVERY_INTERVAL_MS", value: String(c.saga.recoveryIntervalMs) },
    { name: "SHOP_CALL_TIMEOUT_MS", value: String(c.saga.callTimeoutMs) },
  ];
}

/**
 * The shop (seed 003): order, payment and stock, each a Workload of its own role with ≥ 2 replicas
 * (or an HPA), behind one entry point that routes `/orders`, `/payment`, `/stock` with the prefix
 * stripped — the course's nginx balancer. Each service keeps its data apart (its own Redis key
 * prefix or MongoDB database); payment and stock admit only the entry point and order, and order
 * calls nobody but them. With monitoring on, a Grafana dashboard as well.
 */
export class ShopApp extends pulumi.ComponentResource {
  /** Workloads by service. */
  public readonly workloads = {} as Record<ShopService, Workload>;
  /** Where the gateway base is reached from outside (undefined when not exposed): `<url>/orders/…`. */
  public readonly route?: AppRoute;

  constructor(name: string, args: ShopAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:variants:ShopApp", name, {}, opts);
    const c = args.config;
    const key = "statefleet:apps.shop";
    const platform = args.platform;
    const redis = platform.redis;
    const mongo = platform.mongo;
    if (c.state === "redis" && !redis) throw new Error(`${key}.state: redis needs Redis, which is off`);
    if (c.state === "mongo" && !mongo) throw new Error(`${key}.state: mongo needs MongoDB, which is off`);
    const paths = shopPaths(c.exposure.path);
    const nameOf = (svc: ShopService) => `${name}-${svc}`;
    const order = selectorLabels(nameOf("order"));
    const common = { namespace: args.namespace, image: args.image, monitoring: platform.monitoring, mesh: platform.istio, dependsOn: args.dependsOn };

    // payment and stock first: order is handed their Service URLs.
    for (const svc of ["payment", "stock", "order"] as const) {
      const role = `shop-${svc}`;
      const state: WorkloadState =
        c.state === "redis" ? { kind: "redis", redis: redis! } : { kind: "mongo", mongo: mongo!, database: SHOP_DATABASES[svc] };
      const exposure = exposureOf(key, { via: c.exposure.via, host: c.exposure.host, path: paths[svc], stripPrefix: true }, platform, args.defaultHost);
      const env = [
        ...(c.state === "redis" ? [{ name: "REDIS_KEY_PREFIX", value: shopRedisKeyPrefix(svc) }] : []),
        ...(svc === "order"
          ? [
              // One Service URL each: kube-proxy (or the sidecar) spreads the calls over the replicas.
              { name: "SHOP_PAYMENT_URL", value: this.workloads.payment.url },
              { name: "SHOP_STOCK_URL", value: this.workloads.stock.url },
              ...shopSagaEnv(c),
            ]
          : []),
      ];
      this.workloads[svc] = new Workload(
        nameOf(svc),
        {
          ...common,
          args: [role],
          component: role,
          resources: c[svc].resources,
          scaling: c[svc].scaling,
          state,
          env,
          exposure,
          // order runs the checkout saga against payment and stock; they call nobody.
          ...(svc === "order" ? { calls: [selectorLabels(nameOf("payment")), selectorLabels(nameOf("stock"))] } : { clients: [order] }),
        },
        { parent: this },
      );
      if (exposure) this.route = { via: exposure.via, host: exposure.host, path: c.exposure.path, page: "/" };
    }

    const monitoring = platform.monitoring;
    if (monitoring) {
      // Grafana's sidecar watches every namespace for this label (components/platform/monitoring.ts).
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard`,
        {
          metadata: { name: `${name}-dashboard`, namespace: args.namespace, labels: { ...labels(`${name}-dashboard`, "dashboard"), ...monitoring.dashboardLabel } },
          data: { "statefleet-shop.json": JSON.stringify(shopDashboard()) },
        },
        { parent: this, dependsOn: args.dependsOn },
      );
    }
    this.registerOutputs({ services: SHOP_SERVICES.map(nameOf) });
  }
}
