import { Double, type Collection, type Filter } from "mongodb";
import type { Logger } from "../../../lib/logger";
import { guard, type StoreContext } from "../../../state/errors";
import type { Mongo } from "../../../state/mongo-client";
import { MAX_UNITS } from "../money";
import type { CheckoutOutcome } from "../metrics";
import { seedOrder } from "./redis-store";
import { MAX_ORDER_UNITS, type ClaimResult, type EditResult, type OrderRecord, type OrderStore, type RecordedStep } from "./store";

/**
 * Collection `orders`, one document per order:
 * `{ _id, user, total, units, items: { <item>: { q, p } }, status, attempt, step, owner, lease,
 *    reason, request, result: { attempt, outcome } }` — total and prices in micro-units (doubles
 * holding whole numbers). Every change is one conditional update of this one document.
 */
interface OrderDoc {
  _id: string;
  user: string;
  total: number;
  units: number;
  items: Record<string, { q: number; p: number }>;
  status: OrderRecord["status"];
  attempt: number;
  step?: RecordedStep;
  owner?: string;
  lease?: number;
  reason?: CheckoutOutcome | null;
  request?: string;
  result?: { attempt: number; outcome: CheckoutOutcome };
}

const BATCH = 1000;
const dbl = (n: number) => new Double(n) as unknown as number;

export class MongoOrderStore implements OrderStore {
  private readonly orders: Collection<OrderDoc>;

  private indexed = false;

  constructor(
    mongo: Mongo,
    private readonly ctx: StoreContext,
    private readonly logger: Logger,
  ) {
    this.orders = mongo.db.collection<OrderDoc>("orders");
  }

  create(orderId: string, userId: string): Promise<void> {
    return guard(this.ctx, "create", async () => {
      await this.orders.insertOne({ _id: orderId, user: userId, total: dbl(0), units: 0, items: {}, status: "open", attempt: 0 });
    });
  }

  batchInit(n: number, nItems: number, nUsers: number, price: number): Promise<void> {
    return guard(this.ctx, "batch_init", async () => {
      for (let start = 0; start < n; start += BATCH) {
        const ops = [];
        for (let i = start; i < Math.min(n, start + BATCH); i++) {
          const { user, lines } = seedOrder(nItems, nUsers, price);
          const items = Object.fromEntries(lines.map((l) => [l.itemId, { q: l.quantity, p: dbl(l.price) }]));
          const replacement: OrderDoc = { _id: String(i), user, total: dbl(2 * price), units: 2, items, status: "open", attempt: 0 };
          ops.push({ replaceOne: { filter: { _id: String(i) }, replacement, upsert: true } });
        }
        await this.orders.bulkWrite(ops, { ordered: false });
      }
    });
  }

  get(orderId: string): Promise<OrderRecord | undefined> {
    return guard(this.ctx, "get", async () => toRecord(await this.orders.findOne({ _id: orderId })));
  }

  remove(orderId: string): Promise<EditResult> {
    return guard(this.ctx, "remove", async () => {
      const res = await this.orders.deleteOne({ _id: orderId, status: "open" });
      if (res.deletedCount === 1) return "ok";
      return (await this.orders.findOne({ _id: orderId }, { projection: { _id: 1 } })) ? "not_open" : "not_found";
    });
  }

  addItem(orderId: string, itemId: string, quantity: number, price: number): Promise<EditResult> {
    return guard(this.ctx, "add_item", async () => {
      const add = quantity * price;
      if (!Number.isSafeInteger(add) || add > MAX_UNITS) return "too_large";
      const res = await this.orders.updateOne(
        { _id: orderId, status: "open", total: { $lte: MAX_UNITS - add }, units: { $lte: MAX_ORDER_UNITS - quantity } },
        { $inc: { [`items.${itemId}.q`]: quantity, total: dbl(add), units: quantity }, $set: { [`items.${itemId}.p`]: dbl(price) } },
      );
      if (res.modifiedCount === 1) return "ok";
      const doc = await this.orders.findOne({ _id: orderId }, { projection: { status: 1 } });
      return !doc ? "not_found" : doc.status !== "open" ? "not_open" : "too_large";
    });
  }

