import type Redis from "ioredis";
import { guard, type StoreContext } from "../../../state/errors";
import { pipelined } from "../backend";
import { MAX_COUNT } from "../money";
import type { Item, Lines, StockChange, StockDecision, StockRefusal, StockStore } from "./store";

/**
 * Keys (under the service's REDIS_KEY_PREFIX):
 * - `item:<id>`        hash { stock, price }        price in micro-units
 * - `checkout:<cid>`   hash { state, reason, item }  one saga decision per checkout id
 * A checkout's lines are checked and subtracted by one Lua script: all or nothing, atomically.
 */
const SCRIPTS = {
  shopStockAdd: {
    numberOfKeys: 1,
    lua: `
local s = redis.call('HGET', KEYS[1], 'stock')
if not s then return {'not_found', 0} end
if tonumber(s) + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {'too_large', 0} end
return {'ok', redis.call('HINCRBY', KEYS[1], 'stock', ARGV[1])}`,
  },
  shopStockSubtract: {
    numberOfKeys: 1,
    lua: `
local s = redis.call('HGET', KEYS[1], 'stock')
if not s then return {'not_found', 0} end
if tonumber(s) < tonumber(ARGV[1]) then return {'out_of_stock', 0} end
return {'ok', redis.call('HINCRBY', KEYS[1], 'stock', '-' .. ARGV[1])}`,
  },
  // KEYS: checkout record, then one key per item; ARGV: the quantities, then the item ids.
  shopSagaSubtract: {
    lua: `
local s = redis.call('HGET', KEYS[1], 'state')
if s then return {s, redis.call('HGET', KEYS[1], 'reason') or '', redis.call('HGET', KEYS[1], 'item') or ''} end
local n = #KEYS - 1
for i = 1, n do
  local st = redis.call('HGET', KEYS[i + 1], 'stock')
  local reason
  if not st then reason = 'not_found' elseif tonumber(st) < tonumber(ARGV[i]) then reason = 'out_of_stock' end
  if reason then
    redis.call('HSET', KEYS[1], 'state', 'rejected', 'reason', reason, 'item', ARGV[n + i])
    return {'rejected', reason, ARGV[n + i]}
  end
end
for i = 1, n do redis.call('HINCRBY', KEYS[i + 1], 'stock', '-' .. ARGV[i]) end
redis.call('HSET', KEYS[1], 'state', 'done')
return {'done', '', ''}`,
  },
} as const;

type Reply = [string, number];

interface ShopStockCommands {
  shopStockAdd(item: string, amount: string, max: string): Promise<Reply>;
  shopStockSubtract(item: string, amount: string): Promise<Reply>;
  shopSagaSubtract(numberOfKeys: number, ...args: string[]): Promise<[string, string, string]>;
}

export class RedisStockStore implements StockStore {
  private readonly redis: Redis & ShopStockCommands;

  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly ctx: StoreContext,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    this.redis = client as Redis & ShopStockCommands;
  }

  private item(id: string): string {
    return `${this.prefix}item:${id}`;
  }

  createItem(itemId: string, price: number): Promise<void> {
    return guard(this.ctx, "create_item", async () => {
      await this.redis.hset(this.item(itemId), "stock", "0", "price", String(price));
    });
  }

  batchInit(n: number, stock: number, price: number): Promise<void> {
    return guard(this.ctx, "batch_init", () =>
      pipelined(this.redis, n, (pipeline, i) => pipeline.hset(this.item(String(i)), "stock", String(stock), "price", String(price))),
    );
  }

  find(itemId: string): Promise<Item | undefined> {
    return guard(this.ctx, "find", async () => {
      const [stock, price] = await this.redis.hmget(this.item(itemId), "stock", "price");
      return stock === null || stock === undefined ? undefined : { stock: Number(stock), price: Number(price) };
    });
  }

  add(itemId: string, amount: number): Promise<StockChange> {
    return guard(this.ctx, "add", async () => change(await this.redis.shopStockAdd(this.item(itemId), String(amount), String(MAX_COUNT))));
  }

  subtract(itemId: string, amount: number): Promise<StockChange> {
    return guard(this.ctx, "subtract", async () => change(await this.redis.shopStockSubtract(this.item(itemId), String(amount))));
  }

  sagaSubtract(checkoutId: string, lines: Lines): Promise<StockDecision> {
    return guard(this.ctx, "saga_subtract", async () => {
      const keys = [`${this.prefix}checkout:${checkoutId}`, ...lines.map(([id]) => this.item(id))];
      const args = [...lines.map(([, q]) => String(q)), ...lines.map(([id]) => id)];
      const [state, reason, item] = await this.redis.shopSagaSubtract(keys.length, ...keys, ...args);
      if (state === "done") return { decision: "done" };
      if (state === "rejected") return { decision: "rejected", reason: reason as StockRefusal, item };
      throw new Error(`checkout record holds an unknown state ${JSON.stringify(state)}`);
    });
  }
}

function change([status, stock]: Reply): StockChange {
  return status === "ok" ? { ok: true, stock: Number(stock) } : { ok: false, reason: status as "not_found" | "out_of_stock" | "too_large" };
}
