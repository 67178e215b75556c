import type { ApiConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { guard, reasonOf, type StoreContext } from "../../state/errors";
import { closeMongo, createMongo, mongoAnswers, type Mongo } from "../../state/mongo-client";
import { closeRedis, createRedis, type Redis } from "../../state/redis-client";
import { COUNTERS_COLLECTION, RECORDS_COUNTER_ID, newDocuments } from "./documents";
import { createApiMetrics } from "./metrics";
import { CachedReads, MongoReads, type ReadSource } from "./reads";
import { BatchWriter, DirectWriter, type DocumentWriter } from "./writer";

export interface ApiStartOptions {
  /** A cluster worker serves the metrics of every worker of the pod (asked from its primary). */
  metricsText?: () => Promise<string>;
}

/**
 * The api role (seed 002): GET /api/data writes five documents and answers five read ids;
 * GET /api/stats answers the exact document count; GET /api/cache/status describes the cache.
 * Health, readiness and errors answer JSON, like the seed.
 */
export async function start(config: ApiConfig, runtime: Runtime = createRuntime(config), options: ApiStartOptions = {}): Promise<RoleHandle> {
  const metrics = createApiMetrics(runtime.metrics.registry);
  const mongo: Mongo = createMongo(config.mongo, runtime.logger, (op) => metrics.mongoOperations.inc({ op }));
  const ctx: StoreContext = {
    name: "mongo",
    onError: (operation) => runtime.metrics.storeErrors.inc({ role: "api", store: "mongo", operation }),
    explain: (err) => `${mongo.where}: ${reasonOf(err)}`,
  };

  const writer: DocumentWriter =
    config.writes === "direct"
      ? new DirectWriter(mongo, ctx, metrics)
      : new BatchWriter(mongo, ctx, metrics, { maxDocs: config.batchMaxDocs, maxWaitMs: config.batchMaxWaitMs, queueMaxDocs: config.queueMaxDocs });

  let redis: Redis | undefined;
  let reads: ReadSource = new MongoReads(mongo, ctx, config.writes === "direct" ? "seed" : "query");
  if (config.cache.kind === "redis") {
    redis = createRedis(config.cache.redis, runtime.logger);
    reads = new CachedReads(redis, config.cache.redis, config.cache.ttlSeconds, reads, metrics, runtime.logger);
  }
  const counters = mongo.db.collection<{ _id: string; n: number }>(COUNTERS_COLLECTION);
  runtime.logger.info(
    { mongo: mongo.where, writes: config.writes, cache: config.cache.kind, batchMaxDocs: config.batchMaxDocs, batchMaxWaitMs: config.batchMaxWaitMs, queueMaxDocs: config.queueMaxDocs },
    "api settings",
  );

  return startService({
    config,
    runtime,
    format: "json",
    ...(options.metricsText ? { metricsText: options.metricsText } : {}),
    // Ready = MongoDB answers. Redis is only a cache: without it requests still succeed.
    readiness: async () => ((await mongoAnswers(mongo)) ? undefined : `MongoDB not reachable (${mongo.where})`),
    closeResources: async () => {
      // Everything acknowledged is already committed; this writes what was accepted since.
      await writer.close();
      if (redis) await closeRedis(redis);
      await closeMongo(mongo);
    },
    routes(app) {
      app.get("/api/data", async (_request, reply) => {
        const writes = await writer.write(newDocuments());
        const { ids, cached } = await reads.read();
        return reply
          .header("cache-control", "no-store")
          .send({ status: "success", writes, reads: ids, timestamp: new Date().toISOString(), cached });
      });

      app.get("/api/stats", async (_request, reply) => {
        const doc = await guard(ctx, "stats", () => counters.findOne({ _id: RECORDS_COUNTER_ID }));
        return reply.header("cache-control", "no-store").send({ total_documents: doc?.n ?? 0, timestamp: new Date().toISOString() });
      });

      app.get("/api/cache/status", async (_request, reply) => {
        if (!redis || config.cache.kind !== "redis") return reply.send({ cache_enabled: false, connected: false });
        const base = { cache_enabled: true, ttl_seconds: config.cache.ttlSeconds };
        try {
          const info = await redis.info();
          const field = (name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
          return reply.send({
            ...base,
            connected: true,
            used_memory: field("used_memory_human") ?? null,
            connected_clients: Number(field("connected_clients") ?? 0),
          });
        } catch (err) {
          return reply.send({ ...base, connected: false, detail: reasonOf(err) });
        }
      });
    },
  });
}
