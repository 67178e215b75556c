import type Redis from "ioredis";
import { guard, type StoreContext } from "../../../state/errors";
import { pipelined } from "../backend";
import { MAX_UNITS } from "../money";
import type { CancelResult, FundsResult, PayDecision, PayRefusal, PayResult, PaymentStore } from "./store";

/**
 * Keys (all under the service's REDIS_KEY_PREFIX):
 * - `user:<id>`         hash { credit }                          credit in micro-units
 * - `order:<id>`        hash { user, amount, by }                the order's active payment; by = `direct` or a checkout id
 * - `checkout:<cid>`    hash { state, reason, user, order, amount } one saga decision per checkout id
 * Every change that touches several keys is one Lua script, so Redis runs it atomically.
 */
const SCRIPTS = {
  shopAddFunds: {
    numberOfKeys: 1,
    lua: `
local c = redis.call('HGET', KEYS[1], 'credit')
if not c then return {'not_found', 0} end
if tonumber(c) + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {'too_large', 0} end
return {'ok', redis.call('HINCRBY', KEYS[1], 'credit', ARGV[1])}`,
  },
  shopPay: {
    numberOfKeys: 1,
    lua: `
local c = redis.call('HGET', KEYS[1], 'credit')
if not c then return {'not_found', 0} end
if tonumber(c) < tonumber(ARGV[1]) then return {'insufficient_credit', 0} end
return {'ok', redis.call('HINCRBY', KEYS[1], 'credit', '-' .. ARGV[1])}`,
  },
  shopPayOrder: {
    numberOfKeys: 2,
    lua: `
local c = redis.call('HGET', KEYS[1], 'credit')
if not c then return {'not_found', 0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'already_paid', 0} end
if tonumber(c) < tonumber(ARGV[1]) then return {'insufficient_credit', 0} end
local n = redis.call('HINCRBY', KEYS[1], 'credit', '-' .. ARGV[1])
redis.call('HSET', KEYS[2], 'user', ARGV[2], 'amount', ARGV[1], 'by', 'direct')
return {'ok', n}`,
  },
  shopCancelOrder: {
    numberOfKeys: 2,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
local by = redis.call('HGET', KEYS[2], 'by')
if not by or redis.call('HGET', KEYS[2], 'user') ~= ARGV[1] then return 'not_paid' end
if by ~= 'direct' then return 'by_checkout' end
redis.call('HINCRBY', KEYS[1], 'credit', redis.call('HGET', KEYS[2], 'amount'))
redis.call('DEL', KEYS[2])
return 'ok'`,
  },
  shopSagaPay: {
    numberOfKeys: 3,
    lua: `
local s = redis.call('HGET', KEYS[3], 'state')
if s then return {s, redis.call('HGET', KEYS[3], 'reason') or ''} end
local c = redis.call('HGET', KEYS[1], 'credit')
local reason
if not c then reason = 'not_found'
elseif redis.call('EXISTS', KEYS[2]) == 1 then reason = 'already_paid'
elseif tonumber(c) < tonumber(ARGV[1]) then reason = 'insufficient_credit' end
if reason then
  redis.call('HSET', KEYS[3], 'state', 'rejected', 'reason', reason, 'user', ARGV[2], 'order', ARGV[3])
  return {'rejected', reason}
end
redis.call('HINCRBY', KEYS[1], 'credit', '-' .. ARGV[1])
redis.call('HSET', KEYS[2], 'user', ARGV[2], 'amount', ARGV[1], 'by', ARGV[4])
redis.call('HSET', KEYS[3], 'state', 'paid', 'user', ARGV[2], 'order', ARGV[3], 'amount', ARGV[1])
return {'paid', ''}`,
  },
  shopSagaRefund: {
    numberOfKeys: 3,
    lua: `
local s = redis.call('HGET', KEYS[3], 'state')
if s == 'paid' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'credit', redis.call('HGET', KEYS[3], 'amount'))
  end
  if redis.call('HGET', KEYS[2], 'by') == ARGV[3] then redis.call('DEL', KEYS[2]) end
  redis.call('HSET', KEYS[3], 'state', 'refunded')
  return {'refunded', ''}
end
if s then return {s, redis.call('HGET', KEYS[3], 'reason') or ''} end
redis.call('HSET', KEYS[3], 'state', 'refunded', 'user', ARGV[1], 'order', ARGV[2], 'amount', '0')
return {'refunded', ''}`,
  },
} as const;

type Reply = [string, number | string];

interface ShopPaymentCommands {
  shopAddFunds(user: string, amount: string, max: string): Promise<Reply>;
  shopPay(user: string, amount: string): Promise<Reply>;
  shopPayOrder(user: string, order: string, amount: string, userId: string): Promise<Reply>;
  shopCancelOrder(user: string, order: string, userId: string): Promise<string>;
  shopSagaPay(user: string, order: string, checkout: string, amount: string, userId: string, orderId: string, checkoutId: string): Promise<Reply>;
  shopSagaRefund(user: string, order: string, checkout: string, userId: string, orderId: string, checkoutId: string): Promise<Reply>;
}

export class RedisPaymentStore implements PaymentStore {
  private readonly redis: Redis & ShopPaymentCommands;

  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly ctx: StoreContext,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    this.redis = client as Redis & ShopPaymentCommands;
  }

  private user(id: string): string {
    return `${this.prefix}user:${id}`;
  }
  private order(id: string): string {
    return `${this.prefix}order:${id}`;
  }
  private checkout(id: string): string {
    return `${this.prefix}checkout:${id}`;
  }

  createUser(userId: string): Promise<void> {
    return guard(this.ctx, "create_user", async () => {
      await this.redis.hset(this.user(userId), "credit", "0");
    });
  }

  batchInit(n: number, credit: number): Promise<void> {
    return guard(this.ctx, "batch_init", () =>
      pipelined(this.redis, n, (pipeline, i) => pipeline.del(this.user(String(i))).hset(this.user(String(i)), "credit", String(credit))),
    );
  }

  findUser(userId: string): Promise<number | undefined> {
    return guard(this.ctx, "find_user", async () => {
      const credit = await this.redis.hget(this.user(userId), "credit");
      return credit === null ? undefined : Number(credit);
    });
  }

  addFunds(userId: string, amount: number): Promise<FundsResult> {
    return guard(this.ctx, "add_funds", async () => {
      const [status, credit] = await this.redis.shopAddFunds(this.user(userId), String(amount), String(MAX_UNITS));
      return status === "ok" ? { ok: true, credit: Number(credit) } : { ok: false, reason: status as "not_found" | "too_large" };
    });
  }

  pay(userId: string, amount: number): Promise<PayResult> {
    return guard(this.ctx, "pay", async () => payResult(await this.redis.shopPay(this.user(userId), String(amount))));
  }

  payOrder(userId: string, orderId: string, amount: number): Promise<PayResult> {
    return guard(this.ctx, "pay_order", async () => payResult(await this.redis.shopPayOrder(this.user(userId), this.order(orderId), String(amount), userId)));
  }

  cancelOrder(userId: string, orderId: string): Promise<CancelResult> {
    return guard(this.ctx, "cancel", async () => (await this.redis.shopCancelOrder(this.user(userId), this.order(orderId), userId)) as CancelResult);
  }

  orderPaid(userId: string, orderId: string): Promise<boolean | undefined> {
    return guard(this.ctx, "status", async () => {
      const [exists, payer] = await Promise.all([this.redis.exists(this.user(userId)), this.redis.hget(this.order(orderId), "user")]);
      return exists === 0 ? undefined : payer === userId;
    });
  }

  sagaPay(checkoutId: string, userId: string, orderId: string, amount: number): Promise<PayDecision> {
    return guard(this.ctx, "saga_pay", async () =>
      decision(await this.redis.shopSagaPay(this.user(userId), this.order(orderId), this.checkout(checkoutId), String(amount), userId, orderId, checkoutId)),
    );
  }

  sagaRefund(checkoutId: string, userId: string, orderId: string): Promise<PayDecision> {
    return guard(this.ctx, "saga_refund", async () =>
      decision(await this.redis.shopSagaRefund(this.user(userId), this.order(orderId), this.checkout(checkoutId), userId, orderId, checkoutId)),
    );
  }
}

function payResult([status, credit]: Reply): PayResult {
  if (status === "ok") return { ok: true, credit: Number(credit) };
  return { ok: false, reason: status as "not_found" | "insufficient_credit" | "already_paid" };
}

function decision([state, reason]: Reply): PayDecision {
  if (state === "paid" || state === "refunded") return { decision: state };
  if (state === "rejected") return { decision: "rejected", reason: String(reason) as PayRefusal };
  throw new Error(`checkout record holds an unknown state ${JSON.stringify(state)}`);
}
