import type Redis from "ioredis";
import { guard, type StoreContext } from "../errors";
import { PipelinedGroups } from "../group-commit";
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

/** A group of hits (ARGV: member, µs, member, µs, …), then the view once, atomically. */
export const HITS_LUA = `
for i = 1, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  redis.call('ZADD', KEYS[2], 'GT', ARGV[i + 1], ARGV[i])
end
${VIEW_LUA}`;

export const LIST_LUA = VIEW_LUA;

/** Script calls travelling at once per replica (measured with `npm run bench`, docs/app.md). */
export const REDIS_GROUPS_IN_FLIGHT = 2;

type ScriptedRedis = Redis & {
  statsHits(counts: string, seen: string, ...memberAndUs: Array<string | number>): Promise<string[]>;
  statsList(counts: string, seen: string): Promise<string[]>;
};

interface Hit {
  member: string;
  atUs: number;
}

/**
 * Pairs in two Redis keys: a hash of counts (HINCRBY) and a sorted set of last-hit times
 * (ZADD GT keeps the latest even when replicas' hits arrive out of order). One Lua script
 * counts the hits and reads the page's view atomically, in one round trip. Up to
 * REDIS_GROUPS_IN_FLIGHT calls travel at once; hits that arrive meanwhile are grouped into the
 * next call (PipelinedGroups), so under load the view — the expensive part, every pair — is read
 * once per group instead of once per request, and at low load nobody waits for another
 * request's round trip. Each request still gets a view that includes its own hit. ioredis sends EVALSHA and falls
 * back to EVAL once when the server does not know the script (e.g. after a restart).
 */
export class RedisPairStore implements PairStore {
  readonly name = "redis";
  private readonly countsKey: string;
  private readonly seenKey: string;
  private readonly client: ScriptedRedis;
  private readonly batcher = new PipelinedGroups<Hit, Pair[]>((hits) => this.commit(hits), REDIS_GROUPS_IN_FLIGHT);

  constructor(
    client: Redis,
    keyPrefix: string,
    private readonly ctx: StoreContext,
  ) {
    this.countsKey = `${keyPrefix}counts`;
    this.seenKey = `${keyPrefix}seen`;
    client.defineCommand("statsHits", { numberOfKeys: 2, lua: HITS_LUA });
    client.defineCommand("statsList", { numberOfKeys: 2, lua: LIST_LUA });
    this.client = client as ScriptedRedis;
  }

  hit(client: string, server: string, atUs: number): Promise<HitResult> {
    return guard(this.ctx, "hit", async () => {
      const pairs = await this.batcher.submit({ member: pairKey(client, server), atUs });
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

  async close(): Promise<void> {
    await this.batcher.close();
    await closeRedis(this.client);
  }

  /** One script call for the whole group; every hit of it gets the same (post-group) view. */
  private async commit(hits: Hit[]): Promise<Pair[][]> {
    const pairs = toPairs(await this.client.statsHits(this.countsKey, this.seenKey, ...hits.flatMap((h) => [h.member, h.atUs])));
    return hits.map(() => pairs);
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
