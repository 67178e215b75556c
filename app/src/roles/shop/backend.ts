import type { FastifyInstance } from "fastify";
import type { ShopConfig, ShopServiceConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { reasonOf, type StoreContext } from "../../state/errors";
import { closeMongo, createMongo, mongoAnswers, type Mongo } from "../../state/mongo-client";
import { closeRedis, createRedis, redactUrl, redisAnswers, type Redis } from "../../state/redis-client";
import type Ioredis from "ioredis";

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

/** Runs `n` commands added by `add(pipeline, i)` in pipelines of 1000 (the batch_init seeding). */
export async function pipelined(client: Ioredis, n: number, add: (pipeline: ReturnType<Ioredis["pipeline"]>, i: number) => void): Promise<void> {
  for (let start = 0; start < n; start += 1000) {
    const pipeline = client.pipeline();
    for (let i = start; i < Math.min(n, start + 1000); i++) add(pipeline, i);
    const failed = ((await pipeline.exec()) ?? []).find(([err]) => err);
    if (failed) throw failed[0];
  }
}

/** shop-payment and shop-stock: a store on the chosen backend behind the shared HTTP layer. */
export async function startShopService<S>(
  config: ShopServiceConfig,
  runtime: Runtime = createRuntime(config),
  stores: { redis: (backend: Extract<Backend, { kind: "redis" }>) => S; mongo: (backend: Extract<Backend, { kind: "mongo" }>) => S },
  routes: (app: FastifyInstance, store: S) => void,
): Promise<RoleHandle> {
  const backend = openBackend(config, runtime);
  const store = backend.kind === "redis" ? stores.redis(backend) : stores.mongo(backend);
  return startService({
    config,
    runtime,
    format: "json",
    readiness: () => backendReady(backend),
    closeResources: () => closeBackend(backend),
    routes: (app) => routes(app, store),
  });
}
