import type { FastifyInstance } from "fastify";
import type { BaseConfig } from "./config";
import { createHttpServer, type ReadinessCheck } from "./http";
import { createLogger, type Logger } from "./logger";
import { createMetrics, type Metrics } from "./metrics";

/** What main.ts hands a role: the process-wide logger and metrics registry. */
export interface Runtime {
  logger: Logger;
  metrics: Metrics;
}

export function createRuntime(config: BaseConfig): Runtime {
  return { logger: createLogger(config), metrics: createMetrics() };
}

/** A running role, as main.ts and the shutdown path see it. */
export interface RoleHandle {
  /** Where it listens, e.g. `http://127.0.0.1:8080`. */
  url: string;
  logger: Logger;
  /** Stop looking ready (the listener keeps serving during SHUTDOWN_DELAY_MS). */
  beginShutdown(): void;
  /** Stop accepting, finish in-flight requests, flush and close the store. */
  close(): Promise<void>;
}

export interface ServiceSpec {
  config: BaseConfig;
  runtime: Runtime;
  /** Why the role is not ready; omitted: a role with nothing to wait for is ready once it listens. */
  readiness?: ReadinessCheck;
  /** The role's own routes. */
  routes(app: FastifyInstance): void;
  /** Runs after the last in-flight request finished: flush and close stores, stop timers. */
  closeResources?(): Promise<void>;
  /** See HttpOptions.format. */
  format?: "text" | "json";
  /** See HttpOptions.metricsText. */
  metricsText?: () => Promise<string>;
}

/** Builds the shared HTTP layer around a role's routes and starts listening. */
export async function startService(spec: ServiceSpec): Promise<RoleHandle> {
  const { config, runtime } = spec;
  const closeResources = spec.closeResources ?? (async () => undefined);
  const http = createHttpServer({
    config,
    logger: runtime.logger,
    metrics: runtime.metrics,
    readiness: spec.readiness ?? (async () => undefined),
    ...(spec.format ? { format: spec.format } : {}),
    ...(spec.metricsText ? { metricsText: spec.metricsText } : {}),
  });
  spec.routes(http.app);
  try {
    await http.app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await closeResources().catch(() => undefined);
    throw err;
  }
  const address = http.app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  runtime.logger.info({ port, host: config.host, podIp: config.podIp }, `${config.role} listening`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    logger: runtime.logger,
    beginShutdown: http.beginShutdown,
    close: () => {
      closing ??= (async () => {
        http.beginShutdown();
        // fastify.close stops the listener, closes idle keep-alive sockets, answers 503 to
        // new requests on busy ones, and resolves once in-flight requests have completed.
        await http.app.close();
        await closeResources();
      })();
      return closing;
    },
  };
}
