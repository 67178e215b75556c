import * as pulumi from "@pulumi/pulumi";
import type { StatsConfig } from "../../config/types";
import { Workload } from "../workload";
import { exposureOf, routeOf, stateOf, type AppRoute, type VariantArgs } from "./platform";

export type StatsAppArgs = VariantArgs<StatsConfig>;

/**
 * stats (seed 000): replicas behind one entry, counting requests per (client, server) pair.
 * The state strategy and the affinity are the knobs that make the seed's problem appear or go.
 */
export class StatsApp extends pulumi.ComponentResource {
  public readonly workload: Workload;
  /** Where the page is reached from outside (undefined when not exposed). */
  public readonly route?: AppRoute;

  constructor(name: string, args: StatsAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:variants:StatsApp", name, {}, opts);
    const c = args.config;
    const key = "statefleet:apps.stats";
    const cookie = c.affinity === "cookie" ? c.cookieName : undefined;
    const exposure = exposureOf(key, c.exposure, args.platform, args.defaultHost, cookie);
    if (cookie && exposure?.via !== "ingress-nginx") throw new Error(`${key}.affinity: "cookie" needs exposure.via ingress-nginx`);
    if (c.affinity === "client-ip" && exposure?.via === "ingress-nginx") {
      // Not an error: it still applies to in-cluster callers. But the operator should know.
      pulumi.log.warn(
        `${key}.affinity: "client-ip" sets Service sessionAffinity, but ingress-nginx sends traffic straight to pod endpoints, ` +
          `so requests through ${c.exposure.path} are not sticky; use affinity: cookie for stickiness behind ingress-nginx`,
        this,
      );
    }

    this.workload = new Workload(
      name,
      {
        namespace: args.namespace,
        image: args.image,
        args: ["stats"],
        component: "stats",
        resources: c.resources,
        scaling: c.scaling,
        state: stateOf(key, c.state, args.platform, { name: `${name}-state`, namespace: args.namespace, size: c.storageSize }),
        env: [{ name: "TRUST_PROXY", value: String(c.trustProxy) }],
        clientIpAffinity: c.affinity === "client-ip" ? { timeoutSeconds: c.clientIpTimeoutSeconds } : undefined,
        exposure,
        monitoring: args.platform.monitoring,
        mesh: args.platform.istio,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );
    this.route = routeOf(exposure);
    this.registerOutputs({ serviceName: this.workload.serviceName });
  }
}
