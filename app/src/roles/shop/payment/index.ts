import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ShopServiceConfig } from "../../../lib/config";
import { createRuntime, type RoleHandle, type Runtime } from "../../../lib/service";
import { startShopService } from "../backend";
import { answer, ShopError } from "../errors";
import { parseAmount, parseCheckoutId, parseCount, parseId, toMoney } from "../money";
import { sagaBody } from "../saga-body";
import { MongoPaymentStore } from "./mongo-store";
import { RedisPaymentStore } from "./redis-store";
import type { PaymentStore, PayResult } from "./store";

type Params = Record<string, string>;

/** shop-payment (seed 003): users' credit, the course's 2022 and 2024 routes, and the saga's pay/refund. */
export function start(config: ShopServiceConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  return startShopService<PaymentStore>(
    config,
    runtime,
    { redis: (b) => new RedisPaymentStore(b.client, b.keyPrefix, b.ctx), mongo: (b) => new MongoPaymentStore(b.mongo, b.ctx) },
    paymentRoutes,
  );
}

function paid(result: PayResult, userId: string): { user_id: string; credit: number } {
  if (result.ok) return { user_id: userId, credit: toMoney(result.credit) };
  if (result.reason === "not_found") throw new ShopError(404, `user ${userId} not found`);
  if (result.reason === "already_paid") throw new ShopError(409, "this order is paid already");
  throw new ShopError(409, `user ${userId} has not enough credit`);
}

export function paymentRoutes(app: FastifyInstance, store: PaymentStore): void {
  app.post("/create_user", async (_request, reply) =>
    answer(reply, async () => {
      const userId = randomUUID();
      await store.createUser(userId);
      return { user_id: userId };
    }),
  );

  app.post("/batch_init/:n/:starting_money", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const n = parseCount("n", p.n ?? "", 0, 1_000_000);
      await store.batchInit(n, parseAmount("starting_money", p.starting_money ?? ""));
      return { msg: "Batch init for users successful" };
    }),
  );

  app.get("/find_user/:user_id", async (request, reply) =>
    answer(reply, async () => {
      const userId = parseId("user_id", (request.params as Params).user_id ?? "");
      const credit = await store.findUser(userId);
      if (credit === undefined) throw new ShopError(404, `user ${userId} not found`);
      return { user_id: userId, credit: toMoney(credit) };
    }),
  );

  app.post("/add_funds/:user_id/:amount", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const userId = parseId("user_id", p.user_id ?? "");
      const result = await store.addFunds(userId, parseAmount("amount", p.amount ?? ""));
      if (!result.ok && result.reason === "not_found") throw new ShopError(404, `user ${userId} not found`);
      if (!result.ok) throw new ShopError(409, `the credit of user ${userId} would exceed the largest amount kept`);
      return { done: true, credit: toMoney(result.credit) };
    }),
  );

  // 2024: pay an amount, no order.
  app.post("/pay/:user_id/:amount", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const userId = parseId("user_id", p.user_id ?? "");
      return paid(await store.pay(userId, parseAmount("amount", p.amount ?? "")), userId);
    }),
  );

  // 2022: pay for an order, once.
  app.post("/pay/:user_id/:order_id/:amount", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const userId = parseId("user_id", p.user_id ?? "");
      const orderId = parseId("order_id", p.order_id ?? "");
      return paid(await store.payOrder(userId, orderId, parseAmount("amount", p.amount ?? "")), userId);
    }),
  );

  app.post("/cancel/:user_id/:order_id", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const userId = parseId("user_id", p.user_id ?? "");
      const orderId = parseId("order_id", p.order_id ?? "");
      const result = await store.cancelOrder(userId, orderId);
      if (result === "not_found") throw new ShopError(404, `user ${userId} not found`);
      if (result === "not_paid") throw new ShopError(404, `user ${userId} has no payment for order ${orderId}`);
      if (result === "by_checkout") throw new ShopError(409, `order ${orderId} was paid by its checkout; only payments made with /pay can be cancelled`);
      return { done: true };
    }),
  );

  app.get("/status/:user_id/:order_id", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const userId = parseId("user_id", p.user_id ?? "");
      const orderId = parseId("order_id", p.order_id ?? "");
      const isPaid = await store.orderPaid(userId, orderId);
      if (isPaid === undefined) throw new ShopError(404, `user ${userId} not found`);
      return { paid: isPaid };
    }),
  );

  // Internal (shop-order's checkout saga): idempotent per checkout id; always 200 with the decision.
  app.post("/saga/pay/:checkout_id", async (request, reply) =>
    answer(reply, async () => {
      const checkoutId = parseCheckoutId((request.params as Params).checkout_id ?? "");
      const body = sagaBody(request.body, ["user_id", "order_id", "amount"]);
      return { checkout_id: checkoutId, ...(await store.sagaPay(checkoutId, body.user_id, body.order_id, body.amount)) };
    }),
  );

  app.post("/saga/refund/:checkout_id", async (request, reply) =>
    answer(reply, async () => {
      const checkoutId = parseCheckoutId((request.params as Params).checkout_id ?? "");
      const body = sagaBody(request.body, ["user_id", "order_id"]);
      return { checkout_id: checkoutId, ...(await store.sagaRefund(checkoutId, body.user_id, body.order_id)) };
    }),
  );
}
