import type { CheckoutOutcome } from "../metrics";

/** A step the saga recorded before taking it (see docs/shop.md for the state diagram). */
export type RecordedStep = "pay" | "stock" | "refund";

export interface Line {
  itemId: string;
  quantity: number;
  /** Micro-units, the item's price when it was added. */
  price: number;
}

export interface OrderRecord {
  orderId: string;
  userId: string;
  lines: Line[];
  /** Micro-units. */
  total: number;
  status: "open" | "checking_out" | "paid";
  /** Checkout attempts started so far; the running (or last) one is `attempt`. */
  attempt: number;
  step: RecordedStep | undefined;
  owner: string | undefined;
  /** Epoch ms until which `owner` holds the running attempt. */
  leaseUntil: number | undefined;
  /** Why the running attempt is refunding (the outcome it will report). */
  reason: CheckoutOutcome | undefined;
  /** The X-Request-Id of the request that started the running (or last) attempt. */
  requestId: string | undefined;
  /** How the last finished attempt ended. */
  result: { attempt: number; outcome: CheckoutOutcome } | undefined;
}

export type ClaimResult =
  | { kind: "missing" }
  /** This replica started a new attempt (`start`) or took over one whose lease expired (`resumed`). */
  | { kind: "started" | "resumed"; order: OrderRecord }
  /** Another owner holds a live lease. */
  | { kind: "busy"; order: OrderRecord }
  | { kind: "paid"; order: OrderRecord }
  /** Asked to resume only, and nothing was running. */
  | { kind: "idle"; order: OrderRecord };

export type EditResult = "ok" | "not_found" | "not_open" | "no_item" | "too_large";

/** Most units one order may hold (the 2022 `items` list repeats an id once per unit). */
export const MAX_ORDER_UNITS = 10_000;

/**
 * shop-order's data. Every transition of a checkout is one conditional change of the order's
 * own record (a Lua script in Redis, a conditional single-document update in MongoDB) that
 * checks status, attempt and owner, so a replica that lost its lease can change nothing.
 */
export interface OrderStore {
  create(orderId: string, userId: string): Promise<void>;
  /** Orders "0".."n-1" (random user < nUsers, two random items < nItems at `price`), as the 2024 benchmark seeds them. */
  batchInit(n: number, nItems: number, nUsers: number, price: number): Promise<void>;
  get(orderId: string): Promise<OrderRecord | undefined>;
  /** Deletes an open order (paid and checking-out orders are kept). */
  remove(orderId: string): Promise<EditResult>;
  addItem(orderId: string, itemId: string, quantity: number, price: number): Promise<EditResult>;
  /** Takes one unit of `itemId` off an open order. */
  removeItem(orderId: string, itemId: string): Promise<EditResult>;
  /**
   * `start`: open → checking_out with a new attempt at step `pay`; any call: checking_out with an
   * expired lease → taken over by `owner`. Otherwise answers what the order is doing.
   */
  claim(orderId: string, owner: string, now: number, leaseMs: number, start: boolean, requestId: string): Promise<ClaimResult>;
  /** Records the next step (and renews the lease); false when `owner` no longer runs `attempt`. */
  advance(orderId: string, attempt: number, owner: string, step: RecordedStep | undefined, leaseUntil: number, reason?: CheckoutOutcome): Promise<boolean>;
  /** Ends the attempt: `paid`, or back to `open` with the failure's outcome. */
  finish(orderId: string, attempt: number, owner: string, outcome: CheckoutOutcome): Promise<boolean>;
  /** Orders checking out whose lease ended before `now`. */
  expired(now: number, limit: number): Promise<string[]>;
}
