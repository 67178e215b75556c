/**
 * The store could not do what was asked. Requests that hit this answer 503 with the
 * message, so a user sees "state store unavailable: …" instead of a wrong number.
 */
export class StoreUnavailableError extends Error {
  constructor(
    public readonly store: string,
    reason: string,
  ) {
    super(`state store unavailable: ${store}: ${reason}`);
    this.name = "StoreUnavailableError";
  }
}

/** Too much work queued already: answered 503 with `Retry-After`, never dropped silently. */
export class OverloadedError extends Error {
  constructor(
    message: string,
    public readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = "OverloadedError";
  }
}

export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** What a store reports to the guard below: the strategy name and the error counter. */
export interface StoreContext {
  /** `pod`, `shared-volume` or `redis`: shown in error messages and metric labels. */
  name: string;
  onError: (operation: string) => void;
  /** Turns a backend error into the sentence a user sees after "state store unavailable: <name>: ". */
  explain?: (err: unknown) => string;
}

/** Runs a store operation; any failure becomes a counted StoreUnavailableError. */
export async function guard<T>(ctx: StoreContext, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    ctx.onError(operation);
    if (err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(ctx.name, ctx.explain ? ctx.explain(err) : reasonOf(err));
  }
}

/** Bounds a check (readiness) so a hung backend answers "not ready" instead of hanging. */
export async function withTimeout<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
