import type Redis from "ioredis";
import { guard, type StoreContext } from "../errors";
import { closeRedis, redisAnswers } from "../redis-client";
import type { HitResult, Pair, PairStore } from "../types";
import { pairKey } from "./merge";

/**
 * The page's view, in one flat reply: member, last hit, count for every pair, oldest hit first
 * (ZRANGE orders by score, ties by member, which is the page's order).
 */
const VIEW_LUA = `
local counts = redis.call('HGETALL', KEYS[1])
local byMember = {}
for i = 1, #counts, 2 do byMember[counts[i]] = counts[i + 1] end
local seen = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local view = {}
for i = 1, #seen, 2 do
  view[#view + 1] = seen[i]
  view[#view + 1] = seen[i + 1]
  view[#view + 1] = byMember[seen[i]] or '0'
end
return view
`;

/** One hit: count it, keep the latest hit time (GT), and return the view, atomically. */
export const HIT_LUA = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[1])
${VIEW_LUA}`;

export const LIST_LUA = VIEW_LUA;

type ScriptedRedis = Redis & {
  statsHit(counts: string, seen: string, member: string, atUs: number): Promise<string[]>;
  statsList(counts: string, seen: string): Promise<string[]>;
};

/**
 * Pairs in two Redis keys: a hash of counts (HINCRBY) and a sorted set of last-hit times
 * (ZADD GT keeps the latest even when replicas' hits arrive out of order). One Lua script per
 * request counts the hit and reads the page's view atomically, in one round trip: half the
 * client and server work of the MULTI of four commands it replaces. ioredis sends EVALSHA and
 * falls back to EVAL once when the server does not know the script (e.g. after a restart).
 */
export class RedisPairStore implements PairStore {
  readonly name = "redis";
  private readonly countsKey: string;
  private readonly seenKey: string;
  private readonly client: ScriptedRedis;

  constructor(
    client: Redis,
    keyPrefix: string,
    private readonly ctx: StoreContext,
  ) {
    this.countsKey = `${keyPrefix}counts`;
    this.seenKey = `${keyPrefix}seen`;
    client.defineCommand("statsHit", { numberOfKeys: 2, lua: HIT_LUA });
    client.defineCommand("statsList", { numberOfKeys: 2, lua: LIST_LUA });
    this.client = client as ScriptedRedis;
  }

  hit(client: string, server: string, atUs: number): Promise<HitResult> {
    return guard(this.ctx, "hit", async () => {
      const pairs = toPairs(await this.client.statsHit(this.countsKey, this.seenKey, pairKey(client, server), atUs));
      const pair = pairs.find((p) => p.client === client && p.server === server);
      if (!pair) throw new Error("hit pair missing from the script's own view");
      return { pair, pairs };
    });
  }

  list(): Promise<Pair[]> {
    return guard(this.ctx, "list", async () => toPairs(await this.client.statsList(this.countsKey, this.seenKey)));
  }

  ready(): Promise<boolean> {
    return redisAnswers(this.client);
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }
}

function toPairs(view: string[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i + 2 < view.length; i += 3) {
    const [client, server] = JSON.parse(view[i] as string) as [string, string];
    pairs.push({ client, server, count: Number(view[i + 2]), lastSeenUs: Number(view[i + 1]) });
  }
  return pairs;
}
