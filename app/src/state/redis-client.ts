import Redis from "ioredis";

export type { Redis };
import type { RedisSettings } from "../lib/config";
import type { Logger } from "../lib/logger";
import { withTimeout } from "./errors";

/** How long a readiness check waits: under the kubelet's default 1 s probe timeout. */
export const READY_CHECK_MS = 750;

/**
 * One ioredis connection tuned for "fail fast, recover by itself":
 * - no offline queue: while disconnected, a command fails at once (the request gets a 503)
 *   instead of piling up and answering late;
 * - no automatic resend of commands in flight when the connection dropped: an INCR that may
 *   already have run must not run twice;
 * - maxRetriesPerRequest 0 and a command timeout: no request waits on reconnects;
 * - reconnect forever in the background, so recovery needs no restart of the app.
 */
export function createRedis(settings: RedisSettings, logger: Logger): Redis {
  const client = new Redis(settings.url, {
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
    lazyConnect: false,
  });

  // ioredis emits an error per failed reconnect; log state changes, not every attempt.
  let healthy = true;
  client.on("error", (err: Error) => {
    if (healthy) logger.warn({ err: err.message, redis: redactUrl(settings.url) }, "redis unreachable; reconnecting in the background");
    healthy = false;
  });
  client.on("ready", () => {
    if (!healthy) logger.info({ redis: redactUrl(settings.url) }, "redis connection restored");
    healthy = true;
  });
  return client;
}

export async function redisAnswers(client: Redis): Promise<boolean> {
  if (client.status !== "ready") return false;
  try {
    return (await withTimeout(READY_CHECK_MS, "redis PING", client.ping())) === "PONG";
  } catch {
    return false;
  }
}

/** Closes politely (QUIT) when connected, otherwise just drops the socket and the retry timer. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "ready") {
    await withTimeout(1000, "redis QUIT", client.quit()).catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}
