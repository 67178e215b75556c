import type { Collection } from "mongodb";
import { guard, type StoreContext } from "../errors";
import { MongoBackedStore, isDuplicateKey, type Mongo } from "../mongo-client";
import type { CounterStore } from "../types";

interface CounterDoc {
  _id: string;
  n: number;
}

/** Collection and document of the ping-pong counter (logoutput reads the same one). */
export const COUNTER_COLLECTION = "counters";
export const PINGPONG_COUNTER_ID = "pingpong";

/**
 * The ping-pong counter as one MongoDB document: `$inc` with upsert is atomic on the server
 * (one document), so any number of replicas hand out each number once. Journaled writes, so
 * an answered number survives a MongoDB restart too.
 */
export class MongoCounterStore extends MongoBackedStore implements CounterStore {
  private readonly counters: Collection<CounterDoc>;

  constructor(mongo: Mongo, ctx: StoreContext) {
    super(mongo, ctx);
    this.counters = mongo.db.collection<CounterDoc>(COUNTER_COLLECTION);
  }

  increment(): Promise<number> {
    return guard(this.ctx, "increment", async () => {
      const after = await upsertInc(() =>
        this.counters.findOneAndUpdate(
          { _id: PINGPONG_COUNTER_ID },
          { $inc: { n: 1 } },
          { upsert: true, returnDocument: "after", writeConcern: { w: 1, journal: true } },
        ),
      );
      if (!after || typeof after.n !== "number") throw new Error("the counter update returned no document");
      // The request gets the value before its own increment.
      return after.n - 1;
    });
  }

  read(): Promise<number> {
    return guard(this.ctx, "read", async () => {
      const doc = await this.counters.findOne({ _id: PINGPONG_COUNTER_ID });
      if (doc === null) return 0;
      if (!Number.isSafeInteger(doc.n) || doc.n < 0) throw new Error(`document ${COUNTER_COLLECTION}/${PINGPONG_COUNTER_ID} does not hold a count`);
      return doc.n;
    });
  }
}

/**
 * Two first upserts of one `_id` at the same moment: one inserts, the other may fail with a
 * duplicate key (MongoDB retries this case itself only for some query shapes). The second
 * attempt finds the document and increments it, so nothing is lost or counted twice.
 */
export async function upsertInc<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return op();
  }
}
