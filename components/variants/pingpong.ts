import * as pulumi from "@pulumi/pulumi";
import type { PingPongConfig } from "../../config/types";
import { selectorLabels } from "../k8s";
import { Workload, type WorkloadState } from "../workload";
import { exposureOf, routeOf, stateOf, type AppRoute, type VariantArgs } from "./platform";

export type PingPongAppArgs = VariantArgs<PingPongConfig>;

/**
 * pingpong + logoutput (seed 001): a counter that survives pods, and a reader that prints it
 * every 5 s, either from the same store or over HTTP (the course's step 2.01).
 */
export class PingPongApp extends pulumi.ComponentResource {
  public readonly pingpong: Workload;
  public readonly logoutput?: Workload;
  /** Where `pong N` is reached from outside (undefined when not exposed). */
  public readonly pingpongRoute?: AppRoute;
  /** Where logoutput's status is reached from outside (undefined when not exposed or off). */
  public readonly logoutputRoute?: AppRoute;

  constructor(name: string, args: PingPongAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:variants:PingPongApp", name, {}, opts);
    const c = args.config;
    const key = "statefleet:apps.pingpong";
    const lo = c.logoutput;
    const http = lo.enabled && lo.readVia === "http";
    const state = stateOf(key, c.state, args.platform, { name: `${name}-state`, namespace: args.namespace, size: c.storageSize });
    const pingpongExposure = exposureOf(key, c.exposure, args.platform, args.defaultHost);
    const logoutputName = "logoutput";
    const common = { namespace: args.namespace, image: args.image, monitoring: args.platform.monitoring, mesh: args.platform.istio, dependsOn: args.dependsOn };

    this.pingpong = new Workload(
      name,
      {
        ...common,
        args: ["pingpong"],
        component: "pingpong",
        resources: c.resources,
        scaling: c.scaling,
        state,
        // A file counter has one writer; a rolling update would briefly run two. Stores are atomic.
        singleWriter: c.state === "pod" || c.state === "shared-volume",
        exposure: pingpongExposure,
        clients: http ? [selectorLabels(logoutputName)] : [],
      },
      { parent: this },
    );
    this.pingpongRoute = routeOf(pingpongExposure, pingpongExposure?.stripPrefix === false ? "/" : "/pingpong");

    if (lo.enabled) {
      if (!http && state.kind === "pod") throw new Error(`${key}.logoutput.readVia: "store" cannot read pingpong's pod-local volume`);
      // Reading the store: the same STATE (and volume, read-only) as pingpong.
      const readerState: WorkloadState = http ? { kind: "none" } : state.kind === "shared-volume" ? { ...state, readOnly: true } : state;
      const exposure = exposureOf(`${key}.logoutput`, lo.exposure, args.platform, args.defaultHost);
      this.logoutput = new Workload(
        logoutputName,
        {
          ...common,
          args: ["logoutput"],
          component: "logoutput",
          resources: lo.resources,
          // One writer of the UUID line; a second replica would print another UUID.
          scaling: { kind: "fixed", replicas: 1 },
          state: readerState,
          env: [
            { name: "LOG_INTERVAL_MS", value: "5000" },
            ...(http ? [{ name: "PINGPONG_URL", value: this.pingpong.url }] : []),
          ],
          exposure,
          calls: http ? [this.pingpong.selector] : [],
        },
        { parent: this },
      );
      this.logoutputRoute = routeOf(exposure);
    }
    this.registerOutputs({ serviceName: this.pingpong.serviceName });
  }
}
