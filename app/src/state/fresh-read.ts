/**
 * Coalesces concurrent reads without serving stale data: a caller joins a read only if that
 * read starts after the call. While one read runs, every new caller shares the single read
 * that starts when it ends. Under load this turns "read every shard per request" into about
 * one read at a time, and a caller still sees every write that finished before it asked.
 */
export class FreshRead<T> {
  private current: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.current === undefined) return this.start();
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<T> {
    const p: Promise<T> = this.load().finally(() => {
      if (this.current === p) this.current = undefined;
    });
    this.current = p;
    return p;
  }
}
