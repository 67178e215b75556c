import http from "node:http";
import { MongoServer } from "./mongo";
import { waitFor } from "./net";
import { RedisServer } from "./redis";
import type { Role } from "../../src/lib/config";
import type { RunningRole } from "./in-process";
import { RoleProcess, type Env } from "./role";

export type ShopState = "redis" | "mongo";
export const SHOP_STATES: ShopState[] = ["redis", "mongo"];

export interface ShopRes {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** One request on a fresh connection (a killed replica's socket is never reused). */
export function shopCall(method: "GET" | "POST" | "DELETE", url: string, timeoutMs = 20_000, headers: Record<string, string> = {}): Promise<ShopRes> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Short saga timings, so recovery tests finish in seconds. The lease is longer than a step takes
 * on a loaded test machine (else replicas overtake live checkouts: safe, but wasted work); on
 * FerretDB the recovery scan reads the whole orders collection (no index pushdown) while holding
 * the server's one lock, so it runs less often there.
 */
export function sagaTimings(state: ShopState): Env {
  return { SHOP_SAGA_LEASE_MS: "2500", SHOP_RECOVERY_INTERVAL_MS: state === "redis" ? "200" : "1000", SHOP_CALL_TIMEOUT_MS: "20000" };
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

/** How a Shop starts one service: as a process (the default) or a runner's way (test/helpers/in-process.ts). */
export type StartService<R extends RunningRole> = (role: Role, env: Env, options: { waitReady?: boolean }) => Promise<R>;

/**
 * The three shop services on loopback: payment and stock once, order `orders` times, on a real
 * redis-server or the FerretDB test server; real processes unless `start` says otherwise. `name`
 * keeps the data of several shops on one server apart (Redis key prefixes, Mongo databases), as
 * the Pulumi program does.
 */
export class Shop<R extends RunningRole = RoleProcess> {
  private constructor(
    readonly state: ShopState,
    readonly payment: R,
    readonly stock: R,
    readonly orders: R[],
    private readonly server: RedisServer | MongoServer,
  ) {}

  static start(state: ShopState, name: string, orders?: number, extra?: Env): Promise<Shop<RoleProcess>>;
  static start<R extends RunningRole>(state: ShopState, name: string, orders: number, extra: Env, start: StartService<R>): Promise<Shop<R>>;
  static async start(
    state: ShopState,
    name: string,
    orders = 2,
    extra: Env = {},
    start: StartService<RunningRole> = (role, env, options) => RoleProcess.start(role, env, options),
  ): Promise<Shop<RunningRole>> {
    const server = state === "redis" ? await RedisServer.start() : await MongoServer.start();
    const storeEnv = (service: string): Env =>
      server instanceof RedisServer
        ? { STATE: "redis", REDIS_URL: server.url, REDIS_KEY_PREFIX: `${name}:shop-${service}:` }
        : { STATE: "mongo", MONGO_URL: server.url(`${name}_shop_${service}`), MONGO_TIMEOUT_MS: "3000" };
    const [payment, stock] = await Promise.all([
      start("shop-payment", storeEnv("payment"), { waitReady: false }),
      start("shop-stock", storeEnv("stock"), { waitReady: false }),
    ]);
    const orderEnv: Env = { ...storeEnv("order"), SHOP_PAYMENT_URL: payment.url, SHOP_STOCK_URL: stock.url, ...sagaTimings(state), ...extra };
    const replicas = await Promise.all(Array.from({ length: orders }, () => start("shop-order", orderEnv, { waitReady: false })));
    await Promise.all([payment, stock, ...replicas].map((p) => p.waitReady(20_000)));
    return new Shop(state, payment, stock, replicas, server);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.payment, this.stock, ...this.orders].map((p) => p.stop().catch(async (err: unknown) => (p instanceof RoleProcess ? p.kill() : Promise.reject(err)))),
    );
    if (this.server instanceof RedisServer) await this.server.stop();
    else await this.server.remove();
  }

  // The course's client calls, without the gateway prefix (the gateway strips it).
  pay(method: "GET" | "POST", path: string): Promise<ShopRes> {
    return shopCall(method, `${this.payment.url}${path}`);
  }
  stk(method: "GET" | "POST", path: string): Promise<ShopRes> {
    return shopCall(method, `${this.stock.url}${path}`);
  }
  ord(method: "GET" | "POST" | "DELETE", path: string, replica = 0): Promise<ShopRes> {
    const order = this.orders[replica % this.orders.length] as R;
    return shopCall(method, `${order.url}${path}`);
  }

  async createItem(price: string | number, stock: number): Promise<string> {
    const item = await this.stk("POST", `/item/create/${price}`);
    if (item.status !== 200) throw new Error(`create item: ${item.status} ${JSON.stringify(item.json)}`);
    if (stock > 0) await this.stk("POST", `/add/${item.json.item_id}/${stock}`);
    return item.json.item_id as string;
  }

  async createUser(credit: string | number): Promise<string> {
    const user = await this.pay("POST", "/create_user");
    if (user.status !== 200) throw new Error(`create user: ${user.status} ${JSON.stringify(user.json)}`);
    if (Number(credit) > 0) await this.pay("POST", `/add_funds/${user.json.user_id}/${credit}`);
    return user.json.user_id as string;
  }

  /** An order of `userId` holding one unit of each of `items`. */
  async createOrder(userId: string, items: string[], replica = 0): Promise<string> {
    const order = await this.ord("POST", `/create/${userId}`, replica);
    for (const item of items) {
      const added = await this.ord("POST", `/addItem/${order.json.order_id}/${item}`, replica);
      if (added.status !== 200) throw new Error(`addItem: ${added.status} ${JSON.stringify(added.json)}`);
    }
    return order.json.order_id as string;
  }

  async credit(userId: string): Promise<number> {
    return (await this.pay("GET", `/find_user/${userId}`)).json.credit as number;
  }

  async stockOf(itemId: string): Promise<number> {
    return (await this.stk("GET", `/find/${itemId}`)).json.stock as number;
  }

  async order(orderId: string, replica = 0): Promise<ShopRes["json"]> {
    return (await this.ord("GET", `/find/${orderId}`, replica)).json;
  }

  /** Waits until none of `orderIds` is checking out any more. */
  async settled(orderIds: string[], timeoutMs: number, replica = 1): Promise<void> {
    await waitFor(
      "every checkout to finish",
      async () => (await Promise.all(orderIds.map((o) => this.order(o, replica)))).every((o) => o.checkout !== "running"),
      timeoutMs,
      // Not faster: every poll is 1 read per order, and FerretDB serialises them with the saga's.
      250,
    );
  }
}
