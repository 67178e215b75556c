import { Agent, request } from "undici";

/**
 * The course's consistency test (delftdata/wdm-project-benchmark@a101059 consistency-test/:
 * populate.py, stress.py, verify.py) against a gateway URL: 1 item at price 1 with stock 100,
 * 1,000 users with credit 1, 1,000 orders (each of a random user) of that item, then all 1,000
 * checkouts at once; then verify.py's four "inconsistencies" lines, which must all be 0.
 * Like stress.py, only 400–499 counts as a failed checkout; we also keep the exact statuses so a
 * test can insist on 2xx/4xx only.
 */

export const ITEM_STARTING_STOCK = 100;
export const ITEM_PRICE = 1;
export const NUMBER_OF_USERS = 1000;
export const USER_STARTING_CREDIT = 1;
export const NUMBER_OF_ORDERS = 1000;
export const CORRECT_USER_STATE = NUMBER_OF_USERS * USER_STARTING_CREDIT - 1 * ITEM_STARTING_STOCK * ITEM_PRICE;

export interface ConsistencyClient {
  post(path: string): Promise<{ status: number; json: Record<string, unknown> | undefined }>;
  get(path: string): Promise<{ status: number; json: Record<string, unknown> | undefined }>;
  close(): Promise<void>;
}

/** HTTP to the gateway; `connections` bounds open sockets (aiohttp's default connector allows 100). */
export function client(url: string, connections: number | null = 100, timeoutMs = 60_000): ConsistencyClient {
  const base = url.replace(/\/$/, "");
  const agent = new Agent({ connections, keepAliveTimeout: 10_000, connect: { timeout: 5000 } });
  const send = async (method: "GET" | "POST", path: string) => {
    const res = await request(`${base}${path}`, { dispatcher: agent, method, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json };
  };
  return { post: (p) => send("POST", p), get: (p) => send("GET", p), close: () => agent.close() };
}

function field(res: { status: number; json: Record<string, unknown> | undefined }, name: string, what: string): string {
  const v = res.json?.[name];
  if (res.status < 200 || res.status >= 300 || (typeof v !== "string" && typeof v !== "number")) {
    throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.json)}; expected 2xx with "${name}"`);
  }
  return String(v);
}

async function expect2xx(p: Promise<{ status: number; json: Record<string, unknown> | undefined }>, what: string): Promise<void> {
  const res = await p;
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.json)}`);
}

export interface Populated {
  itemIds: string[];
  userIds: string[];
  /** Order ids and their user, created and filled (stress.py's first half). */
  orders: { orderId: string; userId: string }[];
}

/** populate.py plus the order creation of stress.py. `random` picks each order's user. */
export async function populate(c: ConsistencyClient, random: () => number = Math.random): Promise<Populated> {
  const itemId = field(await c.post(`/stock/item/create/${ITEM_PRICE}`), "item_id", "stock/item/create");
  await expect2xx(c.post(`/stock/add/${itemId}/${ITEM_STARTING_STOCK}`), "stock/add");
  const userIds = await Promise.all(Array.from({ length: NUMBER_OF_USERS }, async () => field(await c.post("/payment/create_user"), "user_id", "payment/create_user")));
  await Promise.all(userIds.map((u) => expect2xx(c.post(`/payment/add_funds/${u}/${USER_STARTING_CREDIT}`), "payment/add_funds")));
  const orderUsers = Array.from({ length: NUMBER_OF_ORDERS }, () => userIds[Math.floor(random() * userIds.length)] as string);
  const orderIds = await Promise.all(orderUsers.map(async (u) => field(await c.post(`/orders/create/${u}`), "order_id", "orders/create")));
  await Promise.all(orderIds.map((o) => expect2xx(c.post(`/orders/addItem/${o}/${itemId}`), "orders/addItem")));
  return { itemIds: [itemId], userIds, orders: orderIds.map((orderId, i) => ({ orderId, userId: orderUsers[i] as string })) };
}

export interface CheckoutOutcome {
  orderId: string;
  userId: string;
  /** HTTP status; 0 when the connection failed (stress.py would abort the run). */
  status: number;
  /** The answer's `error` (a refusal's reason), or the connection error. */
  error?: string;
}

/** stress.py's second half: every checkout at once. */
export async function checkoutAll(c: ConsistencyClient, orders: Populated["orders"]): Promise<CheckoutOutcome[]> {
  return Promise.all(
    orders.map(async ({ orderId, userId }) => {
      try {
        const res = await c.post(`/orders/checkout/${orderId}`);
        const error = res.json?.error;
        return typeof error === "string" ? { orderId, userId, status: res.status, error } : { orderId, userId, status: res.status };
      } catch (err) {
        return { orderId, userId, status: 0, error: (err as Error).message };
      }
    }),
  );
}

export interface Verdict {
  /** verify.py's four lines, in its order; all must be 0. */
  stockLog: number;
  stockDb: number;
  paymentLog: number;
  paymentDb: number;
  successes: number;
  refused: number;
  other: number;
  finalStock: number;
  totalCredit: number;
}

/** verify.py: the log lines (stress.py counts anything but 4xx as SUCCESS) and the databases. */
export async function verify(c: ConsistencyClient, populated: Populated, outcomes: CheckoutOutcome[]): Promise<Verdict> {
  const logSuccess = outcomes.filter((o) => !(o.status >= 400 && o.status < 500));
  const loggedCredit = new Map(populated.userIds.map((u) => [u, USER_STARTING_CREDIT]));
  for (const o of logSuccess) loggedCredit.set(o.userId, (loggedCredit.get(o.userId) ?? 0) - ITEM_PRICE);
  const stock = Number(field(await c.get(`/stock/find/${populated.itemIds[0]}`), "stock", "stock/find"));
  const credits = await Promise.all(populated.userIds.map(async (u) => Number(field(await c.get(`/payment/find_user/${u}`), "credit", "payment/find_user"))));
  const totalCredit = credits.reduce((a, b) => a + b, 0);
  const loggedTotal = [...loggedCredit.values()].reduce((a, b) => a + b, 0);
  return {
    stockLog: logSuccess.length - ITEM_STARTING_STOCK,
    stockDb: ITEM_STARTING_STOCK - stock - ITEM_STARTING_STOCK,
    paymentLog: Math.abs(CORRECT_USER_STATE - loggedTotal),
    paymentDb: Math.abs(CORRECT_USER_STATE - totalCredit),
    successes: outcomes.filter((o) => o.status >= 200 && o.status < 300).length,
    refused: outcomes.filter((o) => o.status >= 400 && o.status < 500).length,
    other: outcomes.filter((o) => o.status < 200 || (o.status >= 300 && o.status < 400) || o.status >= 500).length,
    finalStock: stock,
    totalCredit,
  };
}
