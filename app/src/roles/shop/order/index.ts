import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ShopOrderConfig } from "../../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../../lib/service";
import { backendReady, closeBackend, openBackend } from "../backend";
import { ServiceClient } from "../client";
import { answer, sendFailure, ShopError } from "../errors";
import { createShopOrderMetrics, type ShopOrderMetrics } from "../metrics";
import { MAX_COUNT, parseCount, parseId, parseAmount, toMoney } from "../money";
import { MongoOrderStore } from "./mongo-store";
import { RedisOrderStore } from "./redis-store";
import { CheckoutSaga } from "./saga";
import { MAX_ORDER_UNITS, type EditResult, type OrderRecord, type OrderStore } from "./store";

type Params = Record<string, string>;

/** shop-order (seed 003): orders, the course's 2022 and 2024 routes, and the checkout saga. */
export async function start(config: ShopOrderConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const backend = openBackend(config, runtime);
  const store: OrderStore =
    backend.kind === "redis" ? new RedisOrderStore(backend.client, backend.keyPrefix, backend.ctx) : new MongoOrderStore(backend.mongo, backend.ctx, runtime.logger);
  const metrics = createShopOrderMetrics(runtime.metrics.registry);
  const payment = new ServiceClient("shop-payment", config.paymentUrls, config.callTimeoutMs);
  const stock = new ServiceClient("shop-stock", config.stockUrls, config.callTimeoutMs);
  // Unique per process, so a restarted pod with the same name never mistakes an old lease for its own.
  const owner = `${config.podName}/${randomUUID().slice(0, 8)}`;
  const saga = new CheckoutSaga(store, payment, stock, metrics, runtime.logger, {
    owner,
    leaseMs: config.sagaLeaseMs,
    recoveryIntervalMs: config.recoveryIntervalMs,
    callTimeoutMs: config.callTimeoutMs,
  });
  runtime.logger.info(
    { owner, payment: config.paymentUrls, stock: config.stockUrls, leaseMs: config.sagaLeaseMs, recoveryIntervalMs: config.recoveryIntervalMs, callTimeoutMs: config.callTimeoutMs },
    "shop-order settings",
  );
  const handle = await startService({
    config,
    runtime,
    format: "json",
    readiness: () => backendReady(backend),
    closeResources: async () => {
      await saga.close();
      payment.close();
      stock.close();
      await closeBackend(backend);
    },
    routes: (app) => orderRoutes(app, store, saga, stock, metrics),
  });
  saga.start();
  return handle;
}

function edited(result: EditResult, orderId: string, itemId?: string): void {
  if (result === "ok") return;
  if (result === "not_found") throw new ShopError(404, `order ${orderId} not found`);
  if (result === "not_open") throw new ShopError(409, `order ${orderId} is paid or checking out; it cannot change`);
  if (result === "no_item") throw new ShopError(404, `order ${orderId} holds no item ${itemId ?? ""}`);
  throw new ShopError(409, `order ${orderId} would exceed ${MAX_ORDER_UNITS} units or the largest amount kept`);
}

/** The order as the course's `find` shows it: 2022 `items` (an id per unit) and the 2024 pairs. */
function view(order: OrderRecord): Record<string, unknown> {
  return {
    order_id: order.orderId,
    paid: order.status === "paid",
    items: order.lines.flatMap((l) => Array<string>(l.quantity).fill(l.itemId)),
    item_quantities: order.lines.map((l) => [l.itemId, l.quantity]),
    user_id: order.userId,
    total_cost: toMoney(order.total),
    checkout: order.status === "checking_out" ? "running" : (order.result?.outcome ?? "none"),
  };
}

