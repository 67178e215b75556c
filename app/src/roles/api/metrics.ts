import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * The api role's own metrics, next to the shared `http_requests_total` and
 * `http_request_duration_seconds`. The names are a contract with the Grafana dashboard.
 */
export interface ApiMetrics {
  /** Every command the app sent to MongoDB, from the driver's command monitoring. */
  mongoOperations: Counter<"op">;
  /** Documents per committed insert (1 per insertOne in `direct` mode). */
  batchSize: Histogram;
  /** Documents accepted but not yet committed (this process). */
  queueDocuments: Gauge;
  cacheLookups: Counter<"result">;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  return {
    mongoOperations: new Counter({
      name: "api_mongo_operations_total",
      help: "MongoDB commands sent by the api role, by command name (driver command monitoring)",
      labelNames: ["op"] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: "api_batch_size_documents",
      help: "Documents written to MongoDB per insert command",
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    queueDocuments: new Gauge({
      name: "api_write_queue_documents",
      help: "Documents accepted and waiting to be committed to MongoDB",
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: "api_cache_lookups_total",
      help: "Read-id cache lookups by /api/data, by result (hit or miss)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}
