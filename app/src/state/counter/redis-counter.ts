import type Redis from "ioredis";
import { guard, type StoreContext } from "../errors";
import { PipelinedGroups } from "../group-commit";
import { REDIS_GROUPS_IN_FLIGHT } from "../pairs/redis-pairs";
import { closeRedis, redisAnswers } from "../redis-client";
import type { CounterStore } from "../types";

/**
 * The ping-pong counter as one Redis key: INCRBY is atomic, so any number of replicas is safe.
 * Increments that arrive while calls are travelling share the next one (INCRBY n hands out n
 * consecutive numbers), as the stats hits do.
 */
export class RedisCounterStore implements CounterStore {
  readonly name = "redis";
  private readonly key: string;
  private readonly batcher = new PipelinedGroups<null, number>((ops) => this.incrementBy(ops.length), REDIS_GROUPS_IN_FLIGHT);

  constructor(
    private readonly client: Redis,
    keyPrefix: string,
    private readonly ctx: StoreContext,
  ) {
    this.key = `${keyPrefix}counter`;
  }

  increment(): Promise<number> {
    return guard(this.ctx, "increment", () => this.batcher.submit(null));
  }

  /** INCRBY answers the value after the increments; the group's requests get the n before it. */
  private async incrementBy(n: number): Promise<number[]> {
    const after = await this.client.incrby(this.key, n);
    return Array.from({ length: n }, (_, i) => after - n + i);
  }

  read(): Promise<number> {
    return guard(this.ctx, "read", async () => {
      const value = await this.client.get(this.key);
      if (value === null) return 0;
      if (!/^\d+$/.test(value)) throw new Error(`key ${this.key} does not hold a count`);
      return Number(value);
    });
  }

  ready(): Promise<boolean> {
    return redisAnswers(this.client);
  }

  async close(): Promise<void> {
    await this.batcher.close();
    await closeRedis(this.client);
  }
}
