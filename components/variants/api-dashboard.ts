/**
 * The Grafana dashboard of the api variant (seed 002): what the operator watches while the k6
 * profile runs. Built from the metrics the `api` role exports (docs/app.md); Grafana's dashboard
 * sidecar (kube-prometheus-stack) loads it from a labelled ConfigMap.
 */

import { target as t, timeSeriesDashboard, type PanelSpec } from "./grafana";

/** Stable across deploys, so links and bookmarks keep working. */
export const API_DASHBOARD_UID = "statefleet-api";

/** The seed's own route: the latency and the ops-per-request panels are about it only. */
const DATA_ROUTE = `route="/api/data"`;
const API = `role="api"`;

const PANELS: PanelSpec[] = [
  {
    title: "Requests per second",
    description: "Every answered request of the api pods, by status code (503 = write queue full or MongoDB unreachable).",
    unit: "reqps",
    targets: [t(`sum by (status) (rate(http_requests_total{${API}}[$__rate_interval]))`, "{{status}}")],
  },
  {
    title: "/api/data latency p95 / p99",
    description: "From the request histogram. The seed's thresholds: p95 < 2 s, p99 < 5 s.",
    unit: "s",
    targets: [
      t(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${API},${DATA_ROUTE}}[$__rate_interval])))`, "p95"),
      t(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${API},${DATA_ROUTE}}[$__rate_interval])))`, "p99"),
    ],
  },
  {
    title: "MongoDB operations per second, by kind",
    description: "Commands the api sends to MongoDB (insertOne, insertMany, find, count, …).",
    unit: "ops",
    targets: [t(`sum by (op) (rate(api_mongo_operations_total[$__rate_interval]))`, "{{op}}")],
  },
  {
    title: "MongoDB operations per /api/data request",
    description: "The seed's original does 10 (5 inserts, 5 reads); batching and the cache bring it towards 0.",
    unit: "short",
    targets: [
      t(`sum(rate(api_mongo_operations_total[$__rate_interval])) / sum(rate(http_requests_total{${API},${DATA_ROUTE}}[$__rate_interval]))`, "ops / request"),
    ],
  },
  {
    title: "Batch size (documents per insertMany)",
    description: "Average and p95 documents per committed batch (writes: batched).",
    unit: "short",
    targets: [
      t(`sum(rate(api_batch_size_documents_sum[$__rate_interval])) / sum(rate(api_batch_size_documents_count[$__rate_interval]))`, "average"),
      t(`histogram_quantile(0.95, sum by (le) (rate(api_batch_size_documents_bucket[$__rate_interval])))`, "p95"),
    ],
  },
  {
    title: "Write queue depth (documents)",
    description: "Documents waiting for their batch, per pod. At queueMaxDocs new requests get 503 + Retry-After.",
    unit: "short",
    targets: [t(`sum by (pod) (api_write_queue_documents)`, "{{pod}}")],
  },
  {
    title: "Cache hit ratio",
    description: "Share of read-id lookups answered from Redis (cache: redis). The issue's target in the hold stage: ≥ 90 %.",
    unit: "percentunit",
    max: 1,
    targets: [
      t(`sum(rate(api_cache_lookups_total{result="hit"}[$__rate_interval])) / sum(rate(api_cache_lookups_total[$__rate_interval]))`, "hit ratio"),
    ],
  },
];

/** The dashboard model (Grafana's JSON). */
export function apiDashboard(): Record<string, unknown> {
  return timeSeriesDashboard({
    uid: API_DASHBOARD_UID,
    title: "statefleet / api (seed 002)",
    description: "Throughput, latency, MongoDB load, batching and cache of the api variant.",
    tags: ["statefleet", "api", "seed-002"],
    panels: PANELS,
  });
}
