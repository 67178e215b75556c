/**
 * Money and counts as the shop keeps them. Amounts (prices, funds, payments) are stored as
 * integers of micro-units (10⁻⁶ of the currency unit): the 2022 benchmark sends random floats
 * such as `7.261829374618273`, and binary floating point would make sums drift (0.1 + 0.2), so
 * "total credit = 900" could not be exact. A path parameter is parsed from its decimal text
 * (never through a float) and rounded half-up to 6 decimals; answers convert back to a JSON
 * number (`units / 1e6`, which is the nearest double to the exact decimal value).
 */

/** Micro-units per currency unit. */
export const UNITS_PER_MONEY = 1_000_000;
/** Largest amount (in micro-units) a price, a balance or an order total may reach: below 2^53. */
export const MAX_UNITS = 9_000_000_000_000_000;
/** Largest stock count or quantity (exact in a double and in Redis' 64-bit integers). */
export const MAX_COUNT = 1_000_000_000_000;

/** A path parameter that does not parse: answered 400 naming the parameter. */
export class BadParameter extends Error {
  constructor(
    readonly parameter: string,
    reason: string,
  ) {
    super(`${parameter}: ${reason}`);
    this.name = "BadParameter";
  }
}

const DECIMAL = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

function show(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw);
}

/**
 * `5`, `5.0`, `7.261829374618273`, `1e3` → micro-units. Negative, NaN, Infinity, hex, empty or
 * anything else → BadParameter. Digits beyond the 6th decimal are rounded half-up.
 */
export function parseAmount(parameter: string, raw: string): number {
  const m = DECIMAL.exec(raw);
  if (!m) throw new BadParameter(parameter, `${show(raw)} is not an amount (allowed: a non-negative decimal number such as 5 or 5.25)`);
  let digits = (m[1] ?? "") + (m[2] ?? "");
  // Position of the decimal point within `digits`, moved by the exponent.
  let point = (m[1] ?? "").length + Number(m[3] ?? "0");
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, "") || "0";
  const fraction = digits.slice(point).padEnd(7, "0");
  if (whole.length > 12) throw tooLarge(parameter, raw);
  let units = Number(whole) * UNITS_PER_MONEY + Number(fraction.slice(0, 6));
  if (Number(fraction[6]) >= 5) units += 1;
  if (!Number.isSafeInteger(units) || units > MAX_UNITS) throw tooLarge(parameter, raw);
  return units;
}

function tooLarge(parameter: string, raw: string): BadParameter {
  return new BadParameter(parameter, `${show(raw)} is too large (allowed: at most ${MAX_UNITS / UNITS_PER_MONEY})`);
}

/** A whole count (stock, quantity, n): `5` or `5.0`; `min` says whether 0 is allowed. */
export function parseCount(parameter: string, raw: string, min = 0, max = MAX_COUNT): number {
  const m = /^(\d+)(?:\.0*)?$/.exec(raw);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new BadParameter(parameter, `${show(raw)} is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Ids are used in Redis keys and MongoDB field names: letters, digits, `_`, `-` only. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseId(parameter: string, raw: string): string {
  if (!ID.test(raw)) throw new BadParameter(parameter, `${show(raw)} is not an id (allowed: 1-64 letters, digits, '_', '-')`);
  return raw;
}

/** A checkout id: `<order id>:<attempt>`. */
const CHECKOUT_ID = /^[A-Za-z0-9_-]{1,64}:[0-9]{1,9}$/;

export function parseCheckoutId(raw: string): string {
  if (!CHECKOUT_ID.test(raw)) throw new BadParameter("checkout_id", `${show(raw)} is not a checkout id (allowed: <order id>:<attempt>)`);
  return raw;
}

export function checkoutId(orderId: string, attempt: number): string {
  return `${orderId}:${attempt}`;
}

/** Micro-units → the JSON number a client sees. */
export function toMoney(units: number): number {
  return units / UNITS_PER_MONEY;
}