export function orderRoutes(app: FastifyInstance, store: OrderStore, saga: CheckoutSaga, stock: ServiceClient, metrics: ShopOrderMetrics): void {
  const mustBeOpen = async (orderId: string): Promise<void> => {
    const order = await store.get(orderId);
    if (!order) edited("not_found", orderId);
    else if (order.status !== "open") edited("not_open", orderId);
  };
  const priceOf = async (itemId: string): Promise<number> => {
    const res = await stock.call("GET", `/find/${itemId}`);
    if (res.status === 404) throw new ShopError(404, `item ${itemId} not found`);
    const price = (res.body as { price?: unknown } | undefined)?.price;
    if (res.status !== 200 || typeof price !== "number") throw new Error(`shop-stock answered /find/${itemId} with ${res.status}`);
    // Back to micro-units exactly (the price was shown as units / 1e6).
    return Math.round(price * 1_000_000);
  };
  const addItem = async (reply: FastifyReply, p: Params, rawQuantity: string | undefined) =>
    answer(reply, async () => {
      const orderId = parseId("order_id", p.order_id ?? "");
      const itemId = parseId("item_id", p.item_id ?? "");
      const quantity = rawQuantity === undefined ? 1 : parseCount("quantity", rawQuantity, 1, MAX_ORDER_UNITS);
      await mustBeOpen(orderId);
      edited(await store.addItem(orderId, itemId, quantity, await priceOf(itemId)), orderId);
      const order = await store.get(orderId);
      return { order_id: orderId, total_cost: order ? toMoney(order.total) : null };
    });

  app.post("/create/:user_id", async (request, reply) =>
    answer(reply, async () => {
      const userId = parseId("user_id", (request.params as Params).user_id ?? "");
      const orderId = randomUUID();
      await store.create(orderId, userId);
      return { order_id: orderId };
    }),
  );

  app.post("/batch_init/:n/:n_items/:n_users/:item_price", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const n = parseCount("n", p.n ?? "", 0, 1_000_000);
      const nItems = parseCount("n_items", p.n_items ?? "", 1, MAX_COUNT);
      const nUsers = parseCount("n_users", p.n_users ?? "", 1, MAX_COUNT);
      await store.batchInit(n, nItems, nUsers, parseAmount("item_price", p.item_price ?? ""));
      return { msg: "Batch init for orders successful" };
    }),
  );

  app.get("/find/:order_id", async (request, reply) =>
    answer(reply, async () => {
      const orderId = parseId("order_id", (request.params as Params).order_id ?? "");
      const order = await store.get(orderId);
      if (!order) throw new ShopError(404, `order ${orderId} not found`);
      return view(order);
    }),
  );

  app.delete("/remove/:order_id", async (request, reply) =>
    answer(reply, async () => {
      const orderId = parseId("order_id", (request.params as Params).order_id ?? "");
      edited(await store.remove(orderId), orderId);
      return { order_id: orderId, removed: true };
    }),
  );

  app.post("/addItem/:order_id/:item_id", async (request, reply) => addItem(reply, request.params as Params, undefined));
  app.post("/addItem/:order_id/:item_id/:quantity", async (request, reply) => {
    const p = request.params as Params;
    return addItem(reply, p, p.quantity ?? "");
  });

  app.delete("/removeItem/:order_id/:item_id", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const orderId = parseId("order_id", p.order_id ?? "");
      const itemId = parseId("item_id", p.item_id ?? "");
      edited(await store.removeItem(orderId, itemId), orderId, itemId);
      const order = await store.get(orderId);
      return { order_id: orderId, total_cost: order ? toMoney(order.total) : null };
    }),
  );

  app.post("/checkout/:order_id", async (request, reply) => {
    const started = process.hrtime.bigint();
    let orderId: string;
    try {
      orderId = parseId("order_id", (request.params as Params).order_id ?? "");
    } catch (err) {
      metrics.checkouts.inc({ outcome: "not_found" });
      return sendFailure(reply, err);
    }
    const header = request.headers["x-request-id"];
    const requestId = typeof header === "string" && header.length <= 200 ? header : "";
    let result;
    try {
      result = await saga.checkout(orderId, requestId);
    } catch (err) {
      metrics.checkouts.inc({ outcome: "error" });
      return sendFailure(reply, err);
    }
    metrics.checkouts.inc({ outcome: result.outcome });
    metrics.checkoutDuration.observe({ outcome: result.outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    return reply.code(result.status).header("cache-control", "no-store").send(result.body);
  });
}
