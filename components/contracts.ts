/**
 * What the platform and data components hand to the app variants. Variants depend on these
 * interfaces, never on the classes, so each side can change inside without touching the other.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { SecretRef } from "./k8s";

/** Namespaces that entry points and scrapers run in (NetworkPolicies admit traffic from them). */
export const PLATFORM_NAMESPACES = {
  ingressNginx: "ingress-nginx",
  istioSystem: "istio-system",
  istioIngress: "istio-ingress",
  monitoring: "monitoring",
  flagger: "flagger",
} as const;

/** Pod labels that a NetworkPolicy of a data service admits. A Workload adds them to its pods. */
export const CLIENT_LABELS = {
  redis: { "statefleet.io/redis-client": "true" },
  mongo: { "statefleet.io/mongo-client": "true" },
} as const;

/** ingress-nginx as an entry point. */
export interface IngressNginxInfo {
  /** `spec.ingressClassName` for our Ingresses. */
  className: string;
  /** Ingress objects wait for this (the controller and its admission webhook). */
  ready: pulumi.Resource;
}

/** The Istio mesh and its ingress gateway. */
export interface IstioInfo {
  /** Istio custom resources (VirtualService, DestinationRule, …) must dependOn this: it installs the CRDs. */
  crdsReady: pulumi.Resource;
  /** `<namespace>/<name>` of the shared Istio `Gateway` our VirtualServices bind to (undefined when the gateway is off). */
  gateway?: string;
  /** Mesh-wide mTLS mode. */
  mtls: "STRICT" | "PERMISSIVE";
}

/** Prometheus operator: ServiceMonitors and dashboards. */
export interface MonitoringInfo {
  /** ServiceMonitor / PrometheusRule objects must dependOn this: it installs the CRDs. */
  crdsReady: pulumi.Resource;
  /** Labels a ServiceMonitor / PrometheusRule needs to be picked up. */
  selectorLabels: Record<string, string>;
  /** Label a ConfigMap needs for Grafana's sidecar to load it as a dashboard. */
  dashboardLabel: Record<string, string>;
}

/** Flagger, the progressive-delivery operator (`apps.sms.rollout: flagger`). */
export interface FlaggerInfo {
  /** Canary and MetricTemplate objects must dependOn this: it installs their CRDs. */
  crdsReady: pulumi.Resource;
  /** The Prometheus query URL MetricTemplates point at (the one Flagger itself uses). */
  prometheusUrl: string;
}

/** A ReadWriteMany claim handed out by SharedStorage. */
export interface RwxClaim {
  claimName: pulumi.Output<string>;
  /**
   * When set, the Workload MUST mount the claim with `volumeMounts[].subPath: <subPath>`.
   * On k3d every claim's PersistentVolume is the whole shared host directory, and this is the
   * claim's own sub-directory in it: the kubelet creates it with the root's 0777 mode, so a
   * non-root pod can write (docs/storage.md). Undefined (Azure Files): mount the volume root.
   */
  subPath?: string;
}

/** Hands out ReadWriteMany claims; the mechanism (Azure Files, shared host dir) is hidden. */
export interface RwxStorage {
  /** A new RWX PersistentVolumeClaim named `name` in `namespace`; `size` defaults to `storage.defaultSize`. */
  claim(name: string, args: { namespace: string; size?: string }): RwxClaim;
}

/** Redis as the apps see it. */
export interface RedisInfo {
  /** `redis://<service>.<namespace>.svc.cluster.local:6379` (no credentials). */
  url: pulumi.Output<string>;
  /** The password, as a Secret in the apps' namespace (for `secretKeyRef`). */
  passwordSecret: SecretRef;
  /** Pods with these labels are admitted by Redis' NetworkPolicy. */
  clientLabels: Record<string, string>;
  /** Workloads that use Redis wait for it. */
  ready: pulumi.Resource;
}

/**
 * The MongoDB databases the app user reads and writes: `statefleet` (every variant's default) and
 * one per shop service, so each keeps its data apart (docs/shop.md). Granted when MongoDB first
 * initialises its volume, whether or not the shop is on, so turning it on later needs no new grant.
 */
export const MONGO_APP_DATABASES = ["statefleet", "shop_order", "shop_payment", "shop_stock"] as const;
export type MongoAppDatabase = (typeof MONGO_APP_DATABASES)[number];

/** MongoDB as the apps see it. */
export interface MongoInfo {
  /** The app user's connection string (database `statefleet`), as a Secret in the apps' namespace. */
  urlSecret: SecretRef;
  /** The app user's connection string whose path names `database`, in the same Secret. */
  urlSecretFor(database: MongoAppDatabase): SecretRef;
  clientLabels: Record<string, string>;
  ready: pulumi.Resource;
}
