import { ObjectId, type Collection } from "mongodb";
import { OverloadedError, guard, type StoreContext } from "../../state/errors";
import type { Mongo } from "../../state/mongo-client";
import { COUNTERS_COLLECTION, RECORDS_COLLECTION, RECORDS_COUNTER_ID, type RecordDoc } from "./documents";
import type { ApiMetrics } from "./metrics";

/** Writes one request's documents; resolves with their ids once they are committed. */
export interface DocumentWriter {
  write(docs: RecordDoc[]): Promise<string[]>;
  /** Writes everything already accepted, then refuses new work. */
  close(): Promise<void>;
}

interface CounterDoc {
  _id: string;
  n: number;
}

/** Journaled: an acknowledged document survives a MongoDB restart, not only an app crash. */
const WRITE_CONCERN = { w: 1, journal: true } as const;

abstract class MongoWriter implements DocumentWriter {
  protected readonly records: Collection<RecordDoc>;
  private readonly counters: Collection<CounterDoc>;

  constructor(
    protected readonly mongo: Mongo,
    protected readonly ctx: StoreContext,
    protected readonly metrics: ApiMetrics,
  ) {
    this.records = mongo.db.collection<RecordDoc>(RECORDS_COLLECTION);
    this.counters = mongo.db.collection<CounterDoc>(COUNTERS_COLLECTION);
  }

  abstract write(docs: RecordDoc[]): Promise<string[]>;
  abstract close(): Promise<void>;

  /**
   * After the documents: `$inc` the counter `/api/stats` reads, by as many as were inserted.
   * Two writes, no transaction (a single MongoDB node has none, and FerretDB neither): a crash
   * between them leaves those documents stored but uncounted and their requests unanswered;
   * the counter never counts a document that is not stored, and every answered request's
   * documents are counted.
   */
  protected async count(n: number): Promise<void> {
    await this.counters.updateOne({ _id: RECORDS_COUNTER_ID }, { $inc: { n } }, { upsert: true, writeConcern: WRITE_CONCERN });
  }

  protected withIds(docs: RecordDoc[]): RecordDoc[] {
    // Ids chosen here, so a request knows its ids without reading them back.
    return docs.map((d) => ({ ...d, _id: d._id ?? new ObjectId() }));
  }
}

/** The seed's original: five `insertOne` per request, one after the other. */
export class DirectWriter extends MongoWriter {
  write(docs: RecordDoc[]): Promise<string[]> {
    return guard(this.ctx, "write", async () => {
      const ids: string[] = [];
      for (const doc of this.withIds(docs)) {
        await this.records.insertOne(doc, { writeConcern: WRITE_CONCERN });
        this.metrics.batchSize.observe(1);
        ids.push(String(doc._id));
      }
      await this.count(docs.length);
      return ids;
    });
  }

  async close(): Promise<void> {}
}

export interface BatchOptions {
  maxDocs: number;
  maxWaitMs: number;
  queueMaxDocs: number;
}

interface Pending {
  docs: RecordDoc[];
  resolve: (ids: string[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Write-behind with group commit. Requests' documents queue up; one `insertMany` (plus one
 * counter `$inc`) commits up to `maxDocs` of them, and each request is answered only after
 * the batch holding its documents is committed — an answered request is never lost, and a
 * failed batch answers each of its requests 503. A batch starts when `maxDocs` are waiting,
 * `maxWaitMs` after the first one arrived, or at once when the previous batch ends with work
 * waiting (that work has already waited a whole batch). One batch at a time per process:
 * MongoDB's write tickets are the scarce thing, not app concurrency. A full queue answers 503
 * with Retry-After instead of growing without bound.
 */
export class BatchWriter extends MongoWriter {
  private queue: Pending[] = [];
  private queuedDocs = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    mongo: Mongo,
    ctx: StoreContext,
    metrics: ApiMetrics,
    private readonly opts: BatchOptions,
  ) {
    super(mongo, ctx, metrics);
  }

  write(docs: RecordDoc[]): Promise<string[]> {
    if (this.closed) return Promise.reject(new OverloadedError("shutting down: not accepting writes", 1));
    if (this.queuedDocs + docs.length > this.opts.queueMaxDocs) {
      return Promise.reject(
        new OverloadedError(`write queue full (${this.queuedDocs} of API_QUEUE_MAX_DOCS=${this.opts.queueMaxDocs} documents waiting); retry later`, 1),
      );
    }
    const promise = new Promise<string[]>((resolve, reject) => this.queue.push({ docs: this.withIds(docs), resolve, reject }));
    this.queuedDocs += docs.length;
    this.metrics.queueDocuments.inc(docs.length);
    this.schedule();
    return promise;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing || this.queue.length > 0) {
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(): void {
    if (this.flushing || this.queue.length === 0) return;
    if (this.queuedDocs >= this.opts.maxDocs || this.opts.maxWaitMs === 0) {
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => void this.flush(), this.opts.maxWaitMs);
    }
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    // Whole requests only, up to maxDocs (a request's documents are never split).
    const batch: Pending[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + (this.queue[0] as Pending).docs.length <= this.opts.maxDocs)) {
      const p = this.queue.shift() as Pending;
      batch.push(p);
      n += p.docs.length;
    }
    this.flushing = this.commit(batch, n).finally(() => {
      this.queuedDocs -= n;
      this.metrics.queueDocuments.dec(n);
      this.flushing = undefined;
      // Whatever arrived meanwhile has waited a whole batch already: go at once.
      if (this.queue.length > 0) void this.flush();
    });
    return this.flushing;
  }

  private async commit(batch: Pending[], n: number): Promise<void> {
    try {
      await guard(this.ctx, "write", async () => {
        await this.records.insertMany(
          batch.flatMap((p) => p.docs),
          { ordered: true, writeConcern: WRITE_CONCERN },
        );
        this.metrics.batchSize.observe(n);
        await this.count(n);
      });
      for (const p of batch) p.resolve(p.docs.map((d) => String(d._id)));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
