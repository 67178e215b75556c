/**
 * The Grafana dashboard of the shop variant (seed 003): what the operator watches while the
 * course's consistency and stress tests run. Built from the metrics the shop roles export
 * (docs/shop.md); Grafana's dashboard sidecar loads it from a labelled ConfigMap.
 */
import { target as t, timeSeriesDashboard, type PanelSpec } from "./grafana";

/** Stable across deploys, so links and bookmarks keep working. */
export const SHOP_DASHBOARD_UID = "statefleet-shop";

/** The three roles' `role` label (app/src: `shop-order`, `shop-payment`, `shop-stock`). */
const SHOP = `role=~"shop-order|shop-payment|shop-stock"`;
const rate = (series: string) => `rate(${series}[$__rate_interval])`;

const PANELS: PanelSpec[] = [
  {
    title: "Checkouts per second, by outcome",
    description: "Every answered checkout: paid, out_of_stock, insufficient_credit, not_found, already_paid are business answers (2xx / 4xx); error is a 5xx.",
    unit: "reqps",
    targets: [t(`sum by (outcome) (${rate("shop_checkouts_total")})`, "{{outcome}}")],
  },
  {
    title: "Checkout latency p95, by outcome",
    description: "The whole saga as the caller waits for it (pay → stock → commit, or the refund).",
    unit: "s",
    targets: [t(`histogram_quantile(0.95, sum by (le, outcome) (${rate("shop_checkout_duration_seconds_bucket")}))`, "{{outcome}}")],
  },
  {
    title: "Request latency p95, by service",
    description: "Every route of each service (the course's stress target: mean < 1 s at 1,000 users).",
    unit: "s",
    targets: [t(`histogram_quantile(0.95, sum by (le, role) (${rate(`http_request_duration_seconds_bucket{${SHOP}}`)}))`, "{{role}}")],
  },
  {
    title: "Requests per second, by service and status",
    description: "4xx are business answers (unknown id, out of stock, no credit); 5xx should stay at 0, 503 means a store or a service was unreachable.",
    unit: "reqps",
    targets: [t(`sum by (role, status) (${rate(`http_requests_total{${SHOP}}`)})`, "{{role}} {{status}}")],
  },
  {
    title: "Checkouts in flight",
    description: "Sagas the order replicas are running right now, per pod; a pod stuck above 0 with no traffic holds a checkout.",
    unit: "short",
    targets: [t(`sum by (pod) (shop_saga_in_flight)`, "{{pod}}"), t(`sum(shop_saga_in_flight)`, "all")],
  },
  {
    title: "Compensations and recoveries per second",
    description: "Refunds after a failed stock step, and checkouts resumed by another replica after their owner died (the lease expired).",
    unit: "ops",
    targets: [t(`sum(${rate("shop_saga_compensations_total")})`, "refunds"), t(`sum(${rate("shop_saga_recovered_total")})`, "recovered")],
  },
  {
    title: "Saga steps per second, by step and result",
    description: "pay, stock, refund, commit: ok, failed (a business refusal), retried (a call that timed out or could not connect).",
    unit: "ops",
    targets: [t(`sum by (step, result) (${rate("shop_saga_steps_total")})`, "{{step}} {{result}}")],
  },
  {
    title: "Store errors per second, by service",
    description: "Redis or MongoDB operations that failed; the request was answered 503 and nothing changed.",
    unit: "ops",
    targets: [t(`sum by (role) (${rate(`state_store_errors_total{${SHOP}}`)})`, "{{role}}")],
  },
];

/** The dashboard model (Grafana's JSON). */
export function shopDashboard(): Record<string, unknown> {
  return timeSeriesDashboard({
    uid: SHOP_DASHBOARD_UID,
    title: "statefleet / shop (seed 003)",
    description: "Checkouts by outcome, latency, sagas in flight, compensations and recoveries of the shop's order, payment and stock services.",
    tags: ["statefleet", "shop", "seed-003"],
    panels: PANELS,
  });
}
