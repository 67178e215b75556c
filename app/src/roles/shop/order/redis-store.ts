import { randomInt } from "node:crypto";
import type Redis from "ioredis";
import { guard, type StoreContext } from "../../../state/errors";
import { pipelined } from "../backend";
import { MAX_UNITS } from "../money";
import type { CheckoutOutcome } from "../metrics";
import { MAX_ORDER_UNITS, type ClaimResult, type EditResult, type Line, type OrderRecord, type OrderStore, type RecordedStep } from "./store";

/**
 * Keys (under the service's REDIS_KEY_PREFIX):
 * - `order:<id>`  hash { user, total, items, status, attempt, step, owner, lease, reason, request, r_attempt, r_outcome }
 *                 items = JSON [[item id, quantity, price], …] with every number as a string (Lua's
 *                 cjson prints numbers with 14 digits); total and prices in micro-units.
 * - `checkouts`   sorted set: orders checking out, scored by their lease's end (the recovery loop's index).
 */
const CHECK = `
local function owned(key, attempt, owner)
  return redis.call('HGET', key, 'status') == 'checking_out' and redis.call('HGET', key, 'attempt') == attempt and redis.call('HGET', key, 'owner') == owner
end
`;

/** The edits of an order (items, removal) are allowed while it is open only. */
const MUST_BE_OPEN = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'not_found' end
if st ~= 'open' then return 'not_open' end`;

const SCRIPTS = {
  shopOrderAdd: {
    numberOfKeys: 1,
    lua: `${MUST_BE_OPEN}
local items = cjson.decode(redis.call('HGET', KEYS[1], 'items'))
local qty = tonumber(ARGV[2])
if tonumber(redis.call('HGET', KEYS[1], 'total')) + tonumber(ARGV[4]) > tonumber(ARGV[5]) then return 'too_large' end
local units = qty
for _, l in ipairs(items) do units = units + tonumber(l[2]) end
if units > tonumber(ARGV[6]) then return 'too_large' end
local found = false
for _, l in ipairs(items) do
  if l[1] == ARGV[1] then l[2] = tostring(tonumber(l[2]) + qty); found = true; break end
end
if not found then table.insert(items, {ARGV[1], ARGV[2], ARGV[3]}) end
redis.call('HSET', KEYS[1], 'items', cjson.encode(items))
redis.call('HINCRBY', KEYS[1], 'total', ARGV[4])
return 'ok'`,
  },
  shopOrderRemoveItem: {
    numberOfKeys: 1,
    lua: `${MUST_BE_OPEN}
local items = cjson.decode(redis.call('HGET', KEYS[1], 'items'))
for i, l in ipairs(items) do
  if l[1] == ARGV[1] then
    local q = tonumber(l[2]) - 1
    if q <= 0 then table.remove(items, i) else l[2] = tostring(q) end
    if #items == 0 then redis.call('HSET', KEYS[1], 'items', '[]') else redis.call('HSET', KEYS[1], 'items', cjson.encode(items)) end
    redis.call('HINCRBY', KEYS[1], 'total', '-' .. l[3])
    return 'ok'
  end
end
return 'no_item'`,
  },
  shopOrderRemove: {
    numberOfKeys: 1,
    lua: `${MUST_BE_OPEN}
redis.call('DEL', KEYS[1])
return 'ok'`,
  },
  // ARGV: owner, now, lease until, start (1/0), request id, order id
  shopOrderClaim: {
    numberOfKeys: 2,
    lua: `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing', {}} end
local kind
if st == 'open' and ARGV[4] == '1' then
  redis.call('HINCRBY', KEYS[1], 'attempt', 1)
  redis.call('HSET', KEYS[1], 'status', 'checking_out', 'step', 'pay', 'owner', ARGV[1], 'lease', ARGV[3], 'request', ARGV[5], 'reason', '')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
  kind = 'started'
elseif st == 'checking_out' and tonumber(redis.call('HGET', KEYS[1], 'lease')) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'lease', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[6])
  kind = 'resumed'
elseif st == 'checking_out' then kind = 'busy'
elseif st == 'paid' then kind = 'paid'
else kind = 'idle' end
return {kind, redis.call('HGETALL', KEYS[1])}`,
  },
  // ARGV: attempt, owner, step ('' keeps it), lease until, reason ('' keeps it), order id
  shopOrderAdvance: {
    numberOfKeys: 2,
    lua: `${CHECK}
if not owned(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'lease', ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'step', ARGV[3]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[5]) end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
return 1`,
  },
  // ARGV: attempt, owner, new status, outcome, order id
  shopOrderFinish: {
    numberOfKeys: 2,
    lua: `${CHECK}
