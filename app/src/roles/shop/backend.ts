import type { ShopConfig } from "../../lib/config";
import type { Runtime } from "../../lib/service";
import { reasonOf, type StoreContext } from "../../state/errors";
import { closeMongo, createMongo, mongoAnswers, type Mongo } from "../../state/mongo-client";
import { closeRedis, createRedis, redactUrl, redisAnswers, type Redis } from "../../state/redis-client";

/** The one store connection of a shop service, chosen from STATE. */
export type Backend =
  | { kind: "redis"; client: Redis; keyPrefix: string; ctx: StoreContext }
  | { kind: "mongo"; mongo: Mongo; ctx: StoreContext };

export function openBackend(config: ShopConfig, runtime: Runtime): Backend {
  const onError = (operation: string) => runtime.metrics.storeErrors.inc({ role: config.role, store: config.store.kind, operation });
  if (config.store.kind === "redis") {
    const settings = config.store.redis;
    const client = createRedis(settings, runtime.logger);
    const where = redactUrl(settings.url);
    runtime.logger.info({ state: "redis", redis: where, keyPrefix: settings.keyPrefix }, "opening shop store");
    return {
      kind: "redis",
      client,
      keyPrefix: settings.keyPrefix,
      ctx: {
        name: "redis",
        onError,
        explain: (err) => (client.status === "ready" ? `${where}: ${reasonOf(err)}` : `not connected to ${where} (${client.status}): ${reasonOf(err)}`),
      },
    };
  }
  const mongo = createMongo(config.store.mongo, runtime.logger);
  runtime.logger.info({ state: "mongo", mongo: mongo.where }, "opening shop store");
  return { kind: "mongo", mongo, ctx: { name: "mongo", onError, explain: (err) => `${mongo.where}: ${reasonOf(err)}` } };
}

export async function backendReady(backend: Backend): Promise<string | undefined> {
  const ok = backend.kind === "redis" ? await redisAnswers(backend.client) : await mongoAnswers(backend.mongo);
  return ok ? undefined : `state store ${backend.kind} does not answer`;
}

export function closeBackend(backend: Backend): Promise<void> {
  return backend.kind === "redis" ? closeRedis(backend.client) : closeMongo(backend.mongo);
}
