import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ApiConfig } from "../../config/types";
import { labels } from "../k8s";
import { Workload } from "../workload";
import { apiDashboard } from "./api-dashboard";
import { exposureOf, routeOf, type AppRoute, type VariantArgs } from "./platform";

export type ApiAppArgs = VariantArgs<ApiConfig>;

/** The `api` role's own environment (docs/app.md); the Workload adds PORT, POD_*, MONGO_URL, REDIS_*. */
export function apiEnv(c: ApiConfig): { name: string; value: string }[] {
  return [
    { name: "API_WRITES", value: c.writes },
    { name: "API_BATCH_MAX_DOCS", value: String(c.batchMaxDocs) },
    { name: "API_BATCH_MAX_WAIT_MS", value: String(c.batchMaxWaitMs) },
    { name: "API_QUEUE_MAX_DOCS", value: String(c.queueMaxDocs) },
    { name: "API_CACHE", value: c.cache },
    { name: "API_CACHE_TTL_SECONDS", value: String(c.cacheTtlSeconds) },
    { name: "API_WORKERS", value: String(c.workers) },
    { name: "TRUST_PROXY", value: String(c.trustProxy) },
  ];
}

/**
 * api (seed 002): an API whose every request writes 5 documents to and reads 5 ids from one
 * throttled MongoDB; write-behind batching and a Redis cache are the knobs. MongoDB always,
 * Redis only with `cache: redis`; with monitoring on, a Grafana dashboard as well.
 */
export class ApiApp extends pulumi.ComponentResource {
  public readonly workload: Workload;
  /** Where `/api/data` is reached from outside (undefined when not exposed). */
  public readonly route?: AppRoute;

  constructor(name: string, args: ApiAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:variants:ApiApp", name, {}, opts);
    const c = args.config;
    const key = "statefleet:apps.api";
    const mongo = args.platform.mongo;
    if (!mongo) throw new Error(`${key}.enabled: api needs MongoDB, which is off`);
    const redis = c.cache === "redis" ? args.platform.redis : undefined;
    if (c.cache === "redis" && !redis) throw new Error(`${key}.cache: redis needs Redis, which is off`);
    const exposure = exposureOf(key, c.exposure, args.platform, args.defaultHost);

    this.workload = new Workload(
      name,
      {
        namespace: args.namespace,
        image: args.image,
        args: ["api"],
        component: "api",
        resources: c.resources,
        scaling: c.scaling,
        state: { kind: "none" },
        uses: { mongo, redis },
        env: apiEnv(c),
        exposure,
        monitoring: args.platform.monitoring,
        mesh: args.platform.istio,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    // The page behind the prefix: with stripPrefix the app sees `<path>/api/data` as `/api/data`;
    // without it only `/` and `/api` reach the app's routes (config rules), and `/api` is the prefix itself.
    const unstrippedApi = exposure?.stripPrefix === false && exposure.path.replace(/\/+$/, "") === "/api";
    this.route = routeOf(exposure, unstrippedApi ? "/data" : "/api/data");

    if (args.platform.monitoring) {
      // Grafana's sidecar watches every namespace for this label (components/platform/monitoring.ts).
      new k8s.core.v1.ConfigMap(
        `${name}-dashboard`,
        {
          metadata: { name: `${name}-dashboard`, namespace: args.namespace, labels: { ...labels(name, "dashboard"), ...args.platform.monitoring.dashboardLabel } },
          data: { "statefleet-api.json": JSON.stringify(apiDashboard()) },
        },
        { parent: this, dependsOn: args.dependsOn },
      );
    }
    this.registerOutputs({ serviceName: this.workload.serviceName });
  }
}
