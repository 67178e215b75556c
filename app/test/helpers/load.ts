import { get } from "./net";

/** One request's fate, as a load test needs to account for it. */
export interface Outcome {
  replica: number;
  client: string;
  status?: number;
  /** The connection failed before or after the request was sent. */
  error?: string;
  body?: string;
}

/**
 * A request that never reached the server (connection refused) certainly did not count;
 * one whose connection broke mid-way (reset, hang up) may or may not have been counted.
 */
export function mayHaveCounted(o: Outcome): boolean {
  return o.error !== undefined && !/ECONNREFUSED/.test(o.error);
}

export async function hit(urls: Array<string | undefined>, replica: number, client: string, path = "/"): Promise<Outcome> {
  try {
    const res = await get(`${urls[replica]}${path}`, { headers: { "x-forwarded-for": client }, timeoutMs: 10_000 });
    return { replica, client, status: res.status, body: res.body };
  } catch (err) {
    return { replica, client, error: `${(err as NodeJS.ErrnoException).code ?? ""} ${(err as Error).message}` };
  }
}

/** `n` requests at once, replica i % replicas, client i % clients. */
export function burst(urls: string[], n: number, clients: string[], path = "/"): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) => hit(urls, i % urls.length, clients[i % clients.length] as string, path)),
  );
}

/**
 * `workers` loops sending requests round-robin over the replicas in rotation (`urls()` gives
 * undefined for one that is out) until `stop()`; the outcomes of every request sent,
 * including those that failed because a replica died under them.
 */
export function sustained(
  urls: () => Array<string | undefined>,
  workers: number,
  clients: string[],
  path = "/",
): { stop: () => Promise<Outcome[]>; count: () => number } {
  const outcomes: Outcome[] = [];
  let running = true;
  let i = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const n = i++;
      const current = urls();
      const replica = n % current.length;
      if (current[replica] === undefined) continue;
      const o = await hit(current, replica, clients[n % clients.length] as string, path);
      outcomes.push(o);
      // A replica that is down refuses at once; don't spin on it.
      if (o.error) await new Promise((r) => setTimeout(r, 5));
    }
  });
  return {
    count: () => outcomes.length,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}
