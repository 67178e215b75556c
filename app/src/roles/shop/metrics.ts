import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** How a `POST /checkout` was answered (the label values are a contract with the dashboard). */
export const CHECKOUT_OUTCOMES = ["paid", "out_of_stock", "insufficient_credit", "not_found", "already_paid", "error"] as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];

export const SAGA_STEPS = ["pay", "stock", "refund", "commit"] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];
export type StepResult = "ok" | "failed" | "retried";

/** shop-order's metrics, next to the shared http ones. Names fixed by docs/shop.md and the dashboard. */
export interface ShopOrderMetrics {
  checkouts: Counter<"outcome">;
  checkoutDuration: Histogram<"outcome">;
  inFlight: Gauge;
  steps: Counter<"step" | "result">;
  compensations: Counter;
  recovered: Counter;
}

export function createShopOrderMetrics(registry: Registry): ShopOrderMetrics {
  const metrics: ShopOrderMetrics = {
    checkouts: new Counter({
      name: "shop_checkouts_total",
      help: "POST /checkout requests answered, by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    checkoutDuration: new Histogram({
      name: "shop_checkout_duration_seconds",
      help: "Time to answer POST /checkout, by outcome",
      labelNames: ["outcome"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "shop_saga_in_flight",
      help: "Checkout sagas this replica is running right now (requests and recoveries)",
      registers: [registry],
    }),
    steps: new Counter({
      name: "shop_saga_steps_total",
      help: "Saga step calls, by step (pay, stock, refund, commit) and result (ok, failed: a business refusal or a lost lease, retried: no answer, tried again)",
      labelNames: ["step", "result"] as const,
      registers: [registry],
    }),
    compensations: new Counter({
      name: "shop_saga_compensations_total",
      help: "Checkouts ended by a refund because the stock step refused after payment",
      registers: [registry],
    }),
    recovered: new Counter({
      name: "shop_saga_recovered_total",
      help: "Checkouts this replica took over after their owner's lease expired and then finished",
      registers: [registry],
    }),
  };
  // Every series exists from the start, so a dashboard's rate() has data before the first checkout.
  for (const outcome of CHECKOUT_OUTCOMES) metrics.checkouts.inc({ outcome }, 0);
  for (const step of SAGA_STEPS) for (const result of ["ok", "failed", "retried"] as const) metrics.steps.inc({ step, result }, 0);
  return metrics;
}
