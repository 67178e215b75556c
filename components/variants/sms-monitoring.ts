/**
 * The sms variant's alert and Grafana dashboards as plain data, so tests can hand them to
 * promtool exactly as the program creates them.
 */
import type { SmsConfig } from "../../config/types";

export const ALERT_NAME = "HighRequestRate";
/** Fires when Flagger rolled a release of sms-app back (`rollout: flagger`). */
export const RELEASE_ALERT_NAME = "SmsReleaseRolledBack";
/** The Canary and its target Deployment (components/variants/sms.ts names both `sms-app`). */
const CANARY = "sms-app";

/**
 * `HighRequestRate`: all app pods together above `requestsPerMinute`. The seed's
 * `rate(sms_requests_total[1m]) > 0.25` compares each pod on its own, so with the seed's four
 * app pods a total four times the threshold could pass unnoticed; the sum is what the operator means.
 */
export function alertRuleGroups(c: SmsConfig, namespace: string) {
  const perMinute = c.alert.requestsPerMinute;
  return [
    {
      name: "sms",
      interval: "30s",
      rules: [
        {
          alert: ALERT_NAME,
          expr: `sum(rate(sms_requests_total{namespace="${namespace}"}[1m])) * 60 > ${perMinute}`,
          for: c.alert.for,
          labels: { severity: c.alert.severity, app: "sms" },
          annotations: {
            summary: `SMS checker takes more than ${perMinute} prediction requests per minute`,
            description: `{{ $value | printf "%.1f" }} requests per minute over the last minute across every sms-app pod in ${namespace} (threshold ${perMinute}, for ${c.alert.for}).`,
          },
        },
        ...(c.rollout === "flagger" ? [releaseRule(namespace)] : []),
      ],
    },
  ];
}

/**
 * `SmsReleaseRolledBack`: Flagger's `flagger_canary_status` is 2 (fluxcd/flagger v1.44.0
 * pkg/metrics/recorder.go: 0 running, 1 succeeded, 2 failed) — the last release of sms-app failed
 * its checks and every user is back on the primary. Routed like every alert (`monitoring.alertmanager`).
 */
function releaseRule(namespace: string) {
  return {
    alert: RELEASE_ALERT_NAME,
    expr: `max(flagger_canary_status{namespace="${namespace}",name="${CANARY}"}) == 2`,
    labels: { severity: "warning", app: "sms" },
    annotations: {
      summary: "Flagger rolled back the last release of the SMS checker",
      description: `The canary of ${CANARY} in ${namespace} failed its checks; traffic is back on ${CANARY}-primary. kubectl -n ${namespace} describe canary ${CANARY} says which check failed.`,
    },
  };
}

interface Panel {
  title: string;
  unit: string;
  /** legend → PromQL */
  targets: Record<string, string>;
  description?: string;
}

/** A Grafana dashboard (schema 39) of time-series panels, two per row, on a `$datasource` of type Prometheus. */
function dashboard(uid: string, title: string, panels: Panel[]) {
  return {
    uid,
    title,
    tags: ["statefleet", "sms"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: {
      list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1 }],
    },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource: { type: "prometheus", uid: "${datasource}" },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
      targets: Object.entries(p.targets).map(([legend, expr], j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: { type: "prometheus", uid: "${datasource}" },
        expr,
        legendFormat: legend,
      })),
    })),
  };
}

