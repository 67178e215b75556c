import { randomUUID } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { LogoutputConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { openCountSource } from "./count-source";

/**
 * The log-output role (seed 001): a UUID chosen at start; every LOG_INTERVAL_MS it logs and
 * keeps `<ISO time>: <uuid>.` + newline + `Ping / Pongs: <N>`, served as text at / and /status.
 * If the count cannot be read, the previous line stays (its timestamp shows its age) and
 * /readyz reports the source as down; a made-up count is never shown.
 */
export async function start(config: LogoutputConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const source = await openCountSource(config.source, runtime);
  const uuid = randomUUID();
  let current: string | undefined;
  let lastError = "no count read yet";

  /** True when a new line was written. */
  const tick = async (): Promise<boolean> => {
    try {
      // Stamp the line with when the read began: the count is at least as new as that moment,
      // whereas a stamp taken after the read could post-date a count that was already stale.
      const at = new Date();
      const n = await source.count();
      current = `${at.toISOString()}: ${uuid}.\nPing / Pongs: ${n}\n`;
      runtime.logger.info({ uuid, count: n }, current.trimEnd());
      return true;
    } catch (err) {
      lastError = (err as Error).message;
      runtime.logger.warn({ err: lastError }, "could not read the ping-pong count; keeping the previous line");
      return false;
    }
  };

  // Self-scheduling instead of setInterval: a slow source never makes ticks pile up. After a
  // failure, retry within a second so a source that comes back shows up without waiting a
  // whole interval (a store connecting right after start, typically).
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ok: boolean): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick().then(schedule), ok ? config.logIntervalMs : Math.min(config.logIntervalMs, 1000));
  };
  schedule(await tick());

  const serve = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    if (current === undefined) return reply.code(503).type("text/plain; charset=utf-8").send(`${lastError}\n`);
    return reply.type("text/plain; charset=utf-8").send(current);
  };

  return startService({
    config,
    runtime,
    // Ready = it can serve a line and the source answers right now.
    readiness: async () => {
      if (current === undefined) return `no line yet: ${lastError}`;
      return (await source.ready()) ? undefined : `count source ${source.name} does not answer`;
    },
    closeResources: async () => {
      stopped = true;
      clearTimeout(timer);
      await source.close();
    },
    routes(app) {
      app.get("/", serve);
      app.get("/status", serve);
    },
  });
}
