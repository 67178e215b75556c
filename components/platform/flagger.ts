/**
 * Flagger (fluxcd/flagger), the progressive-delivery operator behind `apps.sms.rollout: flagger`:
 * it watches `Canary` objects, copies their target Deployment to `<name>-primary`, owns the
 * Services, DestinationRules and VirtualService of the target, and shifts traffic step by step
 * while the Canary's metric checks (MetricTemplates on our Prometheus) stay within bounds.
 *
 * Installed from its pinned chart in a namespace of its own (restricted, default-deny): it talks
 * to the API server and to Prometheus, and Prometheus scrapes its progress metrics
 * (`flagger_canary_weight`, `flagger_canary_status`) through the chart's PodMonitor.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES, type FlaggerInfo, type MonitoringInfo } from "../contracts";
import { containerSecurityContext, namespace, namespaceSelector } from "../k8s";
import { CHARTS, helmRelease } from "./charts";
import { MONITOR_LABELS, PROMETHEUS_URL } from "./monitoring";
import { fromNamespaces, platformNetworkPolicies } from "./network-policies";

/** uid the Flagger image runs as (the chart's own default `securityContext.context.runAsUser`). */
const FLAGGER_UID = 10001;
/** Flagger's HTTP port: `/healthz` and `/metrics` (the chart's container port `http`). */
export const FLAGGER_METRICS_PORT = 8080;
/** Pod labels the chart sets (`app.kubernetes.io/name: {{ flagger.name }}`, the chart name). */
export const FLAGGER_POD_LABELS = { "app.kubernetes.io/name": "flagger" };

export interface FlaggerArgs {
  /** The only namespace whose Canaries Flagger watches (the chart's `namespace` value). */
  watchNamespace: string;
  /** Prometheus is required: the Canary's checks and the rollout dashboard read it. */
  monitoring: MonitoringInfo;
  /** Istio must be up first: Flagger creates Istio objects as soon as it sees a Canary. */
  dependsOn: pulumi.Resource[];
}

/** Helm values of the flagger chart (exported for tests and the chart key check). */
export function flaggerValues(args: Pick<FlaggerArgs, "watchNamespace">): Record<string, unknown> {
  return {
    image: { tag: CHARTS.flagger.version },
    meshProvider: "istio",
    metricsServer: PROMETHEUS_URL,
    namespace: args.watchNamespace,
    logLevel: "info",
    // The chart has no pod-level securityContext; the container's carries everything `restricted` asks.
    securityContext: { enabled: true, context: containerSecurityContext(FLAGGER_UID, FLAGGER_UID) },
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    // honorLabels: Flagger's series carry the Canary's `namespace`; without it Prometheus would
    // rename that to `exported_namespace` and put Flagger's own namespace in its place.
    podMonitor: { enabled: true, additionalLabels: MONITOR_LABELS, interval: "15s", honorLabels: true },
    leaderElection: { enabled: false, replicaCount: 1 },
  };
}

/** Flagger's Release; its `crds/` directory brings the Canary, MetricTemplate and AlertProvider CRDs. */
export class Flagger extends pulumi.ComponentResource implements FlaggerInfo {
  public readonly crdsReady: k8s.helm.v3.Release;
  public readonly prometheusUrl = PROMETHEUS_URL;

  constructor(name: string, args: FlaggerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:Flagger", name, {}, opts);
    const child = { parent: this };
    const ns = namespace(PLATFORM_NAMESPACES.flagger, "restricted", child);
    const policies = platformNetworkPolicies(
      PLATFORM_NAMESPACES.flagger,
      [
        {
          name: "flagger",
          podSelector: FLAGGER_POD_LABELS,
          // Prometheus scrapes the rollout's progress; Flagger queries Prometheus for every check.
          ingress: [fromNamespaces([PLATFORM_NAMESPACES.monitoring], [FLAGGER_METRICS_PORT])],
          egress: [{ to: [{ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.monitoring) }], ports: [{ protocol: "TCP", port: 9090 }] }],
        },
      ],
      { ...child, dependsOn: [ns] },
    );
    this.crdsReady = helmRelease(
      name,
      CHARTS.flagger,
      { releaseName: "flagger", namespace: ns.metadata.name, values: flaggerValues(args) },
      { ...child, dependsOn: [ns, ...policies, ...args.dependsOn, args.monitoring.crdsReady] },
    );
    this.registerOutputs({});
  }
}