/** The two dashboards: the app at a glance, and v1 against v2 (plus the shadow against live). */
export function smsDashboards(c: SmsConfig, namespace: string): Record<string, object> {
  const ns = `namespace="${namespace}"`;
  const rate = (metric: string, extra = "") => `rate(${metric}{${ns}${extra}}[5m])`;
  const quantile = (q: number, metric: string, by: string) => `histogram_quantile(${q}, sum by (le, ${by}) (${rate(metric)}))`;
  const spamShare = (metric: string, by: string, extra = "") =>
    `sum by (${by}) (${rate(metric, `,result="spam"${extra}`)}) / sum by (${by}) (${rate(metric, extra)})`;
  const liveModels = `,version=~"v1|v2"`;
  const shadowModel = `,version="v3"`;

  const overview = dashboard("statefleet-sms-overview", "SMS checker: overview", [
    {
      title: "Prediction requests per minute (alert above the red line)",
      unit: "reqpm",
      targets: {
        "{{version}}": `sum by (version) (${rate("sms_requests_total")}) * 60`,
        total: `sum(${rate("sms_requests_total")}) * 60`,
        threshold: `vector(${c.alert.requestsPerMinute})`,
      },
    },
    { title: "Requests in flight", unit: "short", targets: { "{{version}}": `sum by (version) (active_users{${ns}})` } },
    {
      title: "Request duration (app, model call included)",
      unit: "s",
      targets: { "p50 {{version}}": quantile(0.5, "request_duration_seconds_bucket", "version"), "p95 {{version}}": quantile(0.95, "request_duration_seconds_bucket", "version") },
    },
    { title: "Predictions answered, by result", unit: "reqps", targets: { "{{result}}": `sum by (result) (${rate("predictions_result_total")})` } },
    { title: "Message length (median), by result", unit: "short", targets: { "{{result}}": quantile(0.5, "sms_length_bucket", "result") } },
    {
      title: "Server errors of the app (502/504: the model did not answer)",
      unit: "reqps",
      targets: { "{{status}}": `sum by (status) (${rate("http_requests_total", `,role="sms-app",status=~"5.."`)})` },
    },
    { title: "Model predictions per second, by model version", unit: "reqps", targets: { "{{version}}": `sum by (version) (${rate("model_predictions_total")})` } },
    { title: "Model latency p95, by model version", unit: "s", targets: { "{{version}}": quantile(0.95, "model_prediction_latency_seconds_bucket", "version") } },
  ]);

  const ab = dashboard("statefleet-sms-ab", "SMS checker: A/B (v1 vs v2) and shadow", [
    {
      title: "Share of requests answered by v2 (canary)",
      unit: "percentunit",
      description: `Configured: ${c.weights.v2} % of new users; returning users stay on their version, so the share drifts from the weight as sessions accumulate.`,
      targets: { v2: `sum(${rate("sms_requests_total", `,version="v2"`)}) / sum(${rate("sms_requests_total")})` },
    },
    { title: "Requests per minute, v1 vs v2", unit: "reqpm", targets: { "{{version}}": `sum by (version) (${rate("sms_requests_total")}) * 60` } },
    {
      title: "Latency p50 / p95, v1 vs v2",
      unit: "s",
      targets: { "p50 {{version}}": quantile(0.5, "request_duration_seconds_bucket", "version"), "p95 {{version}}": quantile(0.95, "request_duration_seconds_bucket", "version") },
    },
    { title: "Spam share of answers, v1 vs v2", unit: "percentunit", targets: { "{{version}}": spamShare("predictions_result_total", "version") } },
    {
      title: "Spam share: shadow (v3) vs live models (v1, v2)",
      unit: "percentunit",
      targets: { "{{version}}": spamShare("model_predictions_total", "version") },
    },
    {
      title: "Shadow vs live agreement (1 − difference of spam shares)",
      unit: "percentunit",
      description: "Aggregate agreement: Istio discards the shadow's answers, so calls cannot be paired one by one.",
      targets: {
        agreement: `1 - abs((sum(${rate("model_predictions_total", `,result="spam"${shadowModel}`)}) / sum(${rate("model_predictions_total", shadowModel)})) - (sum(${rate("model_predictions_total", `,result="spam"${liveModels}`)}) / sum(${rate("model_predictions_total", liveModels)})))`,
      },
    },
    {
      title: "Shadow coverage (v3 calls per live model call)",
      unit: "percentunit",
      description: `Configured mirror: ${c.shadow.mirrorPercent} %.`,
      targets: { coverage: `sum(${rate("model_predictions_total", shadowModel)}) / sum(${rate("model_predictions_total", liveModels)})` },
    },
    { title: "Model latency p95: shadow vs live", unit: "s", targets: { "{{version}}": quantile(0.95, "model_prediction_latency_seconds_bucket", "version") } },
  ]);
  if (c.rollout !== "flagger") return { "sms-overview.json": overview, "sms-ab.json": ab };

  // Flagger's own series (its PodMonitor keeps their `namespace` label: honorLabels) and the canary's checks by version.
  const canary = `namespace="${namespace}"`;
  const release = dashboard("statefleet-sms-release", "SMS checker: release (Flagger)", [
    {
      title: "Traffic weight: primary vs canary",
      unit: "percent",
      description: `Flagger moves ${c.flagger.stepWeight} % every ${c.flagger.interval} up to ${c.flagger.maxWeight} %, then promotes.`,
      targets: { "{{workload}}": `max by (workload) (flagger_canary_weight{${canary},workload=~"${CANARY}|${CANARY}-primary"})` },
    },
    {
      title: "Release status (0 progressing, 1 succeeded, 2 rolled back)",
      unit: "short",
      targets: { status: `max(flagger_canary_status{${canary},name="${CANARY}"})` },
    },
    {
      title: "Last value of each check",
      unit: "short",
      description: `success-rate ≥ ${c.flagger.minSuccessPercent} %, latency-p99 ≤ ${c.flagger.maxLatencyP99Ms} ms.`,
      targets: { "{{metric}}": `max by (metric) (flagger_canary_metric_analysis{${canary},name="${CANARY}"})` },
    },
    {
      title: "Success rate of user requests, by version",
      unit: "percent",
      targets: {
        "{{version}}": `sum by (version) (${rate("http_requests_total", `,role="sms-app",route=~"/|/sms|/sms/",status!~"5.."`)}) / sum by (version) (${rate("http_requests_total", `,role="sms-app",route=~"/|/sms|/sms/"`)}) * 100`,
      },
    },
    { title: "Prediction latency p99, by version", unit: "s", targets: { "p99 {{version}}": quantile(0.99, "request_duration_seconds_bucket", "version") } },
    { title: "Requests per minute, by version", unit: "reqpm", targets: { "{{version}}": `sum by (version) (${rate("sms_requests_total")}) * 60` } },
  ]);
  return { "sms-overview.json": overview, "sms-ab.json": ab, "sms-release.json": release };
}

/** Every PromQL expression of the dashboards (for promtool and the metric-name check). */
export function dashboardExpressions(dashboards: Record<string, object>): string[] {
  const out: string[] = [];
  for (const d of Object.values(dashboards)) {
    for (const p of (d as { panels: { targets: { expr: string }[] }[] }).panels) for (const t of p.targets) out.push(t.expr);
  }
  return out;
}
