import { z } from "zod";
import { quantity, resourcesDefault } from "./common";

/** One Redis node for the `redis` state strategy. */
export const redisSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Memory Redis may use before its policy applies (Redis `maxmemory`). */
    maxMemory: z.string().regex(/^\d+(kb|mb|gb)$/, { message: "not a Redis memory size (allowed: e.g. 200mb, 1gb)" }).default("200mb"),
    /** What Redis does at maxmemory; counters must not be evicted, hence noeviction. */
    maxMemoryPolicy: z.enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "volatile-ttl"]).default("noeviction"),
    /** Append-only file persistence; off only for throwaway caches. */
    appendOnly: z.boolean().default(true),
    storageSize: quantity.default("1Gi"),
    resources: resourcesDefault("100m", "128Mi", "500m", "320Mi"),
  })
  .prefault({});

/** One MongoDB node, with the seed-002 throttle as knobs. */
export const mongoSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    storageSize: quantity.default("2Gi"),
    /** The seed-002 constraint: a small, throttled MongoDB. */
    throttle: z
      .strictObject({
        /** WiredTiger concurrent read transactions (tickets). */
        readTickets: z.number().int().min(1).max(128).default(8),
        /** WiredTiger concurrent write transactions (tickets). */
        writeTickets: z.number().int().min(1).max(128).default(4),
        /** WiredTiger cache size in GB (0.25 is MongoDB's minimum). */
        cacheSizeGB: z.number().min(0.25).max(64).default(0.25),
      })
      .prefault({}),
    resources: resourcesDefault("250m", "512Mi", "500m", "1Gi"),
  })
  .prefault({});
