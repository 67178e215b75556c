/**
 * The stack evaluations the platform tests share (ingress-nginx, Istio, monitoring): each is
 * evaluated once per mocha process, however many test files ask for it.
 */
import { evaluate, type EvaluateOptions } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";

interface Variant extends EvaluateOptions {
  stack: "dev" | "aks";
}

/** The real stack files, and the variations that switch a platform component off or exercise options. */
export const VARIANTS = {
  dev: { stack: "dev" },
  aks: { stack: "aks" },
  devPreview: { stack: "dev", preview: true },
  aksPreview: { stack: "aks", preview: true },
  /** Monitoring off: no kube-prometheus-stack, and no ServiceMonitor asked of ingress-nginx. */
  devNoMonitoring: { stack: "dev", overrides: { "statefleet:monitoring": { enabled: false }, "statefleet:apps": { sms: { alert: { enabled: false }, dashboards: false } } } },
  /** Istio off (logoutput, which used the gateway, is not exposed; sms, which needs it, is off). */
  devNoIstio: {
    stack: "dev",
    overrides: {
      "statefleet:istio": { enabled: false, gateway: { enabled: false } },
      "statefleet:apps": { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false } },
    },
  },
  /** ingress-nginx off: the apps and Grafana (grafanaVia auto) use the Istio gateway. */
  devNoNginx: {
    stack: "dev",
    overrides: {
      "statefleet:ingress": { nginx: { enabled: false } },
      "statefleet:apps": {
        stats: { exposure: { via: "istio-gateway" } },
        pingpong: { exposure: { via: "istio-gateway" }, logoutput: { exposure: { via: "none" } } },
        api: { exposure: { via: "istio-gateway" } },
        shop: { exposure: { via: "istio-gateway" } },
      },
    },
  },
  /** sms released by Flagger: the chart, its namespace, the Canary and MetricTemplates instead of the v1/v2 split. */
  devFlagger: { stack: "dev", overrides: { "statefleet:apps": { sms: { rollout: "flagger" } } } },
  /** AKS with every option on: trusted proxies, 2 istiods, Grafana on the gateway, Alertmanager receivers. */
  aksOptions: {
    stack: "aks",
    overrides: {
      "statefleet:ingress": { nginx: { trustedProxyCidrs: ["10.1.0.0/16", "10.2.0.0/16"] } },
      "statefleet:istio": { istiodReplicas: 2, mtls: "PERMISSIVE" },
      "statefleet:monitoring": {
        grafanaVia: "istio-gateway",
        alertmanager: {
          defaultReceiver: "team",
          receivers: [
            { name: "oncall", webhookUrlSecret: { name: "alertmanager-oncall", key: "url" }, matchers: ['severity="critical"'] },
            { name: "team", webhookUrlSecret: { name: "alertmanager-team" }, sendResolved: false },
          ],
        },
      },
    },
  },
} satisfies Record<string, Variant>;

export type VariantName = keyof typeof VARIANTS;

const cache = new Map<VariantName, Promise<Graph>>();
// evaluate() swaps the process-wide mocks and config: never run two at once.
let queue: Promise<unknown> = Promise.resolve();

/** The graph of a variant, evaluated on first use. */
export function graphOf(name: VariantName): Promise<Graph> {
  let g = cache.get(name);
  if (!g) {
    const { stack, ...opts } = VARIANTS[name] as Variant;
    g = queue.then(() => evaluate(stack, opts));
    queue = g.catch(() => undefined);
    cache.set(name, g);
  }
  return g;
}

/** Every `kubernetes:helm.sh/v3:Release` of a graph. */
export function releasesOf(graph: Graph): Res[] {
  return graph.ofType("kubernetes:helm.sh/v3:Release");
}
