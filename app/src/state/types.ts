/**
 * One interface per kind of state. A role picks the strategy once, at start, from `STATE`;
 * after that it only ever talks to these interfaces.
 */

/** A count somebody else writes, read without changing it (logoutput). */
export interface CounterReader {
  /** Strategy name: `pod`, `shared-volume` or `redis`. */
  readonly name: string;
  /** The number of increments so far (so also the next value `increment` will hand out). */
  read(): Promise<number>;
  /** True when the backend answers right now. */
  ready(): Promise<boolean>;
  /** Flushes anything queued and releases connections; waits for acknowledged work. */
  close(): Promise<void>;
}

/** The ping-pong counter. */
export interface CounterStore extends CounterReader {
  /**
   * Counts one request and returns the value BEFORE it (the first call returns 0). Resolves
   * only once the new value is durable in the store, so an answered number is never reused.
   */
  increment(): Promise<number>;
}

/** Requests from one client to one server (replica), as the stats page shows them. */
export interface Pair {
  client: string;
  /** The replica's POD_IP. */
  server: string;
  count: number;
  /** Microseconds since the epoch, UTC; microseconds so that ordering is exact in one process. */
  lastSeenUs: number;
}

export interface HitResult {
  /** The hit pair after this request was counted. */
  pair: Pair;
  /** Every pair this replica can see, oldest hit first; includes this request. */
  pairs: Pair[];
}

/** The stats page's (client, server) counts. */
export interface PairStore {
  readonly name: string;
  /**
   * Atomically counts one request from `client` to `server` and records `atUs` as its last
   * hit; resolves after that is durable, with the view the page should show.
   */
  hit(client: string, server: string, atUs: number): Promise<HitResult>;
  /** Every pair visible to this replica, oldest hit first, without counting anything. */
  list(): Promise<Pair[]>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
