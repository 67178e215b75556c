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
