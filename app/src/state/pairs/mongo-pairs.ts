import type { Collection } from "mongodb";
import { upsertInc } from "../counter/mongo-counter";
import { guard, type StoreContext } from "../errors";
import { MongoBackedStore, type Mongo } from "../mongo-client";
import type { HitResult, Pair, PairStore } from "../types";
import { pairKey, sortPairs } from "./merge";

interface PairDoc {
  /** pairKey(client, server): one document per pair. */
  _id: string;
  client: string;
  server: string;
  count: number;
  lastSeenUs: number;
}

export const PAIRS_COLLECTION = "stats_pairs";

/**
 * Pairs as one MongoDB document each: `$inc` the count and `$max` the last hit in one atomic
 * single-document update (so hits from replicas arriving out of order keep the latest), then
 * read every pair for the page, which therefore already includes this request.
 */
export class MongoPairStore extends MongoBackedStore implements PairStore {
  private readonly pairs: Collection<PairDoc>;

  constructor(mongo: Mongo, ctx: StoreContext) {
    super(mongo, ctx);
    this.pairs = mongo.db.collection<PairDoc>(PAIRS_COLLECTION);
  }

  hit(client: string, server: string, atUs: number): Promise<HitResult> {
    return guard(this.ctx, "hit", async () => {
      const after = await upsertInc(() =>
        this.pairs.findOneAndUpdate(
          { _id: pairKey(client, server) },
          { $inc: { count: 1 }, $max: { lastSeenUs: atUs }, $setOnInsert: { client, server } },
          { upsert: true, returnDocument: "after", writeConcern: { w: 1, journal: true } },
        ),
      );
      if (!after) throw new Error("the pair update returned no document");
      const pairs = await this.readAll();
      // The page's view is read after our update, so it contains at least our count.
      const pair = pairs.find((p) => p.client === client && p.server === server) ?? toPair(after);
      return { pair, pairs };
    });
  }

  list(): Promise<Pair[]> {
    return guard(this.ctx, "list", () => this.readAll());
  }

  private async readAll(): Promise<Pair[]> {
    const docs = await this.pairs.find({}).toArray();
    return sortPairs(docs.map(toPair));
  }
}

function toPair(d: PairDoc): Pair {
  return { client: d.client, server: d.server, count: d.count, lastSeenUs: d.lastSeenUs };
}
