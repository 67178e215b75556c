import type Redis from "ioredis";
import { guard, type StoreContext } from "../errors";
import { closeRedis, redisAnswers } from "../redis-client";
import type { HitResult, Pair, PairStore } from "../types";
import { pairKey } from "./merge";

/**
 * Pairs in two Redis keys: a hash of counts (HINCRBY) and a sorted set of last-hit times
 * (ZADD GT keeps the latest even when replicas' hits arrive out of order). One MULTI per
 * request counts the hit and reads the page's view atomically, in one round trip.
 */
export class RedisPairStore implements PairStore {
  readonly name = "redis";
  private readonly countsKey: string;
  private readonly seenKey: string;

  constructor(
    private readonly client: Redis,
    keyPrefix: string,
    private readonly ctx: StoreContext,
  ) {
    this.countsKey = `${keyPrefix}counts`;
    this.seenKey = `${keyPrefix}seen`;
  }

  hit(client: string, server: string, atUs: number): Promise<HitResult> {
    return guard(this.ctx, "hit", async () => {
      const member = pairKey(client, server);
      const replies = await this.client
        .multi()
        .hincrby(this.countsKey, member, 1)
        .zadd(this.seenKey, "GT", atUs, member)
        .hgetall(this.countsKey)
        .zrange(this.seenKey, 0, -1, "WITHSCORES")
        .exec();
      const [counts, seen] = [result(replies, 2), result(replies, 3)];
      const pairs = toPairs(counts as Record<string, string>, seen as string[]);
      const pair = pairs.find((p) => p.client === client && p.server === server);
      if (!pair) throw new Error("hit pair missing from the transaction's own view");
      return { pair, pairs };
    });
  }

  list(): Promise<Pair[]> {
    return guard(this.ctx, "list", async () => {
      const replies = await this.client.multi().hgetall(this.countsKey).zrange(this.seenKey, 0, -1, "WITHSCORES").exec();
      return toPairs(result(replies, 0) as Record<string, string>, result(replies, 1) as string[]);
    });
  }

  ready(): Promise<boolean> {
    return redisAnswers(this.client);
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }
}

type Replies = [error: Error | null, result: unknown][] | null;

function result(replies: Replies, index: number): unknown {
  if (replies === null) throw new Error("transaction aborted");
  const entry = replies[index];
  if (!entry) throw new Error("transaction returned too few replies");
  if (entry[0]) throw entry[0];
  return entry[1];
}

/** ZRANGE already orders by last hit (ties by member), which is the page's order. */
function toPairs(counts: Record<string, string>, seen: string[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < seen.length; i += 2) {
    const member = seen[i] as string;
    const [client, server] = JSON.parse(member) as [string, string];
    pairs.push({ client, server, count: Number(counts[member] ?? 0), lastSeenUs: Number(seen[i + 1]) });
  }
  return pairs;
}
