import { Double, type Collection } from "mongodb";
import { guard, type StoreContext } from "../../../state/errors";
import type { Mongo } from "../../../state/mongo-client";
import { MAX_UNITS } from "../money";
import type { CancelResult, FundsResult, PayDecision, PayRefusal, PayResult, PaymentStore } from "./store";

/** One saga decision, kept in the user's document (so it changes in the same update as the credit). */
interface CheckoutEntry {
  s: "paid" | "refunded" | "rejected";
  r?: PayRefusal;
  a?: number;
  o?: string;
}

/**
 * Collection `users`, one document per user:
 * `{ _id, credit, orders: { <order>: { a, by } }, checkouts: { <checkout id>: { s, r, a, o } } }`.
 * Credit is a double holding whole micro-units (exact below 2^53, never an int32 that could overflow).
 * Every change is one conditional update of that one document — the credit, the order's payment
 * and the checkout's decision move together — so it needs no multi-document transaction.
 */
interface UserDoc {
  _id: string;
  credit: number;
  orders?: Record<string, { a: number; by: string }>;
  checkouts?: Record<string, CheckoutEntry>;
}

const USERS = "users";
const BATCH = 1000;
/** A conditional update that lost a race is re-read and tried again; this many times at most. */
const MAX_ROUNDS = 20;

export class MongoPaymentStore implements PaymentStore {
  private readonly users: Collection<UserDoc>;

  constructor(
    mongo: Mongo,
    private readonly ctx: StoreContext,
  ) {
    this.users = mongo.db.collection<UserDoc>(USERS);
  }

  createUser(userId: string): Promise<void> {
    return guard(this.ctx, "create_user", async () => {
      await this.users.insertOne({ _id: userId, credit: new Double(0) as unknown as number });
    });
  }

  batchInit(n: number, credit: number): Promise<void> {
    return guard(this.ctx, "batch_init", async () => {
      for (let start = 0; start < n; start += BATCH) {
        const ops = [];
        for (let i = start; i < Math.min(n, start + BATCH); i++) {
          ops.push({ replaceOne: { filter: { _id: String(i) }, replacement: { _id: String(i), credit: new Double(credit) as unknown as number }, upsert: true } });
        }
        await this.users.bulkWrite(ops, { ordered: false });
      }
    });
  }

  findUser(userId: string): Promise<number | undefined> {
    return guard(this.ctx, "find_user", async () => (await this.users.findOne({ _id: userId }, { projection: { credit: 1 } }))?.credit);
  }

  addFunds(userId: string, amount: number): Promise<FundsResult> {
    return guard(this.ctx, "add_funds", async () => {
      const after = await this.users.findOneAndUpdate(
        { _id: userId, credit: { $lte: MAX_UNITS - amount } },
        { $inc: { credit: new Double(amount) as unknown as number } },
        { returnDocument: "after" },
      );
      if (after) return { ok: true, credit: after.credit };
      return { ok: false, reason: (await this.exists(userId)) ? "too_large" : "not_found" };
    });
  }

  pay(userId: string, amount: number): Promise<PayResult> {
    return guard(this.ctx, "pay", async () => {
      const after = await this.users.findOneAndUpdate(
        { _id: userId, credit: { $gte: amount } },
        { $inc: { credit: new Double(-amount) as unknown as number } },
        { returnDocument: "after" },
      );
      if (after) return { ok: true, credit: after.credit };
      return { ok: false, reason: (await this.exists(userId)) ? "insufficient_credit" : "not_found" };
    });
  }

