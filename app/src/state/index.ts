import type { MongoSettings, RedisSettings, StoreConfig } from "../lib/config";
import type { Logger } from "../lib/logger";
import type { Metrics } from "../lib/metrics";
import { FileCounterStore } from "./counter/file-counter";
import { MongoCounterStore } from "./counter/mongo-counter";
import { RedisCounterStore } from "./counter/redis-counter";
import { reasonOf, type StoreContext } from "./errors";
import { createMongo, redactMongoUrl, type Mongo } from "./mongo-client";
import { FilePairStore } from "./pairs/file-pairs";
import { MongoPairStore } from "./pairs/mongo-pairs";
import { RedisPairStore } from "./pairs/redis-pairs";
import { createRedis, redactUrl, type Redis } from "./redis-client";
import type { CounterReader, CounterStore, PairStore } from "./types";

export type { CounterReader, CounterStore, Pair, PairStore } from "./types";
export { StoreUnavailableError } from "./errors";

export interface StoreDeps {
  logger: Logger;
  metrics: Metrics;
  role: string;
}

function contextFor(config: StoreConfig, deps: StoreDeps): StoreContext {
  return {
    name: config.kind,
    onError: (operation) => deps.metrics.storeErrors.inc({ role: deps.role, store: config.kind, operation }),
  };
}

/** ioredis' own wording ("Stream isn't writeable…") does not tell a user what is down. */
function redisContext(config: StoreConfig, deps: StoreDeps, client: Redis): StoreContext {
  const where = redactUrl(redisSettings(config).url);
  return {
    ...contextFor(config, deps),
    explain: (err) =>
      client.status === "ready" ? `${where}: ${reasonOf(err)}` : `not connected to ${where} (${client.status}): ${reasonOf(err)}`,
  };
}

/** The driver's own wording ("Server selection timed out…") does not say which server is down. */
function mongoContext(config: StoreConfig, deps: StoreDeps, mongo: Mongo): StoreContext {
  return { ...contextFor(config, deps), explain: (err) => `${mongo.where}: ${reasonOf(err)}` };
}

function mongoSettings(config: StoreConfig): MongoSettings {
  // loadConfig guarantees mongo settings whenever STATE=mongo.
  if (!config.mongo) throw new Error("STATE=mongo without mongo settings");
  return config.mongo;
}

function redisSettings(config: StoreConfig): RedisSettings {
  // loadConfig guarantees redis settings whenever STATE=redis.
  if (!config.redis) throw new Error("STATE=redis without redis settings");
  return config.redis;
}

function describe(config: StoreConfig): Record<string, string> {
  switch (config.kind) {
    case "redis":
      return { state: "redis", redis: redactUrl(redisSettings(config).url), keyPrefix: redisSettings(config).keyPrefix };
    case "mongo":
      return { state: "mongo", mongo: redactMongoUrl(mongoSettings(config).url) };
    default:
      return { state: config.kind, stateDir: config.stateDir };
  }
}

async function openCounter(config: StoreConfig, deps: StoreDeps, readOnly: boolean): Promise<CounterStore> {
  deps.logger.info(describe(config), readOnly ? "opening counter store read-only" : "opening counter store");
  if (config.kind === "redis") {
    const settings = redisSettings(config);
    const client = createRedis(settings, deps.logger);
    return new RedisCounterStore(client, settings.keyPrefix, redisContext(config, deps, client));
  }
  if (config.kind === "mongo") {
    const mongo = createMongo(mongoSettings(config), deps.logger);
    return new MongoCounterStore(mongo, mongoContext(config, deps, mongo));
  }
  const ctx = contextFor(config, deps);
  return FileCounterStore.open({ dir: config.stateDir, layout: config.kind, podName: config.podName, readOnly, ctx, log: config.log });
}

/** The counter behind pingpong, chosen once from STATE. */
export function openCounterStore(config: StoreConfig, deps: StoreDeps): Promise<CounterStore> {
  return openCounter(config, deps, false);
}

/** The same counter, read-only: logoutput shows it but never changes it. */
export function openCounterReader(config: StoreConfig, deps: StoreDeps): Promise<CounterReader> {
  return openCounter(config, deps, true);
}

/** The stats page's pair counts, chosen once from STATE. */
export async function openPairStore(config: StoreConfig, deps: StoreDeps): Promise<PairStore> {
  deps.logger.info(describe(config), "opening pair store");
  if (config.kind === "redis") {
    const settings = redisSettings(config);
    const client = createRedis(settings, deps.logger);
    return new RedisPairStore(client, settings.keyPrefix, redisContext(config, deps, client));
  }
  if (config.kind === "mongo") {
    const mongo = createMongo(mongoSettings(config), deps.logger);
    return new MongoPairStore(mongo, mongoContext(config, deps, mongo));
  }
  return FilePairStore.open({
    dir: config.stateDir,
    layout: config.kind,
    podName: config.podName,
    ctx: contextFor(config, deps),
    log: config.log,
  });
}
