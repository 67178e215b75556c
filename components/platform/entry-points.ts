/**
 * Where an operator opens the entry points: k3d publishes them on host ports; a cloud load
 * balancer's address exists only after `pulumi up`, so for AKS we print how to read it.
 */
import type { EntryPoints } from "../cluster/types";
import { PLATFORM_NAMESPACES } from "../contracts";

/** The entry point Grafana uses for `monitoring.grafanaVia` (`auto`: ingress-nginx when on, else the Istio gateway). */
export function resolveGrafanaVia(
  via: "auto" | "ingress-nginx" | "istio-gateway" | "none",
  nginxEnabled: boolean,
  gatewayEnabled: boolean,
): "ingress-nginx" | "istio-gateway" | "none" {
  if (via !== "auto") return via;
  return nginxEnabled ? "ingress-nginx" : gatewayEnabled ? "istio-gateway" : "none";
}

/** `namespace/service` of each entry point's LoadBalancer Service. */
export const ENTRY_SERVICES = {
  "ingress-nginx": { namespace: PLATFORM_NAMESPACES.ingressNginx, service: "ingress-nginx-controller" },
  "istio-gateway": { namespace: PLATFORM_NAMESPACES.istioIngress, service: "istio-ingress" },
} as const;

export interface EntryPointInfo {
  /** `http://<host>:<port>` on k3d; `http://<host>` (or `http://<EXTERNAL-IP>`) on AKS. */
  url: string;
  /** AKS: the command that prints the load balancer's address. */
  addressCommand?: string;
}

/** The URL of an entry point for `host` ("" = any host: localhost on k3d). */
export function entryPoint(entry: EntryPoints, via: "ingress-nginx" | "istio-gateway", host: string): EntryPointInfo {
  if (entry.kind === "host-ports") {
    return { url: `http://${host || "localhost"}:${via === "istio-gateway" ? entry.istio : entry.http}` };
  }
  const { namespace, service } = ENTRY_SERVICES[via];
  return {
    url: `http://${host || "<EXTERNAL-IP>"}`,
    addressCommand: `kubectl -n ${namespace} get svc ${service} -o jsonpath='{.status.loadBalancer.ingress[0].ip}'`,
  };
}
