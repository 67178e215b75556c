import { Double, type Collection } from "mongodb";
import { guard, type StoreContext } from "../../../state/errors";
import { isDuplicateKey, type Mongo } from "../../../state/mongo-client";
import { MAX_COUNT } from "../money";
import type { Item, Lines, StockChange, StockDecision, StockRefusal, StockStore } from "./store";

/**
 * `items`: `{ _id, stock, price, co: { <checkout id>: <quantity taken> | "u" } }`. A marker in
 * `co` is set in the same conditional update that takes the stock, so one checkout takes an
 * item's stock at most once; `"u"` marks "undone or never to be taken".
 */
interface ItemDoc {
  _id: string;
  stock: number;
  price: number;
  co?: Record<string, number | "u">;
}

/** `stock_checkouts`: the one decision per checkout id: `pending` until `done` or `rejected`. */
interface CheckoutDoc {
  _id: string;
  s: "pending" | "done" | "rejected";
  r?: StockRefusal;
  item?: string;
}

const BATCH = 1000;
const MAX_ROUNDS = 20;
const dbl = (n: number) => new Double(n) as unknown as number;

/**
 * Without multi-document transactions (FerretDB has none; a sharded MongoDB makes them costly) a
 * checkout of several items is a small protocol over single-document updates:
 * 1. the decision document `stock_checkouts/<cid>` is created `pending` (or found decided: answer it);
 * 2. each line is taken with `{ stock ≥ q, co.<cid> absent } → { stock −= q, co.<cid> = q }`;
 *    a line that cannot be taken decides `rejected`, all lines taken decide `done` — the first
 *    decision wins (`{ s: "pending" } → …`);
 * 3. whoever took a line reads the decision afterwards; on `rejected` it undoes every line
 *    (`{ co.<cid> = q } → { stock += q, co.<cid> = "u" }`, and marks untaken lines `"u"` so a late
 *    take cannot happen).
 * A replica killed anywhere leaves `pending` and markers; the saga sends the same checkout id
 * again, which continues from the markers. Undo runs only after a rejection, which stays final.
 */
export class MongoStockStore implements StockStore {
  private readonly items: Collection<ItemDoc>;
  private readonly checkouts: Collection<CheckoutDoc>;

  constructor(
    mongo: Mongo,
    private readonly ctx: StoreContext,
  ) {
    this.items = mongo.db.collection<ItemDoc>("items");
    this.checkouts = mongo.db.collection<CheckoutDoc>("stock_checkouts");
  }

  createItem(itemId: string, price: number): Promise<void> {
    return guard(this.ctx, "create_item", async () => {
      await this.items.insertOne({ _id: itemId, stock: dbl(0), price: dbl(price) });
    });
  }

  batchInit(n: number, stock: number, price: number): Promise<void> {
    return guard(this.ctx, "batch_init", async () => {
      for (let start = 0; start < n; start += BATCH) {
        const ops = [];
        for (let i = start; i < Math.min(n, start + BATCH); i++) {
          ops.push({ replaceOne: { filter: { _id: String(i) }, replacement: { _id: String(i), stock: dbl(stock), price: dbl(price) }, upsert: true } });
        }
        await this.items.bulkWrite(ops, { ordered: false });
      }
    });
  }

  find(itemId: string): Promise<Item | undefined> {
    return guard(this.ctx, "find", async () => {
      const doc = await this.items.findOne({ _id: itemId }, { projection: { stock: 1, price: 1 } });
      return doc ? { stock: doc.stock, price: doc.price } : undefined;
    });
  }

  add(itemId: string, amount: number): Promise<StockChange> {
    return guard(this.ctx, "add", async () => {
      const after = await this.items.findOneAndUpdate(
        { _id: itemId, stock: { $lte: MAX_COUNT - amount } },
        { $inc: { stock: dbl(amount) } },
        { returnDocument: "after" },
      );
      if (after) return { ok: true, stock: after.stock };
      return { ok: false, reason: (await this.find(itemId)) ? "too_large" : "not_found" };
    });
  }