if not owned(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'r_attempt', ARGV[1], 'r_outcome', ARGV[4])
redis.call('HDEL', KEYS[1], 'owner', 'lease', 'step')
redis.call('ZREM', KEYS[2], ARGV[5])
return 1`,
  },
} as const;

interface ShopOrderCommands {
  shopOrderAdd(order: string, item: string, quantity: string, price: string, add: string, maxUnits: string, maxQuantity: string): Promise<string>;
  shopOrderRemoveItem(order: string, item: string): Promise<string>;
  shopOrderRemove(order: string): Promise<string>;
  shopOrderClaim(order: string, index: string, owner: string, now: string, until: string, start: string, request: string, orderId: string): Promise<[string, string[]]>;
  shopOrderAdvance(order: string, index: string, attempt: string, owner: string, step: string, until: string, reason: string, orderId: string): Promise<number>;
  shopOrderFinish(order: string, index: string, attempt: string, owner: string, status: string, outcome: string, orderId: string): Promise<number>;
}

export class RedisOrderStore implements OrderStore {
  private readonly redis: Redis & ShopOrderCommands;
  private readonly index: string;

  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly ctx: StoreContext,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    this.redis = client as Redis & ShopOrderCommands;
    this.index = `${prefix}checkouts`;
  }

  private key(orderId: string): string {
    return `${this.prefix}order:${orderId}`;
  }

  create(orderId: string, userId: string): Promise<void> {
    return guard(this.ctx, "create", async () => {
      await this.redis.hset(this.key(orderId), "user", userId, "total", "0", "items", "[]", "status", "open", "attempt", "0");
    });
  }

  batchInit(n: number, nItems: number, nUsers: number, price: number): Promise<void> {
    return guard(this.ctx, "batch_init", () =>
      pipelined(this.redis, n, (pipeline, i) => {
        const { user, lines } = seedOrder(nItems, nUsers, price);
        const items = JSON.stringify(lines.map((l) => [l.itemId, String(l.quantity), String(l.price)]));
        pipeline.del(this.key(String(i))).hset(this.key(String(i)), "user", user, "total", String(2 * price), "items", items, "status", "open", "attempt", "0");
      }),
    );
  }

  get(orderId: string): Promise<OrderRecord | undefined> {
    return guard(this.ctx, "get", async () => toRecord(orderId, await this.redis.hgetall(this.key(orderId))));
  }

  remove(orderId: string): Promise<EditResult> {
    return guard(this.ctx, "remove", async () => (await this.redis.shopOrderRemove(this.key(orderId))) as EditResult);
  }

  addItem(orderId: string, itemId: string, quantity: number, price: number): Promise<EditResult> {
    return guard(this.ctx, "add_item", async () => {
      const add = quantity * price;
      if (!Number.isSafeInteger(add) || add > MAX_UNITS) return "too_large";
      return (await this.redis.shopOrderAdd(this.key(orderId), itemId, String(quantity), String(price), String(add), String(MAX_UNITS), String(MAX_ORDER_UNITS))) as EditResult;
    });
  }

  removeItem(orderId: string, itemId: string): Promise<EditResult> {
    return guard(this.ctx, "remove_item", async () => (await this.redis.shopOrderRemoveItem(this.key(orderId), itemId)) as EditResult);
  }

  claim(orderId: string, owner: string, now: number, leaseMs: number, start: boolean, requestId: string): Promise<ClaimResult> {
    return guard(this.ctx, "claim", async () => {
      const [kind, flat] = await this.redis.shopOrderClaim(this.key(orderId), this.index, owner, String(now), String(now + leaseMs), start ? "1" : "0", requestId, orderId);
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      const order = toRecord(orderId, fields);
      if (kind === "missing" || !order) return { kind: "missing" };
      return { kind: kind as "started" | "resumed" | "busy" | "paid" | "idle", order };
    });
  }

  advance(orderId: string, attempt: number, owner: string, step: RecordedStep | undefined, leaseUntil: number, reason?: CheckoutOutcome): Promise<boolean> {
    return guard(this.ctx, "advance", async () =>
      (await this.redis.shopOrderAdvance(this.key(orderId), this.index, String(attempt), owner, step ?? "", String(leaseUntil), reason ?? "", orderId)) === 1,
    );
  }

  finish(orderId: string, attempt: number, owner: string, outcome: CheckoutOutcome): Promise<boolean> {
    return guard(this.ctx, "finish", async () =>
      (await this.redis.shopOrderFinish(this.key(orderId), this.index, String(attempt), owner, outcome === "paid" ? "paid" : "open", outcome, orderId)) === 1,
    );
  }

  expired(now: number, limit: number): Promise<string[]> {
    return guard(this.ctx, "expired", () => this.redis.zrangebyscore(this.index, "-inf", `(${now}`, "LIMIT", 0, limit));
  }
}

/** One 2024 seeded order: a random user, two random items (one line of quantity 2 when they are the same). */
export function seedOrder(nItems: number, nUsers: number, price: number): { user: string; lines: Line[] } {
  const a = String(randomInt(nItems));
  const b = String(randomInt(nItems));
  const lines: Line[] = a === b ? [{ itemId: a, quantity: 2, price }] : [{ itemId: a, quantity: 1, price }, { itemId: b, quantity: 1, price }];
  return { user: String(randomInt(nUsers)), lines };
}

function toRecord(orderId: string, h: Record<string, string>): OrderRecord | undefined {
  if (h.status === undefined) return undefined;
  const parsed: unknown = JSON.parse(h.items ?? "[]");
  const lines: Line[] = (Array.isArray(parsed) ? (parsed as string[][]) : []).map(([itemId, quantity, price]) => ({
    itemId: itemId ?? "",
    quantity: Number(quantity),
    price: Number(price),
  }));
  const opt = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  return {
    orderId,
    userId: h.user ?? "",
    lines,
    total: Number(h.total ?? 0),
    status: h.status as OrderRecord["status"],
    attempt: Number(h.attempt ?? 0),
    step: opt(h.step) as RecordedStep | undefined,
    owner: opt(h.owner),
    leaseUntil: h.lease ? Number(h.lease) : undefined,
    reason: opt(h.reason) as CheckoutOutcome | undefined,
    requestId: opt(h.request),
    result: h.r_attempt ? { attempt: Number(h.r_attempt), outcome: h.r_outcome as CheckoutOutcome } : undefined,
  };
}
