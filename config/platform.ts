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
        enabled: z.boolean().default(true),
        /** Controller replicas (2+ on AKS for availability). */
        replicas: z.number().int().min(1).max(10).default(1),
        resources: resourcesDefault("100m", "128Mi", "500m", "256Mi"),
      })
      .prefault({}),
  })
  .prefault({});

/** Istio service mesh: base → istiod → ingress gateway. */
export const istioSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Mesh-wide mTLS: STRICT where every workload has a sidecar. */
    mtls: z.enum(["STRICT", "PERMISSIVE"]).default("STRICT"),
    /** The Istio ingress gateway, an entry point beside (or instead of) ingress-nginx. */
    gateway: z
      .strictObject({
        enabled: z.boolean().default(true),
        replicas: z.number().int().min(1).max(10).default(1),
      })
      .prefault({}),
    istiodResources: resourcesDefault("100m", "256Mi", "1", "1Gi"),
  })
  .prefault({});

/** ReadWriteMany storage for the `shared-volume` state strategy. */
export const storageSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Azure Files SKU (AKS only; Premium needs 100Gi+ shares). */
    azureFilesSku: z.enum(["Standard_LRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS"]).default("Standard_LRS"),
    /** Size of each ReadWriteMany claim unless an app asks for another. */
    defaultSize: quantity.default("1Gi"),
  })
  .prefault({});

/** kube-prometheus-stack: Prometheus, Grafana, Alertmanager. */
export const monitoringSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** How long Prometheus keeps samples. */
    retention: z.string().regex(/^\d+(h|d|w)$/, { message: "not a duration (allowed: e.g. 12h, 7d, 2w)" }).default("7d"),
    /** Path prefix under ingress.host where Grafana is served. */
    grafanaPath: z.string().regex(/^\/[a-z0-9-]*$/, { message: "not a path (allowed: e.g. /grafana)" }).default("/grafana"),
  })
  .prefault({});
