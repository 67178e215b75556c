export interface Item {
  stock: number;
  /** Micro-units. */
  price: number;
}

export type StockRefusal = "out_of_stock" | "not_found";

/** The recorded decision for one checkout id: final once made, so a duplicate changes nothing. */
export type StockDecision = { decision: "done" } | { decision: "rejected"; reason: StockRefusal; item: string };

export type StockChange = { ok: true; stock: number } | { ok: false; reason: "not_found" | "out_of_stock" | "too_large" };

/** A checkout's lines: [item id, quantity], each item once. */
export type Lines = Array<[string, number]>;

/**
 * shop-stock's data: items (stock count, price in micro-units) and one decision per checkout
 * id. Stock never goes below zero; a checkout's subtraction of several items is all or nothing.
 */
export interface StockStore {
  createItem(itemId: string, price: number): Promise<void>;
  /** Items "0".."n-1", replacing what was there (the 2024 benchmark's seeding). */
  batchInit(n: number, stock: number, price: number): Promise<void>;
  find(itemId: string): Promise<Item | undefined>;
  add(itemId: string, amount: number): Promise<StockChange>;
  subtract(itemId: string, amount: number): Promise<StockChange>;
  /** Saga: subtract every line for `checkoutId` once, or none; answers the recorded decision. */
  sagaSubtract(checkoutId: string, lines: Lines): Promise<StockDecision>;
}
