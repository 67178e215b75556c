/** Why a checkout's payment was refused (recorded: the same checkout id is refused again). */
export type PayRefusal = "insufficient_credit" | "not_found" | "already_paid";

/**
 * The recorded decision for one checkout id. Final once made, except `paid` → `refunded`:
 * a late duplicate of a pay after its refund finds `refunded` and charges nothing.
 */
export type PayDecision = { decision: "paid" } | { decision: "refunded" } | { decision: "rejected"; reason: PayRefusal };

export type FundsResult = { ok: true; credit: number } | { ok: false; reason: "not_found" | "too_large" };
export type PayResult = { ok: true; credit: number } | { ok: false; reason: "not_found" | "insufficient_credit" | "already_paid" };
export type CancelResult = "ok" | "not_found" | "not_paid" | "by_checkout";

/**
 * shop-payment's data: users' credit (micro-units), the active payment of each order (2022 API),
 * and one decision record per checkout id (the saga's idempotency). Every change is atomic in
 * the backend: a Lua script in Redis, one conditional single-document update in MongoDB.
 */
export interface PaymentStore {
  createUser(userId: string): Promise<void>;
  /** Users "0".."n-1" with `credit` each, replacing what was there (the 2024 benchmark's seeding). */
  batchInit(n: number, credit: number): Promise<void>;
  findUser(userId: string): Promise<number | undefined>;
  addFunds(userId: string, amount: number): Promise<FundsResult>;
  /** 2024 `pay/{user}/{amount}`: takes `amount` if the credit covers it. */
  pay(userId: string, amount: number): Promise<PayResult>;
  /** 2022 `pay/{user}/{order}/{amount}`: as pay, once per order (a second payment is `already_paid`). */
  payOrder(userId: string, orderId: string, amount: number): Promise<PayResult>;
  /** 2022 `cancel/{user}/{order}`: gives back a payment made with payOrder. */
  cancelOrder(userId: string, orderId: string): Promise<CancelResult>;
  /** 2022 `status/{user}/{order}`: undefined when the user does not exist. */
  orderPaid(userId: string, orderId: string): Promise<boolean | undefined>;
  /** Saga: charge `amount` for checkout `checkoutId` once, or refuse; answers the recorded decision. */
  sagaPay(checkoutId: string, userId: string, orderId: string, amount: number): Promise<PayDecision>;
  /** Saga: give back what `checkoutId` paid, once; with no payment recorded, records `refunded` so a late pay is refused. */
  sagaRefund(checkoutId: string, userId: string, orderId: string): Promise<PayDecision>;
}