  removeItem(orderId: string, itemId: string): Promise<EditResult> {
    const path = `items.${itemId}`;
    return guard(this.ctx, "remove_item", async () => {
      for (let round = 0; round < 20; round++) {
        const doc = await this.orders.findOne({ _id: orderId }, { projection: { status: 1, [path]: 1 } });
        if (!doc) return "not_found";
        if (doc.status !== "open") return "not_open";
        const line = doc.items?.[itemId];
        if (!line || line.q < 1) return "no_item";
        const filter: Filter<OrderDoc> = { _id: orderId, status: "open", [`${path}.q`]: line.q, [`${path}.p`]: line.p };
        const res =
          line.q === 1
            ? await this.orders.updateOne(filter, { $unset: { [path]: "" }, $inc: { total: dbl(-line.p), units: -1 } })
            : await this.orders.updateOne(filter, { $inc: { [`${path}.q`]: -1, total: dbl(-line.p), units: -1 } });
        if (res.modifiedCount === 1) return "ok";
      }
      throw new Error(`removing an item from order ${orderId} kept losing races`);
    });
  }

  claim(orderId: string, owner: string, now: number, leaseMs: number, start: boolean, requestId: string): Promise<ClaimResult> {
    return guard(this.ctx, "claim", async () => {
      if (start) {
        const started = await this.orders.findOneAndUpdate(
          { _id: orderId, status: "open" },
          { $set: { status: "checking_out", step: "pay", owner, lease: now + leaseMs, request: requestId, reason: null }, $inc: { attempt: 1 } },
          { returnDocument: "after" },
        );
        const order = toRecord(started);
        if (order) return { kind: "started", order };
      }
      const resumed = await this.orders.findOneAndUpdate(
        { _id: orderId, status: "checking_out", lease: { $lt: now } },
        { $set: { owner, lease: now + leaseMs } },
        { returnDocument: "after" },
      );
      const taken = toRecord(resumed);
      if (taken) return { kind: "resumed", order: taken };
      const order = toRecord(await this.orders.findOne({ _id: orderId }));
      if (!order) return { kind: "missing" };
      // Open here: started by nobody (start=false), or finished between the two updates.
      return { kind: order.status === "paid" ? "paid" : order.status === "checking_out" ? "busy" : "idle", order };
    });
  }

  advance(orderId: string, attempt: number, owner: string, step: RecordedStep | undefined, leaseUntil: number, reason?: CheckoutOutcome): Promise<boolean> {
    return guard(this.ctx, "advance", async () => {
      const set: Partial<OrderDoc> = { lease: leaseUntil, ...(step ? { step } : {}), ...(reason ? { reason } : {}) };
      const res = await this.orders.updateOne({ _id: orderId, status: "checking_out", attempt, owner }, { $set: set });
      return res.matchedCount === 1;
    });
  }

  finish(orderId: string, attempt: number, owner: string, outcome: CheckoutOutcome): Promise<boolean> {
    return guard(this.ctx, "finish", async () => {
      const res = await this.orders.updateOne(
        { _id: orderId, status: "checking_out", attempt, owner },
        { $set: { status: outcome === "paid" ? "paid" : "open", result: { attempt, outcome } }, $unset: { owner: "", lease: "", step: "" } },
      );
      return res.modifiedCount === 1;
    });
  }

  expired(now: number, limit: number): Promise<string[]> {
    return guard(this.ctx, "expired", async () => {
      const ids = (await this.orders.find({ status: "checking_out", lease: { $lt: now } }, { projection: { _id: 1 } }).limit(limit).toArray()).map((d) => d._id);
      // The index of this query, made once MongoDB answers (it may not at start); best effort:
      // the query works without it, only slower.
      if (!this.indexed) {
        this.indexed = true;
        void this.orders.createIndex({ status: 1, lease: 1 }).catch((err: Error) => this.logger.warn({ err: err.message }, "could not create the orders index"));
      }
      return ids;
    });
  }
}

function toRecord(doc: OrderDoc | null): OrderRecord | undefined {
  if (!doc) return undefined;
  return {
    orderId: doc._id,
    userId: doc.user,
    lines: Object.entries(doc.items ?? {})
      .filter(([, l]) => l.q > 0)
      .map(([itemId, l]) => ({ itemId, quantity: l.q, price: l.p })),
    total: doc.total,
    status: doc.status,
    attempt: doc.attempt,
    step: doc.step,
    owner: doc.owner,
    leaseUntil: doc.lease,
    reason: doc.reason ?? undefined,
    requestId: doc.request,
    result: doc.result,
  };
}
