/**
 * shop (seed 003): the three services answer through the gateway with their prefixes stripped,
 * a checkout without credit is a 4xx that changes nothing, and a funded checkout charges once,
 * subtracts the stock and marks the order paid — also when it is sent a second time.
 */
import { fail, jsonObject, type CheckContext, type VariantCheck } from "../check";
import type { HttpClient, Reply } from "../http";

const ok2xx = (s: number) => s >= 200 && s < 300;

/** The course's routes under the gateway base (`shopUrl`, with or without its trailing `/`). */
export class ShopClient {
  private readonly base: string;
  constructor(private readonly http: HttpClient, url: string) {
    this.base = url.replace(/\/+$/, "");
  }

  private async call(method: "GET" | "POST", route: string, waitForReady = false): Promise<Reply> {
    const url = `${this.base}${route}`;
    return method === "GET" ? this.http.get(url, { waitForReady }) : this.http.post(url, { waitForReady });
  }

  private async id(route: string, field: string, waitForReady = false): Promise<string> {
    const body = jsonObject(await this.call("POST", route, waitForReady), `POST ${route}`, ok2xx);
    const v = body[field];
    if ((typeof v !== "string" && typeof v !== "number") || String(v) === "") fail(`POST ${route}: ${field} is ${JSON.stringify(v)}, expected an id`);
    return String(v);
  }

  /** A new user (`POST /payment/create_user`); a retry while the gateway has no ready backend only makes another user. */
  createUser(waitForReady = false): Promise<string> {
    return this.id("/payment/create_user", "user_id", waitForReady);
  }

  async addFunds(user: string, amount: number): Promise<void> {
    const body = jsonObject(await this.call("POST", `/payment/add_funds/${user}/${amount}`), "add_funds", ok2xx);
    if (body.done !== true) fail(`add_funds answered ${JSON.stringify(body)}, expected done: true`);
  }

  async credit(user: string): Promise<number> {
    const body = jsonObject(await this.call("GET", `/payment/find_user/${user}`), "find_user");
    if (typeof body.credit !== "number") fail(`find_user: credit is ${JSON.stringify(body.credit)}, expected a number`);
    return body.credit;
  }

  createItem(price: number, waitForReady = false): Promise<string> {
    return this.id(`/stock/item/create/${price}`, "item_id", waitForReady);
  }

  async addStock(item: string, amount: number): Promise<void> {
    const r = await this.call("POST", `/stock/add/${item}/${amount}`);
    if (!ok2xx(r.status)) fail(`stock/add answered ${r.status}: ${r.body.slice(0, 160)}`);
  }

  async stock(item: string): Promise<number> {
    const body = jsonObject(await this.call("GET", `/stock/find/${item}`), "stock/find");
    if (typeof body.stock !== "number") fail(`stock/find: stock is ${JSON.stringify(body.stock)}, expected a number`);
    return body.stock;
  }

  createOrder(user: string, waitForReady = false): Promise<string> {
    return this.id(`/orders/create/${user}`, "order_id", waitForReady);
  }

  async addItem(order: string, item: string): Promise<void> {
    const r = await this.call("POST", `/orders/addItem/${order}/${item}`);
    if (!ok2xx(r.status)) fail(`orders/addItem answered ${r.status}: ${r.body.slice(0, 160)}`);
  }

  /** The checkout's status (never retried: the smoke test must see the first answer). */
  async checkout(order: string): Promise<Reply> {
    return this.call("POST", `/orders/checkout/${order}`);
  }

  async order(order: string): Promise<{ paid: boolean; totalCost: number }> {
    const body = jsonObject(await this.call("GET", `/orders/find/${order}`), "orders/find");
    if (typeof body.paid !== "boolean" || typeof body.total_cost !== "number") fail(`orders/find answered ${JSON.stringify(body).slice(0, 160)}, expected paid and total_cost`);
    return { paid: body.paid, totalCost: body.total_cost };
  }
}

async function run(ctx: CheckContext): Promise<void> {
  const shop = new ShopClient(ctx.http, ctx.url);
  let user = "";
  let item = "";
  const ok = await ctx.check("serves /payment, /stock and /orders through the gateway with the prefixes stripped", async () => {
    user = await shop.createUser(true);
    item = await shop.createItem(3, true);
    const order = await shop.createOrder(user, true);
    return `user ${user}, item ${item}, order ${order}`;
  });
  if (!ok) return;

  await ctx.check("refuses a checkout without credit with a 4xx and changes nothing", async () => {
    await shop.addStock(item, 5);
    const order = await shop.createOrder(user);
    await shop.addItem(order, item);
    const r = await shop.checkout(order);
    if (r.status < 400 || r.status > 499) fail(`checkout of an order the user cannot pay answered ${r.status} (expected 4xx): ${r.body.slice(0, 160)}`);
    const [stock, credit, o] = await Promise.all([shop.stock(item), shop.credit(user), shop.order(order)]);
    if (stock !== 5) fail(`stock went 5 → ${stock} on a refused checkout`);
    if (credit !== 0) fail(`credit went 0 → ${credit} on a refused checkout`);
    if (o.paid) fail("the refused order shows paid: true");
    return `${r.status}, stock 5, credit 0, unpaid`;
  });

  await ctx.check("checks out a funded order once: charged, stock subtracted, paid — and a second checkout charges nothing", async () => {
    await shop.addFunds(user, 10);
    const stockBefore = await shop.stock(item);
    const order = await shop.createOrder(user);
    await shop.addItem(order, item);
    await shop.addItem(order, item);
    const { totalCost } = await shop.order(order);
    if (totalCost !== 6) fail(`two items at 3 cost ${totalCost}, expected 6`);
    const r = await shop.checkout(order);
    if (!ok2xx(r.status)) fail(`checkout answered ${r.status}: ${r.body.slice(0, 160)}`);
    const again = await shop.checkout(order);
    if (again.status >= 500) fail(`a second checkout of a paid order answered ${again.status} (expected 2xx or 4xx)`);
    const [stock, credit, o] = await Promise.all([shop.stock(item), shop.credit(user), shop.order(order)]);
    if (!o.paid) fail("the order is not paid after a 2xx checkout");
    if (credit !== 4) fail(`credit is ${credit} after paying 6 of 10${credit < 4 ? ": charged twice" : ""}`);
    if (stock !== stockBefore - 2) fail(`stock went ${stockBefore} → ${stock}, expected ${stockBefore - 2}`);
    return `paid, credit 10 → 4, stock ${stockBefore} → ${stock}, second checkout ${again.status}`;
  });
}

export const check: VariantCheck = { variant: "shop", output: "shopUrl", run };