  payOrder(userId: string, orderId: string, amount: number): Promise<PayResult> {
    return guard(this.ctx, "pay_order", async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const after = await this.users.findOneAndUpdate(
          { _id: userId, credit: { $gte: amount }, [`orders.${orderId}`]: { $exists: false } },
          { $inc: { credit: new Double(-amount) as unknown as number }, $set: { [`orders.${orderId}`]: { a: new Double(amount) as unknown as number, by: "direct" } } },
          { returnDocument: "after" },
        );
        if (after) return { ok: true, credit: after.credit };
        const doc = await this.users.findOne({ _id: userId }, { projection: { credit: 1, [`orders.${orderId}`]: 1 } });
        if (!doc) return { ok: false, reason: "not_found" };
        if (doc.orders?.[orderId]) return { ok: false, reason: "already_paid" };
        if (doc.credit < amount) return { ok: false, reason: "insufficient_credit" };
      }
      throw new Error(`pay of order ${orderId} kept losing races`);
    });
  }

  cancelOrder(userId: string, orderId: string): Promise<CancelResult> {
    return guard(this.ctx, "cancel", async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const doc = await this.users.findOne({ _id: userId }, { projection: { [`orders.${orderId}`]: 1 } });
        if (!doc) return "not_found";
        const payment = doc.orders?.[orderId];
        if (!payment) return "not_paid";
        if (payment.by !== "direct") return "by_checkout";
        const res = await this.users.updateOne(
          { _id: userId, [`orders.${orderId}.by`]: "direct", [`orders.${orderId}.a`]: payment.a },
          { $inc: { credit: new Double(payment.a) as unknown as number }, $unset: { [`orders.${orderId}`]: "" } },
        );
        if (res.modifiedCount === 1) return "ok";
      }
      throw new Error(`cancel of order ${orderId} kept losing races`);
    });
  }

  orderPaid(userId: string, orderId: string): Promise<boolean | undefined> {
    return guard(this.ctx, "status", async () => {
      const doc = await this.users.findOne({ _id: userId }, { projection: { [`orders.${orderId}`]: 1 } });
      return doc ? doc.orders?.[orderId] !== undefined : undefined;
    });
  }

  sagaPay(checkoutId: string, userId: string, orderId: string, amount: number): Promise<PayDecision> {
    const entry = `checkouts.${checkoutId}`;
    return guard(this.ctx, "saga_pay", async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const res = await this.users.updateOne(
          { _id: userId, credit: { $gte: amount }, [entry]: { $exists: false }, [`orders.${orderId}`]: { $exists: false } },
          {
            $inc: { credit: new Double(-amount) as unknown as number },
            $set: {
              [`orders.${orderId}`]: { a: new Double(amount) as unknown as number, by: checkoutId },
              [entry]: { s: "paid", a: new Double(amount) as unknown as number, o: orderId },
            },
          },
        );
        if (res.modifiedCount === 1) return { decision: "paid" };
        const doc = await this.users.findOne({ _id: userId }, { projection: { credit: 1, [entry]: 1, [`orders.${orderId}`]: 1 } });
        // No document to record the refusal in: a user that does not exist is refused each time.
        if (!doc) return { decision: "rejected", reason: "not_found" };
        const recorded = doc.checkouts?.[checkoutId];
        if (recorded) return toDecision(recorded);
        const reason: PayRefusal | undefined = doc.orders?.[orderId] ? "already_paid" : doc.credit < amount ? "insufficient_credit" : undefined;
        if (reason === undefined) continue; // the credit changed between the two reads: try again
        const refused = await this.users.updateOne({ _id: userId, [entry]: { $exists: false } }, { $set: { [entry]: { s: "rejected", r: reason, o: orderId } } });
        if (refused.modifiedCount === 1) return { decision: "rejected", reason };
      }
      throw new Error(`saga pay ${checkoutId} kept losing races`);
    });
  }

  sagaRefund(checkoutId: string, userId: string, orderId: string): Promise<PayDecision> {
    const entry = `checkouts.${checkoutId}`;
    return guard(this.ctx, "saga_refund", async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const doc = await this.users.findOne({ _id: userId }, { projection: { [entry]: 1, [`orders.${orderId}`]: 1 } });
        if (!doc) return { decision: "refunded" };
        const recorded = doc.checkouts?.[checkoutId];
        if (recorded === undefined) {
          // Refund before any pay arrived: record it, so a late pay for this checkout is refused.
          const res = await this.users.updateOne({ _id: userId, [entry]: { $exists: false } }, { $set: { [entry]: { s: "refunded", a: new Double(0) as unknown as number, o: orderId } } });
          if (res.modifiedCount === 1) return { decision: "refunded" };
          continue;
        }
        if (recorded.s !== "paid") return toDecision(recorded);
        const amount = recorded.a ?? 0;
        const ownsOrder = doc.orders?.[orderId]?.by === checkoutId;
        const res = await this.users.updateOne(
          { _id: userId, [`${entry}.s`]: "paid" },
          {
            $inc: { credit: new Double(amount) as unknown as number },
            $set: { [`${entry}.s`]: "refunded" },
            ...(ownsOrder ? { $unset: { [`orders.${orderId}`]: "" } } : {}),
          },
        );
        if (res.modifiedCount === 1) return { decision: "refunded" };
      }
      throw new Error(`saga refund ${checkoutId} kept losing races`);
    });
  }

  private async exists(userId: string): Promise<boolean> {
    return (await this.users.findOne({ _id: userId }, { projection: { _id: 1 } })) !== null;
  }
}

function toDecision(entry: CheckoutEntry): PayDecision {
  if (entry.s === "rejected") return { decision: "rejected", reason: entry.r ?? "insufficient_credit" };
  return { decision: entry.s };
}
