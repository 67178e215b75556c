import { z } from "zod";
import { hostName, resourcesDefault, quantity } from "./common";

/** Entry points: ingress-nginx (legacy, retired upstream March 2026) and the Istio gateway. */
export const ingressSchema = z
  .strictObject({
    /** Host name every route uses unless an app sets its own; "" = any host. */
    host: hostName.default("statefleet.localhost"),
    /** ingress-nginx: kept because the seeds use it; the Istio gateway is the alternative. */
    nginx: z
      .strictObject({
        /** Install the ingress-nginx controller (chart pinned in components/platform/ingress-nginx.ts). */
        enabled: z.boolean().default(true),
        /** Controller replicas (2+ on AKS for availability; a PodDisruptionBudget comes with 2+). */
        replicas: z.number().int().min(1).max(10).default(1),
        /** Requests and limits of the controller container. */
        resources: resourcesDefault("100m", "128Mi", "500m", "256Mi"),
        /**
         * CIDRs of L7 proxies in front of ingress-nginx whose `X-Forwarded-For` may be trusted.
         * [] (default): the controller overwrites `X-Forwarded-For` with the TCP peer, which is the
         * real client behind the AKS load balancer (externalTrafficPolicy Local) and cannot be
         * forged. Non-empty: `use-forwarded-headers`, `compute-full-forwarded-for` and
         * `proxy-real-ip-cidr` so the client the proxy saw is kept.
         */
        trustedProxyCidrs: z
          .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { message: "not an IPv4 CIDR (allowed: e.g. 10.1.0.0/16)" }))
          .max(20)
          .default([]),
      })
      .prefault({}),
  })
  .prefault({});

/** A host an Istio Gateway server accepts: `*`, `*.example.com` or `example.com`. */
const gatewayHost = z.string().regex(/^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/, {
  message: "not a gateway host (allowed: *, *.example.com or example.com)",
});

/** Istio service mesh (sidecar mode): base → CNI node agent → istiod → ingress gateway. */
export const istioSchema = z
  .strictObject({
    /** Install Istio; the app namespace is then labelled for sidecar injection. */
    enabled: z.boolean().default(true),
    /** Mesh-wide mTLS (PeerAuthentication in istio-system): STRICT where every workload has a sidecar. */
    mtls: z.enum(["STRICT", "PERMISSIVE"]).default("STRICT"),
    /** The Istio ingress gateway, an entry point beside (or instead of) ingress-nginx. */
    gateway: z
      .strictObject({
        /** Install the gateway and the shared `istio-ingress/statefleet-gateway` Gateway. */
        enabled: z.boolean().default(true),
        /** Gateway replicas (fixed; a PodDisruptionBudget comes with 2+). */
        replicas: z.number().int().min(1).max(10).default(1),
        /** Hosts the shared Gateway accepts; every host an app routes through the gateway must be covered. */
        hosts: z.array(gatewayHost).min(1).max(20).default(["*"]),
        /** Requests and limits of the gateway's Envoy. */
        resources: resourcesDefault("100m", "128Mi", "1", "512Mi"),
      })
      .prefault({}),
    /** istiod replicas (fixed; 2+ adds a PodDisruptionBudget, so a single istiod never blocks a node drain). */
    istiodReplicas: z.number().int().min(1).max(5).default(1),
    /** Requests and limits of istiod. */
    istiodResources: resourcesDefault("100m", "256Mi", "1", "1Gi"),
    /** Requests and limits of every injected sidecar (one per app pod: keep it small on a laptop). */
    proxyResources: resourcesDefault("20m", "64Mi", "500m", "256Mi"),
  })
  .prefault({});

/** ReadWriteMany storage for the `shared-volume` state strategy (docs/storage.md). */
export const storageSchema = z
  .strictObject({
    /** Offer ReadWriteMany claims (Azure Files on AKS, the shared host directory on k3d). */
    enabled: z.boolean().default(true),
    /** Azure Files SKU (AKS only; ignored on k3d). Premium shares are provisioned at 100Gi or more, and billed so. */
    azureFilesSku: z.enum(["Standard_LRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS"]).default("Standard_LRS"),
    /** Size of a ReadWriteMany claim made without a size; app variants pass their own `storageSize`. */
    defaultSize: quantity.default("1Gi"),
  })
  .prefault({});

/** One Alertmanager receiver: a webhook whose URL lives in a Kubernetes Secret, never in config. */
const alertReceiverSchema = z.strictObject({
  /** Receiver name, used by `alertmanager.defaultReceiver`. */
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "not a receiver name (allowed: lower-case letters, digits and '-')" }).refine((n) => n !== "null", { message: "\"null\" is the built-in receiver that drops alerts (allowed: another name)" }),
  /**
   * The Secret (in namespace `monitoring`, created by you: `kubectl -n monitoring create secret
   * generic <name> --from-literal=<key>=https://…`) holding the webhook URL with any token in it.
   */
  webhookUrlSecret: z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "not a Secret name (allowed: a DNS label)" }),
    key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { message: "not a Secret key (allowed: letters, digits, '-', '_', '.')" }).default("url"),
  }),
  /** Alerts matching all of these go here (Alertmanager matchers, e.g. `severity="critical"`); [] = only as defaultReceiver. */
  matchers: z.array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*.+$/, { message: "not an Alertmanager matcher (allowed: e.g. severity=\"critical\")" })).default([]),
  /** Also notify when an alert resolves. */
  sendResolved: z.boolean().default(true),
});

/** kube-prometheus-stack: Prometheus, Grafana, Alertmanager. */
export const monitoringSchema = z
  .strictObject({
    /** Install kube-prometheus-stack; Workloads then get ServiceMonitors. */
    enabled: z.boolean().default(true),
    /** How long Prometheus keeps samples. */
    retention: z.string().regex(/^\d+(h|d|w)$/, { message: "not a duration (allowed: e.g. 12h, 7d, 2w)" }).default("7d"),
    /** Size of Prometheus' volume (ReadWriteOnce, the cluster's default storage class). */
    prometheusStorageSize: quantity.default("8Gi"),
    /** Path prefix under ingress.host where Grafana is served. */
    grafanaPath: z.string().regex(/^\/[a-z0-9-]*$/, { message: "not a path (allowed: e.g. /grafana)" }).default("/grafana"),
    /** Entry point for Grafana: `auto` = ingress-nginx when enabled, else the Istio gateway. */
    grafanaVia: z.enum(["auto", "ingress-nginx", "istio-gateway", "none"]).default("auto"),
    /** Requests and limits per component; the defaults fit a laptop. */
    resources: z
      .strictObject({
        prometheus: resourcesDefault("200m", "512Mi", "1", "1536Mi"),
        grafana: resourcesDefault("50m", "128Mi", "500m", "384Mi"),
        alertmanager: resourcesDefault("20m", "48Mi", "200m", "128Mi"),
        operator: resourcesDefault("50m", "64Mi", "200m", "192Mi"),
      })
      .prefault({}),
    /** Alertmanager and where alerts go. Without receivers every alert goes to the built-in `null`. */
    alertmanager: z
      .strictObject({
        /** Run Alertmanager (Prometheus still evaluates rules without it). */
        enabled: z.boolean().default(true),
        /** Receiver of alerts that no receiver's matchers take: `null` (drop; YAML null or "null") or a receiver name. */
        defaultReceiver: z
          .string()
          .nullable()
          .default("null")
          .transform((v) => v ?? "null"),
        /** Webhook receivers, tried in order. */
        receivers: z.array(alertReceiverSchema).max(10).default([]),
      })
      .prefault({}),
  })
  .prefault({});
