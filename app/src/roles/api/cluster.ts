import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { ApiConfig } from "../../lib/config";
import type { RoleHandle, Runtime } from "../../lib/service";
import { start } from "./index";

const METRICS_REQUEST = "statefleet:metrics-request";
const METRICS_ANSWER = "statefleet:metrics-answer";
const RESTART_DELAY_MS = 500;

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/**
 * API_WORKERS=1: one process, no cluster. More: a node:cluster primary that only forks the
 * workers, restarts one that dies, forwards SIGTERM and aggregates their metrics; every
 * worker runs the whole role (its own MongoDB pool, batcher and read cache) on the shared port.
 */
export function startApi(config: ApiConfig, runtime: Runtime): Promise<RoleHandle> {
  if (config.workers <= 1) return start(config, runtime);
  return cluster.isPrimary ? startPrimary(config, runtime) : startWorker(config, runtime);
}

async function startWorker(config: ApiConfig, runtime: Runtime): Promise<RoleHandle> {
  // prom-client answers the primary's aggregation requests with these registries.
  AggregatorRegistry.setRegistries([runtime.metrics.registry]);
  new AggregatorRegistry();

  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on("message", (message: MetricsAnswer) => {
    if (message?.type !== METRICS_ANSWER) return;
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) w?.resolve(message.text);
    else w?.reject(new Error(`metrics aggregation failed: ${message.error ?? "unknown"}`));
  });
  const metricsText = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
      setTimeout(() => {
        if (waiting.delete(id)) reject(new Error("the cluster primary did not answer the metrics request within 5 s"));
      }, 5000).unref();
    });

  // The primary is gone (killed): finish in-flight work and leave, as on SIGTERM.
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
  return start(config, runtime, { metricsText });
}

async function startPrimary(config: ApiConfig, runtime: Runtime): Promise<RoleHandle> {
  const log = runtime.logger;
  const aggregator = new AggregatorRegistry();
  const workers = new Set<Worker>();
  const failures: string[] = [];
  let stopping = false;
  let started = false;
  let startupFailed: ((err: Error) => void) | undefined;

  const fork = (): Worker => {
    const worker = cluster.fork();
    workers.add(worker);
    worker.on("message", (message: MetricsRequest) => {
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_ANSWER, id: message.id, text } satisfies MetricsAnswer),
        (err: Error) => worker.send({ type: METRICS_ANSWER, id: message.id, error: err.message } satisfies MetricsAnswer),
      );
    });
    worker.on("exit", (code, signal) => {
      workers.delete(worker);
      if (stopping) {
        if (code !== 0) failures.push(`worker ${worker.process.pid} exited with ${signal ?? code}`);
        return;
      }
      if (!started) {
        startupFailed?.(new Error(`worker ${worker.process.pid} exited with ${signal ?? code} before listening`));
        return;
      }
      log.error({ pid: worker.process.pid, code, signal }, "api worker died; starting a new one");
      setTimeout(() => {
        if (!stopping) fork();
      }, RESTART_DELAY_MS);
    });
    return worker;
  };

  const all = Array.from({ length: config.workers }, () => fork());
  try {
    await new Promise<void>((resolve, reject) => {
      startupFailed = reject;
      let listening = 0;
      for (const w of all) w.once("listening", () => ++listening === all.length && resolve());
    });
  } catch (err) {
    stopping = true;
    for (const w of workers) w.process.kill("SIGKILL");
    throw err;
  }
  started = true;
  log.info({ workers: config.workers, port: config.port }, "api cluster primary: workers listening");

  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  const stopWorkers = (): void => {
    stopping = true;
    for (const w of workers) w.process.kill("SIGTERM");
  };
  return {
    url: `http://${host}:${config.port}`,
    logger: log,
    // Workers turn not-ready and drain by themselves (each runs the same shutdown path).
    beginShutdown: stopWorkers,
    close: () => {
      closing ??= (async () => {
        stopWorkers();
        await Promise.all([...workers].map((w) => new Promise((resolve) => (w.isDead() ? resolve(undefined) : w.once("exit", resolve)))));
        if (failures.length > 0) throw new Error(failures.join("; "));
      })();
      return closing;
    },
  };
}
