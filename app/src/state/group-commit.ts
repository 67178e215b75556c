/**
 * Group commit: operations queue up while a write is in progress; the next write covers all
 * of them, and each caller's promise settles only after that write is durable. So a file
 * store answers a request only once its increment is on disk (kill -9 never loses an
 * answered request), at the cost of one write per batch instead of one per request.
 */
export class GroupCommit<Op, Result> {
  private queue: Array<{ op: Op; resolve: (r: Result) => void; reject: (e: unknown) => void }> = [];
  private chores: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;
  private closed = false;

  /** `commit` must apply every op or none, and return one result per op, in order. */
  constructor(private readonly commit: (ops: Op[]) => Promise<Result[]>) {}

  submit(op: Op): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    const promise = new Promise<Result>((resolve, reject) => this.queue.push({ op, resolve, reject }));
    this.running ??= this.drain();
    return promise;
  }

  /**
   * Runs `chore` between two writes, never during one (e.g. compaction, which must not
   * interleave with an append). Queued operations wait for it. Its failure is its own.
   */
  between(chore: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.chores.push(() => chore().catch(() => undefined).then(resolve)));
    this.running ??= this.drain();
    return done;
  }

  /** Operations queued for the next write (0: nobody is waiting). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Refuses new work and waits until everything already queued is written. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.chores.length > 0) {
      for (const chore of this.chores.splice(0)) await chore();
      if (this.queue.length === 0) continue;
      const batch = this.queue.splice(0);
      try {
        const results = await this.commit(batch.map((b) => b.op));
        batch.forEach((b, i) => b.resolve(results[i] as Result));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    this.running = undefined;
  }
}

/**
 * Groups for a server that runs each call atomically and in the order it was sent (Redis on one
 * connection): up to `maxInFlight` calls travel at once. At low concurrency a request is sent
 * at once, never waiting behind another group's round trip; under load the requests that
 * arrive meanwhile share the next call. (GroupCommit keeps one write at a time: a file needs
 * its appends in order and its compaction between them.)
 */
export class PipelinedGroups<Op, Result> {
  private queue: Array<{ op: Op; resolve: (r: Result) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private closed = false;

  /** `send` must apply every op or none, and return one result per op, in order. */
  constructor(
    private readonly send: (ops: Op[]) => Promise<Result[]>,
    private readonly maxInFlight: number,
  ) {
    if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new Error(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }

  submit(op: Op): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    const promise = new Promise<Result>((resolve, reject) => this.queue.push({ op, resolve, reject }));
    this.pump();
    return promise;
  }

  /** Refuses new work and waits until every queued and travelling call has settled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.queue.splice(0);
      this.inFlight++;
      Promise.resolve()
        .then(() => this.send(group.map((g) => g.op)))
        .then(
          (results) => group.forEach((g, i) => g.resolve(results[i] as Result)),
          (err: unknown) => group.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