  subtract(itemId: string, amount: number): Promise<StockChange> {
    return guard(this.ctx, "subtract", async () => {
      const after = await this.items.findOneAndUpdate(
        { _id: itemId, stock: { $gte: amount } },
        { $inc: { stock: dbl(-amount) } },
        { returnDocument: "after" },
      );
      if (after) return { ok: true, stock: after.stock };
      return { ok: false, reason: (await this.find(itemId)) ? "out_of_stock" : "not_found" };
    });
  }

  sagaSubtract(checkoutId: string, lines: Lines): Promise<StockDecision> {
    return guard(this.ctx, "saga_subtract", async () => {
      try {
        await this.checkouts.insertOne({ _id: checkoutId, s: "pending" });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Seen before: answer its decision, or continue the pending one (a killed replica's, or a duplicate's).
        const known = await this.decided(checkoutId);
        if (known) return known;
      }
      let refusal: { reason: StockRefusal; item: string } | undefined;
      for (const [itemId, quantity] of lines) {
        refusal = await this.take(checkoutId, itemId, quantity);
        if (refusal) break;
      }
      const decide = await this.checkouts.updateOne(
        { _id: checkoutId, s: "pending" },
        { $set: refusal ? { s: "rejected", r: refusal.reason, item: refusal.item } : { s: "done" } },
      );
      const decision: StockDecision | undefined =
        decide.modifiedCount === 1 ? (refusal ? { decision: "rejected", ...refusal } : { decision: "done" }) : await this.decided(checkoutId);
      if (!decision) throw new Error(`checkout ${checkoutId} has no decision after deciding`);
      if (decision.decision === "rejected") for (const [itemId, quantity] of lines) await this.undo(checkoutId, itemId, quantity);
      return decision;
    });
  }

  private async decided(checkoutId: string): Promise<StockDecision | undefined> {
    const doc = await this.checkouts.findOne({ _id: checkoutId });
    if (!doc || doc.s === "pending") return undefined;
    if (doc.s === "done") return { decision: "done" };
    return { decision: "rejected", reason: doc.r ?? "out_of_stock", item: doc.item ?? "" };
  }

  /** Takes one line once; answers why not when it cannot be taken. */
  private async take(checkoutId: string, itemId: string, quantity: number): Promise<{ reason: StockRefusal; item: string } | undefined> {
    const marker = `co.${checkoutId}`;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const res = await this.items.updateOne(
        { _id: itemId, stock: { $gte: quantity }, [marker]: { $exists: false } },
        { $inc: { stock: dbl(-quantity) }, $set: { [marker]: quantity } },
      );
      if (res.modifiedCount === 1) return undefined;
      const doc = await this.items.findOne({ _id: itemId }, { projection: { stock: 1, [marker]: 1 } });
      if (!doc) return { reason: "not_found", item: itemId };
      const mark = doc.co?.[checkoutId];
      if (typeof mark === "number") return undefined; // taken by an earlier try of this checkout
      // "u": undone after a rejection; the decision (read next) says rejected.
      if (mark === "u" || doc.stock < quantity) return { reason: "out_of_stock", item: itemId };
    }
    throw new Error(`taking item ${itemId} for ${checkoutId} kept losing races`);
  }

  /** Gives a taken line back once, or marks an untaken one so it is never taken. */
  private async undo(checkoutId: string, itemId: string, quantity: number): Promise<void> {
    const marker = `co.${checkoutId}`;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const fence = await this.items.updateOne({ _id: itemId, [marker]: { $exists: false } }, { $set: { [marker]: "u" } });
      if (fence.modifiedCount === 1) return;
      const back = await this.items.updateOne({ _id: itemId, [marker]: quantity }, { $inc: { stock: dbl(quantity) }, $set: { [marker]: "u" } });
      if (back.modifiedCount === 1) return;
      // Neither: no such item, or the marker is "u" already.
      const doc = await this.items.findOne({ _id: itemId }, { projection: { [marker]: 1 } });
      if (!doc || doc.co?.[checkoutId] === "u") return;
    }
    throw new Error(`undoing item ${itemId} for ${checkoutId} kept losing races`);
  }
}
