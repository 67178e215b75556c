import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { OverloadedError, StoreUnavailableError } from "../state/errors";
import type { BaseConfig } from "./config";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";

/** Why the role is not ready, or undefined when it is. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface HttpOptions {
  config: BaseConfig;
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck;
  /**
   * `json`: health, readiness and error answers as JSON (the api role's contract:
   * `{"status":"ok","timestamp":…}`); `text` (default): plain text lines.
   */
  format?: "text" | "json";
  /** What `/metrics` serves; default: this process's registry (a cluster worker asks its primary). */
  metricsText?: () => Promise<string>;
}

/** The HTTP layer every role shares; the role only adds its own routes. */
export interface HttpServer {
  app: FastifyInstance;
  /** From now on `/readyz` answers 503 so the Service stops sending new traffic. */
  beginShutdown(): void;
}

const STORE_WARNING_INTERVAL_MS = 10_000;

export function createHttpServer(opts: HttpOptions): HttpServer {
  const { config, logger, metrics } = opts;
  let shuttingDown = false;
  const json = opts.format === "json";
  /** One answer shape per format: `{"status": …, "detail": …, "timestamp": …}` or a text line. */
  const answer = (reply: FastifyReply, code: number, status: string, detail?: string): FastifyReply => {
    if (json) {
      return reply
        .code(code)
        .type("application/json; charset=utf-8")
        .send({ status, ...(detail !== undefined ? { detail } : {}), timestamp: new Date().toISOString() });
    }
    return reply.code(code).type("text/plain; charset=utf-8").send(`${detail ?? status}\n`);
  };

  const app = Fastify({
    // Upcast so the instance has fastify's default logger type (roles need no pino types).
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request info logs would dominate CPU under load; responses are logged at debug below.
    logController: new LogController({ disableRequestLogging: true }),
    // We resolve the client ourselves (lib/client-ip.ts): fastify's trustProxy would
    // accept any X-Forwarded-For without the validation the stats page needs.
    trustProxy: false,
    // Longer than ingress-nginx's upstream keep-alive (60 s), so the proxy never reuses a
    // connection we are just closing (which would surface as a 502 to the user).
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
  });

  // One pair of label-bound metric children per (route, status): prom-client hashes the label
  // set on every unbound call, which was a measurable share of a request's CPU under load.
  const children = new Map<string, { requests: { inc(): void }; duration: { observe(seconds: number): void } }>();
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The route pattern, not the raw URL: unknown paths must not explode label cardinality.
    const route = request.routeOptions.url ?? "unmatched";
    const status = reply.statusCode;
    const key = `${status} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = {
        requests: metrics.httpRequests.labels({ role: config.role, route, status: String(status) }),
        duration: metrics.httpDuration.labels({ role: config.role, route }),
      };
      children.set(key, child);
    }
    child.requests.inc();
    child.duration.observe(reply.elapsedTime / 1000);
    if (logger.isLevelEnabled("debug")) {
      request.log.debug({ method: request.method, url: request.url, status, ms: reply.elapsedTime }, "response");
    }
    done();
  });

  app.setNotFoundHandler(async (request, reply) => {
    // A known path asked with another method is a 405 naming the allowed ones, not a 404.
    const url = request.url.split("?")[0] ?? "/";
    const allowed = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"].filter((method) => app.hasRoute({ method, url }));
    if (allowed.length > 0) {
      void reply.header("allow", allowed.join(", "));
      return answer(reply, 405, "error", `method ${request.method} not allowed on ${url} (allowed: ${allowed.join(", ")})`);
    }
    return answer(reply, 404, "error", "not found");
  });

  // During an outage every request fails the same way: log the first, then one summary per
  // interval, so an outage under load does not turn into a log flood.
  let lastStoreWarning = 0;
  let suppressed = 0;
  app.setErrorHandler(async (err, request, reply) => {
    if (err instanceof StoreUnavailableError) {
      if (Date.now() - lastStoreWarning >= STORE_WARNING_INTERVAL_MS) {
        request.log.warn({ err: err.message, similarSinceLast: suppressed }, "state store unavailable; answering 503");
        lastStoreWarning = Date.now();
        suppressed = 0;
      } else {
        suppressed++;
      }
      return answer(reply, 503, "error", err.message);
    }
    if (err instanceof OverloadedError) {
      void reply.header("retry-after", String(err.retryAfterSeconds));
      return answer(reply, 503, "error", err.message);
    }
    const status = typeof (err as { statusCode?: unknown }).statusCode === "number" ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) request.log.error({ err }, "request failed");
    return answer(reply, status, "error", status >= 500 ? "internal error" : (err as Error).message);
  });

  app.get("/healthz", async (_request, reply) => answer(reply, 200, "ok"));

  app.get("/readyz", async (_request, reply) => {
    const reason = shuttingDown ? "shutting down" : await opts.readiness().catch((err: unknown) => String(err));
    if (reason !== undefined) return answer(reply, 503, "not ready", json ? reason : `not ready: ${reason}`);
    return answer(reply, 200, "ready");
  });

  const metricsText = opts.metricsText ?? (() => metrics.registry.metrics());
  app.get("/metrics", async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metricsText());
  });

  return {
    app,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
