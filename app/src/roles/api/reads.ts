import type { Collection } from "mongodb";
import type { RedisSettings } from "../../lib/config";
import type { Logger } from "../../lib/logger";
import { guard, reasonOf, type StoreContext } from "../../state/errors";
import type { Mongo } from "../../state/mongo-client";
import type { Redis } from "../../state/redis-client";
import { DOCS_PER_REQUEST, RECORDS_COLLECTION, type RecordDoc } from "./documents";
import type { ApiMetrics } from "./metrics";

export interface ReadResult {
  /** Five ids (null where the collection had fewer documents), as the seed answers. */
  ids: Array<string | null>;
  /** True when the ids came from the Redis cache. */
  cached: boolean;
}

/** Where `/api/data` gets its five read ids. */
export interface ReadSource {
  read(): Promise<ReadResult>;
}

function pad(ids: string[]): Array<string | null> {
  return Array.from({ length: DOCS_PER_REQUEST }, (_, i) => ids[i] ?? null);
}

/**
 * The five read ids from MongoDB. `seed`: the seed's original, five `findOne({type: "write"})`
 * one after the other (always the same oldest document). `query`: the seed's fix, one
 * `find({type: "write"}).limit(5)`, five ids in one round trip.
 */
export class MongoReads implements ReadSource {
  private readonly records: Collection<RecordDoc>;

  constructor(
    mongo: Mongo,
    private readonly ctx: StoreContext,
    private readonly style: "seed" | "query",
  ) {
    this.records = mongo.db.collection<RecordDoc>(RECORDS_COLLECTION);
  }

  read(): Promise<ReadResult> {
    return guard(this.ctx, "read", async () => {
      if (this.style === "query") {
        const docs = await this.records.find({ type: "write" }, { projection: { _id: 1 } }).limit(DOCS_PER_REQUEST).toArray();
        return { ids: pad(docs.map((d) => String(d._id))), cached: false };
      }
      const ids: Array<string | null> = [];
      for (let i = 0; i < DOCS_PER_REQUEST; i++) {
        const doc = await this.records.findOne({ type: "write" }, { projection: { _id: 1 } });
        ids.push(doc ? String(doc._id) : null);
      }
      return { ids, cached: false };
    });
  }
}

interface CacheEntry {
  ids: Array<string | null>;
  /** When the MongoDB read that produced the ids started (ms since the epoch). */
  readAt: number;
}

/**
 * Refresh ahead once an entry has lived this share of its TTL: the other half is the time a
 * refresh read may take (behind a queue of writes on a throttled MongoDB) before the key expires.
 */
const REFRESH_AHEAD_AT = 0.5;

/**
 * Read ids cached in Redis for a TTL, with no invalidation on writes (the seed's fix deleted
 * the key on every write, so it almost never hit). The key expires TTL after the MongoDB read
 * that produced it STARTED, so nothing served is older than the TTL.
 * - Refresh ahead: once an entry is half-way through its TTL, the first request that sees it
 *   (one per pod-wide lock, `<key>:refresh`) re-reads MongoDB in the background while every
 *   request keeps being served from the cache — under steady load the key never expires and
 *   no request waits for MongoDB.
 * - On a real miss (first start, idle key expired), one MongoDB read per process refreshes the
 *   key and every request that missed meanwhile shares it (no stampede).
 * - If Redis fails, requests still get fresh ids from MongoDB (shared the same way): the cache
 *   is an optimisation, never a reason to fail a request.
 * - The entry last read from Redis is also kept in the process until half its TTL (it never
 *   outlives the Redis key), so under load a worker asks Redis about once per TTL, not once
 *   per request.
 */
export class CachedReads implements ReadSource {
  private refreshing: Promise<Array<string | null>> | undefined;
  private ahead: Promise<void> | undefined;
  private local: CacheEntry | undefined;
  private lastRedisWarning = 0;
  readonly key: string;
  private readonly lockKey: string;

  constructor(
    private readonly redis: Redis,
    settings: RedisSettings,
    private readonly ttlSeconds: number,
    private readonly source: ReadSource,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
  ) {
    this.key = `${settings.keyPrefix}reads`;
    this.lockKey = `${this.key}:refresh`;
  }

  async read(): Promise<ReadResult> {
    const refreshAfter = REFRESH_AHEAD_AT * this.ttlSeconds * 1000;
    if (this.local && Date.now() - this.local.readAt <= refreshAfter) {
      this.metrics.cacheLookups.inc({ result: "hit" });
      return { ids: this.local.ids, cached: true };
    }
    const hit = await this.lookup();
    if (hit) {
      this.metrics.cacheLookups.inc({ result: "hit" });
      if (Date.now() - hit.readAt > refreshAfter) this.refreshAhead();
      else this.local = hit;
      return { ids: hit.ids, cached: true };
    }
    this.metrics.cacheLookups.inc({ result: "miss" });
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return { ids: await this.refreshing, cached: false };
  }

  /** Starts a background refresh unless one runs here or (per the lock) on another worker. */
  private refreshAhead(): void {
    if (this.ahead || this.refreshing) return;
    const lockMs = Math.max(100, Math.round((1 - REFRESH_AHEAD_AT) * this.ttlSeconds * 1000));
    this.ahead = (async () => {
      try {
        if ((await this.redis.set(this.lockKey, "1", "PX", lockMs, "NX")) === "OK") await this.refresh();
      } catch (err) {
        this.warn(err);
      }
    })().finally(() => {
      this.ahead = undefined;
    });
  }

  private async lookup(): Promise<CacheEntry | undefined> {
    try {
      const raw = await this.redis.get(this.key);
      if (raw === null) return undefined;
      const entry = JSON.parse(raw) as CacheEntry;
      return Array.isArray(entry.ids) && entry.ids.length === DOCS_PER_REQUEST && typeof entry.readAt === "number" ? entry : undefined;
    } catch (err) {
      this.warn(err);
      return undefined;
    }
  }

  private async refresh(): Promise<Array<string | null>> {
    const readAt = Date.now();
    const { ids } = await this.source.read();
    const ttlLeftMs = readAt + this.ttlSeconds * 1000 - Date.now();
    if (ttlLeftMs > 0) {
      const entry: CacheEntry = { ids, readAt };
      this.local = entry;
      await this.redis.set(this.key, JSON.stringify(entry), "PX", ttlLeftMs).catch((err: unknown) => this.warn(err));
    }
    return ids;
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastRedisWarning < 10_000) return;
    this.lastRedisWarning = Date.now();
    this.logger.warn({ err: reasonOf(err) }, "read cache (redis) unavailable; reading MongoDB instead");
  }
}
