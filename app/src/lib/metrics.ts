import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** The one metrics registry of the process, served at `/metrics`. */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"role" | "route" | "status">;
  httpDuration: Histogram<"role" | "route">;
  /** Failed store operations; a non-zero rate means users are getting 503s. */
  storeErrors: Counter<"role" | "store" | "operation">;
}

export function createMetrics(): Metrics {
  // A registry of our own (not prom-client's global one) keeps tests and roles independent.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by role, route pattern and status code",
      labelNames: ["role", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from request received to response sent",
      labelNames: ["role", "route"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: "state_store_errors_total",
      help: "State store operations that failed (the request was answered 503)",
      labelNames: ["role", "store", "operation"] as const,
      registers: [registry],
    }),
  };
}
