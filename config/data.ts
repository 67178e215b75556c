import { z } from "zod";
import { quantity, resourcesDefault } from "./common";

/** One Redis node for the `redis` state strategy (and the api variant's cache). */
export const redisSchema = z
  .strictObject({
    /** Deploy Redis (StatefulSet, Services, Secrets, NetworkPolicy) in the data namespace. */
    enabled: z.boolean().default(true),
    /** Memory Redis may use before its policy applies (Redis `maxmemory`); keep it ≤ 75% of the memory limit. */
    maxMemory: z.string().regex(/^\d+(kb|mb|gb)$/, { message: "not a Redis memory size (allowed: e.g. 200mb, 1gb)" }).default("200mb"),
    /** What Redis does at maxmemory; counters must not be evicted, hence noeviction. */
    maxMemoryPolicy: z.enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "volatile-ttl"]).default("noeviction"),
    /** Append-only file persistence (fsync every second); off only for throwaway caches. */
    appendOnly: z.boolean().default(true),
    /** Size of Redis' own volume (ReadWriteOnce, the cluster's default storage class). */
    storageSize: quantity.default("1Gi"),
    /** Requests and limits of the redis container (the exporter sidecar has its own small fixed budget). */
    resources: resourcesDefault("100m", "128Mi", "500m", "320Mi"),
  })
  .prefault({});

/** mongod's ticket validators refuse fewer than 5 concurrent read or write transactions. */
export const MONGO_MIN_TICKETS = 5;
/** `--wiredTigerCacheSizeGB` accepts 0.25 GB at the least (and mongod's own default never goes below 256 MB). */
export const MONGO_MIN_CACHE_GB = 0.25;

/**
 * One MongoDB node, with the seed-002 throttle as knobs. The defaults are the seed's hard rules:
 * 10 read and 10 write WiredTiger tickets, a 0.25 GB cache, 500Mi of memory and half a CPU.
 */
export const mongoSchema = z
  .strictObject({
    /** Deploy MongoDB (StatefulSet, Services, Secrets, NetworkPolicy) in the data namespace. */
    enabled: z.boolean().default(false),
    /** Size of MongoDB's own volume (ReadWriteOnce, the cluster's default storage class). */
    storageSize: quantity.default("2Gi"),
    /** The seed-002 constraint: a small, throttled MongoDB. */
    throttle: z
      .strictObject({
        /** Concurrent storage-engine read transactions (read tickets); fixed, not adjusted dynamically. mongod refuses fewer than 5. */
        readTickets: z.number().int().min(MONGO_MIN_TICKETS).max(128).default(10),
        /** Concurrent storage-engine write transactions (write tickets); fixed, not adjusted dynamically. mongod refuses fewer than 5. */
        writeTickets: z.number().int().min(MONGO_MIN_TICKETS).max(128).default(10),
        /** WiredTiger cache size in GB (0.25 is MongoDB's minimum). */
        cacheSizeGB: z.number().min(MONGO_MIN_CACHE_GB).max(64).default(0.25),
      })
      .prefault({}),
    /** Requests and limits of the mongod container; the CPU limit is part of the throttle. */
    resources: resourcesDefault("250m", "256Mi", "500m", "500Mi"),
  })
  .prefault({});

const QUANTITY_UNITS: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** A Kubernetes quantity (`512Mi`, `1Gi`, `0.5`) in bytes (or cores, for CPU quantities). */
export function quantityValue(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`not a Kubernetes quantity: ${q}`);
  return Number(m[1]) * QUANTITY_UNITS[m[2] ?? ""];
}

/** A Redis memory size (`200mb`) in bytes; Redis' `kb`/`mb`/`gb` are powers of 1024. */
export function redisMemoryBytes(size: string): number {
  const m = /^(\d+)(kb|mb|gb)$/.exec(size);
  if (!m) throw new Error(`not a Redis memory size: ${size}`);
  return Number(m[1]) * { kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30 }[m[2] as "kb" | "mb" | "gb"];
}
