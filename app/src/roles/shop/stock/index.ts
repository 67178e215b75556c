import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ShopServiceConfig } from "../../../lib/config";
import { createRuntime, type RoleHandle, type Runtime } from "../../../lib/service";
import { startShopService } from "../backend";
import { answer, ShopError } from "../errors";
import { parseAmount, parseCheckoutId, parseCount, parseId, toMoney } from "../money";
import { sagaBody } from "../saga-body";
import { MongoStockStore } from "./mongo-store";
import { RedisStockStore } from "./redis-store";
import type { Lines, StockChange, StockStore } from "./store";

type Params = Record<string, string>;

/** shop-stock (seed 003): items, the course's 2022 and 2024 routes, and the saga's subtraction. */
export function start(config: ShopServiceConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  return startShopService<StockStore>(
    config,
    runtime,
    { redis: (b) => new RedisStockStore(b.client, b.keyPrefix, b.ctx), mongo: (b) => new MongoStockStore(b.mongo, b.ctx) },
    stockRoutes,
  );
}

function changed(result: StockChange, itemId: string): { item_id: string; stock: number } {
  if (result.ok) return { item_id: itemId, stock: result.stock };
  if (result.reason === "not_found") throw new ShopError(404, `item ${itemId} not found`);
  if (result.reason === "out_of_stock") throw new ShopError(409, `item ${itemId} has not enough stock`);
  throw new ShopError(409, `the stock of item ${itemId} would exceed the largest count kept`);
}

export function stockRoutes(app: FastifyInstance, store: StockStore): void {
  app.post("/item/create/:price", async (request, reply) =>
    answer(reply, async () => {
      const price = parseAmount("price", (request.params as Params).price ?? "");
      const itemId = randomUUID();
      await store.createItem(itemId, price);
      return { item_id: itemId };
    }),
  );

  app.post("/batch_init/:n/:starting_stock/:item_price", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const n = parseCount("n", p.n ?? "", 0, 1_000_000);
      await store.batchInit(n, parseCount("starting_stock", p.starting_stock ?? ""), parseAmount("item_price", p.item_price ?? ""));
      return { msg: "Batch init for stock successful" };
    }),
  );

  app.get("/find/:item_id", async (request, reply) =>
    answer(reply, async () => {
      const itemId = parseId("item_id", (request.params as Params).item_id ?? "");
      const item = await store.find(itemId);
      if (!item) throw new ShopError(404, `item ${itemId} not found`);
      return { stock: item.stock, price: toMoney(item.price) };
    }),
  );

  app.post("/add/:item_id/:amount", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const itemId = parseId("item_id", p.item_id ?? "");
      return changed(await store.add(itemId, parseCount("amount", p.amount ?? "")), itemId);
    }),
  );

  app.post("/subtract/:item_id/:amount", async (request, reply) =>
    answer(reply, async () => {
      const p = request.params as Params;
      const itemId = parseId("item_id", p.item_id ?? "");
      return changed(await store.subtract(itemId, parseCount("amount", p.amount ?? "")), itemId);
    }),
  );

  // Internal (shop-order's checkout saga): idempotent per checkout id; always 200 with the decision.
  app.post("/saga/subtract/:checkout_id", async (request, reply) =>
    answer(reply, async () => {
      const checkoutId = parseCheckoutId((request.params as Params).checkout_id ?? "");
      const { items } = sagaBody(request.body, ["items"]);
      // One line per item (summed), in a fixed order.
      const merged = new Map<string, number>();
      for (const [itemId, quantity] of items) merged.set(itemId, (merged.get(itemId) ?? 0) + quantity);
      const lines: Lines = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { checkout_id: checkoutId, ...(await store.sagaSubtract(checkoutId, lines)) };
    }),
  );
}
