/**
 * `apps.sms.rollout: flagger` as plain specs (no Pulumi): the Flagger `Canary` of `sms-app` and
 * the two `MetricTemplate`s it is judged by, so tests can check them against Flagger's CRD schema
 * and run the queries on a real Prometheus exactly as the program creates them.
 *
 * What Flagger does with them (fluxcd/flagger v1.44.0, pkg/router/istio.go, pkg/canary): it copies
 * Deployment `sms-app` to `sms-app-primary`, creates Services `sms-app` (→ primary),
 * `sms-app-primary`, `sms-app-canary`, their DestinationRules and the VirtualService `sms-app` on
 * our gateway; on a new pod template it routes `stepWeight` more to the canary every `interval`
 * while both checks pass, promotes at `maxWeight`, and after `threshold` failed checks sends
 * everything back to the primary. With `sessionAffinity` it sets a cookie on the canary's answers
 * (and, since 1.43, `primaryCookieName` on the primary's) and routes those cookies first, so a
 * user stays on the version that first answered them while the weights move.
 */
import type { SmsConfig } from "../../config/types";
import { APP_PORT, SERVICE_PORT } from "../workload";

/** Names of the MetricTemplates (in the apps namespace). */
export const METRIC_TEMPLATES = { successRate: "sms-success-rate", latencyP99: "sms-latency-p99" } as const;

/**
 * The canary's pods only. Flagger's target pods are `<target>-<replicaset hash>-<pod hash>`; the
 * primary's are `<target>-primary-<hash>-<hash>`, which this full-match regex rejects (one segment
 * too many). Flagger's own documented pattern for custom metrics.
 */
const CANARY_PODS = 'pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"';
/** What users ask for (the page and the predictions), not the probes or /metrics. */
const USER_ROUTES = 'route=~"/|/sms|/sms/"';

/**
 * Flagger query templates (Go text/template; Flagger fills `{{ namespace }}`, `{{ target }}`,
 * `{{ interval }}`) on the app's own metrics, which Prometheus scrapes through the ServiceMonitor.
 */
export const METRIC_QUERIES = {
  /**
   * Percent of the canary's user requests not answered 5xx (a 502/504 from a broken model counts
   * against it). `or vector(0)`: a version that answers nothing but 5xx has no non-5xx series at
   * all, and should read 0 %, not "no value"; without traffic the denominator is still empty.
   */
  successRate:
    `(sum(rate(http_requests_total{namespace="{{ namespace }}",${CANARY_PODS},role="sms-app",${USER_ROUTES},status!~"5.."}[{{ interval }}])) or vector(0))` +
    ` / sum(rate(http_requests_total{namespace="{{ namespace }}",${CANARY_PODS},role="sms-app",${USER_ROUTES}}[{{ interval }}])) * 100`,
  /** p99 of the canary's prediction latency (model call included), milliseconds. */
  latencyP99: `histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket{namespace="{{ namespace }}",${CANARY_PODS},endpoint="/sms"}[{{ interval }}]))) * 1000`,
} as const;

/** `spec` of each MetricTemplate: our Prometheus, one query. */
export function metricTemplateSpecs(prometheusUrl: string): Record<keyof typeof METRIC_QUERIES, { provider: { type: "prometheus"; address: string }; query: string }> {
  const provider = { type: "prometheus" as const, address: prometheusUrl };
  return {
    successRate: { provider, query: METRIC_QUERIES.successRate },
    latencyP99: { provider, query: METRIC_QUERIES.latencyP99 },
  };
}

export interface CanaryHosts {
  /** The external host (`exposure.host`). */
  external: string;
  /** `<namespace>/<name>` of the shared Gateway. */
  gateway: string;
  /** Namespace of the app, the Canary and the MetricTemplates. */
  namespace: string;
}

/** The Canary of Deployment `target` (and its HPA when the app autoscales). */
export function canarySpec(c: SmsConfig, target: string, h: CanaryHosts) {
  const f = c.flagger;
  const autoscaled = f.scaling.kind === "autoscale";
  return {
    targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
    ...(autoscaled ? { autoscalerRef: { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: target } } : {}),
    progressDeadlineSeconds: f.progressDeadlineSeconds,
    service: {
      port: SERVICE_PORT,
      targetPort: APP_PORT,
      portName: "http",
      appProtocol: "http",
      // The gateway for users; `mesh` so in-cluster callers (the smoke test, a load runner pod) get the same routing.
      gateways: [h.gateway, "mesh"],
      hosts: [h.external],
      timeout: `${c.route.timeoutSeconds}s`,
      ...(c.route.retries > 0
        ? { retries: { attempts: c.route.retries, perTryTimeout: `${c.route.perTryTimeoutSeconds}s`, retryOn: "connect-failure,refused-stream,reset" } }
        : {}),
      // The static split's DestinationRule limits (sms-routing.ts), minus `tcp.maxConnections`:
      // Flagger 1.44's CRD has only `connectionPool.http`, and the API server would drop `tcp`.
      trafficPolicy: {
        connectionPool: { http: { http1MaxPendingRequests: 50, http2MaxRequests: 100 } },
        outlierDetection: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 5, consecutive5xxErrors: 0, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
      },
    },
    analysis: {
      interval: f.interval,
      threshold: f.threshold,
      maxWeight: f.maxWeight,
      stepWeight: f.stepWeight,
      sessionAffinity: { cookieName: f.canaryCookie, primaryCookieName: f.primaryCookie, maxAge: c.stickiness.maxAgeSeconds },
      metrics: [
        { name: "success-rate", templateRef: { name: METRIC_TEMPLATES.successRate, namespace: h.namespace }, thresholdRange: { min: f.minSuccessPercent }, interval: f.metricWindow },
        { name: "latency-p99", templateRef: { name: METRIC_TEMPLATES.latencyP99, namespace: h.namespace }, thresholdRange: { max: f.maxLatencyP99Ms }, interval: f.metricWindow },
      ],
    },
  };
}
