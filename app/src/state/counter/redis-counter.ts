import type Redis from "ioredis";
import { guard, type StoreContext } from "../errors";
import { closeRedis, redisAnswers } from "../redis-client";
import type { CounterStore } from "../types";

/** The ping-pong counter as one Redis key: INCR is atomic, so any number of replicas is safe. */
export class RedisCounterStore implements CounterStore {
  readonly name = "redis";
  private readonly key: string;

  constructor(
    private readonly client: Redis,
    keyPrefix: string,
    private readonly ctx: StoreContext,
  ) {
    this.key = `${keyPrefix}counter`;
  }

  increment(): Promise<number> {
    // INCR answers the value after the increment; the request gets the value before it.
    return guard(this.ctx, "increment", async () => (await this.client.incr(this.key)) - 1);
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

  close(): Promise<void> {
    return closeRedis(this.client);
  }
}
