import * as hdr from "hdr-histogram-js";
import { Agent, request } from "undici";

/**
 * The course's 2022 stress test (delftdata/wdm-project-benchmark@a101059 stress-test/locustfile.py)
 * as a closed-model driver: each virtual user picks one of six scenarios by weight (5/30/25/20/10/10)
 * when it starts and repeats that scenario's steps in order, waiting `between(1, 3)` seconds before
 * each step, as a Locust user in a SequentialTaskSet does. Scenarios 5 and 6 must fail (item out of
 * stock, user without credit).
 *
 * Two failure counts:
 * - `courseFailures`: exactly what the locustfile marks as a failure: a 4xx on addItem, removeItem
 *   and checkout; anything but a 4xx on a must-fail checkout; a create whose answer is not JSON with
 *   the id; a status ≥ 400 (or no answer) on any other request. The locustfile marks a 5xx checkout
 *   a *success*.
 * - `unexpected`: those plus every 5xx and every request without an answer, anywhere.
 *
 * The driver also keeps a ledger (stock added and subtracted per item, credit added per user, every
 * order it checked out and how that was answered) so that after the run `verifyLedger` can count
 * inconsistencies: stock and credit not equal to what the paid orders imply, an order paid whose
 * checkout was refused, or unpaid whose checkout succeeded.
 */

export type StepKind =
  | "create_item"
  | "add_stock"
  | "create_user"
  | "add_funds"
  | "create_order"
  | "add_item"
  | "remove_item"
  | "checkout"
  | "checkout_must_fail"
  | "stock_to_zero"
  | "subtract_stock";

/** One step of a scenario; `item` is the index into the user's item list (Locust's item_idx). */
export interface Step {
  kind: StepKind;
  item?: number;
}

export interface Scenario {
  name: string;
  weight: number;
  steps: Step[];
}

const s = (kind: StepKind, item?: number): Step => (item === undefined ? { kind } : { kind, item });

/** LoadTest1..6 of the 2022 locustfile, with its weights. */
export const SCENARIOS: readonly Scenario[] = [
  { name: "LoadTest1 admin creates item, adds stock", weight: 5, steps: [s("create_item"), s("add_stock", 0)] },
  {
    name: "LoadTest2 checkout 1 item",
    weight: 30,
    steps: [s("create_item"), s("add_stock", 0), s("create_user"), s("add_funds"), s("create_order"), s("add_item", 0), s("checkout")],
  },
  {
    name: "LoadTest3 checkout 2 items",
    weight: 25,
    steps: [s("create_item"), s("add_stock", 0), s("create_item"), s("add_stock", 1), s("create_user"), s("add_funds"), s("create_order"), s("add_item", 0), s("add_item", 1), s("checkout")],
  },
  {
    name: "LoadTest4 add, remove, re-add, checkout",
    weight: 20,
    steps: [s("create_item"), s("add_stock", 0), s("create_user"), s("add_funds"), s("create_order"), s("add_item", 0), s("remove_item", 0), s("add_item", 0), s("checkout")],
  },
  {
    name: "LoadTest5 must fail: out of stock",
    weight: 10,
    steps: [s("create_item"), s("add_stock", 0), s("create_item"), s("add_stock", 1), s("create_user"), s("add_funds"), s("create_order"), s("add_item", 0), s("add_item", 1), s("stock_to_zero", 1), s("checkout_must_fail")],
  },
  {
    name: "LoadTest6 must fail: no credit",
    weight: 10,
    steps: [s("create_item"), s("add_stock", 0), s("create_user"), s("create_order"), s("add_item", 0), s("checkout_must_fail")],
  },
];

/** A scenario by weight, for `r` uniform in [0, 1). */
export function pickScenario(r: number, scenarios: readonly Scenario[] = SCENARIOS): Scenario {
  const total = scenarios.reduce((a, sc) => a + sc.weight, 0);
  let x = r * total;
  for (const sc of scenarios) {
    if (x < sc.weight) return sc;
    x -= sc.weight;
  }
  return scenarios[scenarios.length - 1] as Scenario;
}

/** How one answer counts; `status` 0 = no answer (connection error or timeout). */
export function classify(kind: StepKind, status: number, jsonOk: boolean): { courseFailure: boolean; unexpected: boolean } {
  let courseFailure: boolean;
  switch (kind) {
    case "add_item":
    case "remove_item":
    case "checkout":
      // catch_response + success() on anything that is not 4xx; no answer raises, which Locust counts.
      courseFailure = status === 0 || (status >= 400 && status < 500);
      break;
    case "checkout_must_fail":
      courseFailure = !(status >= 400 && status < 500);
      break;
    case "create_item":
    case "create_user":
    case "create_order":
    case "stock_to_zero":
      courseFailure = status === 0 || status >= 400 || !jsonOk;
      break;
    default:
      courseFailure = status === 0 || status >= 400;
  }
  return { courseFailure, unexpected: courseFailure || status === 0 || status >= 500 };
}

/** What the driver did to each entity, for the consistency check after the run. */
export interface Ledger {
  items: Map<string, { added: number; subtracted: number; uncertain: boolean }>;
  users: Map<string, { funded: number; ops: number; uncertain: boolean }>;
  /** Orders checked out, with the checkout's status (0: no answer). */
  checkouts: { orderId: string; userId: string; status: number; mustFail: boolean }[];
}

export function newLedger(): Ledger {
  return { items: new Map(), users: new Map(), checkouts: [] };
}

export interface MixStats {
  requests: number;
  courseFailures: number;
  unexpected: number;
  /** Successful (2xx) checkouts. */
  checkouts: number;
  mustFailChecked: number;
  byKind: Record<string, { requests: number; unexpected: number }>;
  errorSamples: string[];
}

export interface MixOptions {
  /** Gateway base URL; requests go to /orders, /payment, /stock under it (urls.json all equal). */
  url: string;
  users: number;
  durationS: number;
  /** Users start evenly over this long (Locust's spawn rate); default min(5, durationS/4). */
  rampS?: number;
  /** Locust's wait_time = between(min, max), in seconds; default 1..3 as the locustfile. */
  waitMinS?: number;
  waitMaxS?: number;
  timeoutMs?: number;
  random?: () => number;
  /** Each user stops after this many rounds of its scenario (or at `durationS`, whichever is first); default unbounded. */
  cycles?: number;
}

export interface MixResult extends MixStats {
  users: number;
  durationS: number;
  latency: { mean: number; p50: number; p95: number; p99: number; max: number };
  ledger: Ledger;
}

interface Answer {
  status: number;
  json: Record<string, unknown> | undefined;
}

/** Runs the mix for `durationS`; users stop after their current request, bounded by the timeout. */
export async function runMix(opts: MixOptions): Promise<MixResult> {
  const rnd = opts.random ?? Math.random;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const waitMin = (opts.waitMinS ?? 1) * 1000;
  const waitMax = (opts.waitMaxS ?? 3) * 1000;
  const rampMs = (opts.rampS ?? Math.min(5, opts.durationS / 4)) * 1000;
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const stats: MixStats = { requests: 0, courseFailures: 0, unexpected: 0, checkouts: 0, mustFailChecked: 0, byKind: {}, errorSamples: [] };
  const ledger = newLedger();
  const base = opts.url.replace(/\/$/, "");
  const started = performance.now();
  const endAt = started + opts.durationS * 1000;
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const send = async (kind: StepKind, method: "GET" | "POST" | "DELETE", path: string, idField?: string): Promise<Answer> => {
    const t0 = performance.now();
    let status = 0;
    let json: Record<string, unknown> | undefined;
    try {
      const res = await request(`${base}${path}`, { dispatcher: agent, method, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
      status = res.statusCode;
      const text = await res.body.text();
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    } catch (err) {
      if (stats.errorSamples.length < 5) stats.errorSamples.push(`${method} ${path}: ${(err as Error).message}`);
    }
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    const jsonOk = json !== undefined && (idField === undefined || typeof json[idField] === "string" || typeof json[idField] === "number");
    const c = classify(kind, status, jsonOk);
    stats.requests++;
    const k = (stats.byKind[kind] ??= { requests: 0, unexpected: 0 });
    k.requests++;
    if (c.courseFailure) stats.courseFailures++;
    if (c.unexpected) {
      stats.unexpected++;
      k.unexpected++;
      if (stats.errorSamples.length < 5 && status !== 0) stats.errorSamples.push(`${method} ${path}: ${status}`);
    }
    return { status, json };
  };

  const ok = (a: Answer) => a.status >= 200 && a.status < 300;
  const money = () => rnd() * 9 + 1; // random.uniform(1.0, 10.0)

  const user = async (): Promise<void> => {
    const scenario = pickScenario(rnd());
    const items: string[] = [];
    let userId = "";
    let orderId = "";
    const item = (i: number | undefined) => items[i ?? 0];
    for (let cycle = 0; cycle < (opts.cycles ?? Infinity) && performance.now() < endAt; cycle++) {
      for (const step of scenario.steps) {
        await sleep(waitMin + rnd() * (waitMax - waitMin));
        if (performance.now() >= endAt) return;
        switch (step.kind) {
          case "create_item": {
            const a = await send(step.kind, "POST", `/stock/item/create/${money()}`, "item_id");
            if (ok(a) && a.json) {
              const id = String(a.json.item_id);
              items.push(id);
              ledger.items.set(id, { added: 0, subtracted: 0, uncertain: false });
            }
            break;
          }
          case "add_stock": {
            const id = item(step.item);
            if (id === undefined) break;
            const amount = 100 + Math.floor(rnd() * 901); // random.randint(100, 1000)
            const a = await send(step.kind, "POST", `/stock/add/${id}/${amount}`);
            const entry = ledger.items.get(id);
            if (entry && ok(a)) entry.added += amount;
            else if (entry && (a.status === 0 || a.status >= 500)) entry.uncertain = true;
            break;
          }
          case "create_user": {
            const a = await send(step.kind, "POST", "/payment/create_user", "user_id");
            if (ok(a) && a.json) {
              userId = String(a.json.user_id);
              ledger.users.set(userId, { funded: 0, ops: 0, uncertain: false });
            }
            break;
          }
          case "add_funds": {
            const amount = 10000 + rnd() * 90000; // random.uniform(10000.0, 100000.0)
            const a = await send(step.kind, "POST", `/payment/add_funds/${userId}/${amount}`);
            const entry = ledger.users.get(userId);
            if (entry && ok(a)) {
              entry.funded += amount;
              entry.ops++;
            } else if (entry && (a.status === 0 || a.status >= 500)) entry.uncertain = true;
            break;
          }
          case "create_order": {
            const a = await send(step.kind, "POST", `/orders/create/${userId}`, "order_id");
            orderId = ok(a) && a.json ? String(a.json.order_id) : "";
            break;
          }
          case "add_item":
            await send(step.kind, "POST", `/orders/addItem/${orderId}/${item(step.item) ?? ""}`);
            break;
          case "remove_item":
            await send(step.kind, "DELETE", `/orders/removeItem/${orderId}/${item(step.item) ?? ""}`);
            break;
          case "stock_to_zero": {
            const id = item(step.item) ?? "";
            const found = await send(step.kind, "GET", `/stock/find/${id}`, "stock");
            const stock = found.json?.stock;
            if (!ok(found) || typeof stock !== "number") break;
            const a = await send("subtract_stock", "POST", `/stock/subtract/${id}/${stock}`);
            const entry = ledger.items.get(id);
            if (entry && ok(a)) entry.subtracted += stock;
            else if (entry && (a.status === 0 || a.status >= 500)) entry.uncertain = true;
            break;
          }
          case "checkout":
          case "checkout_must_fail": {
            const a = await send(step.kind, "POST", `/orders/checkout/${orderId}`);
            if (orderId) ledger.checkouts.push({ orderId, userId, status: a.status, mustFail: step.kind === "checkout_must_fail" });
            if (step.kind === "checkout" && ok(a)) stats.checkouts++;
            if (step.kind === "checkout_must_fail") stats.mustFailChecked++;
            break;
          }
        }
      }
    }
  };

  const running: Promise<void>[] = [];
  for (let i = 0; i < opts.users; i++) {
    const delay = opts.users > 1 ? (rampMs * i) / (opts.users - 1) : 0;
    running.push(sleep(delay).then(user));
  }
  await Promise.all(running);
  const durationS = (performance.now() - started) / 1000;
  await agent.close();
  const ms = (us: number) => us / 1000;
  return {
    ...stats,
    users: opts.users,
    durationS,
    latency: {
      mean: ms(histogram.mean),
      p50: ms(histogram.getValueAtPercentile(50)),
      p95: ms(histogram.getValueAtPercentile(95)),
      p99: ms(histogram.getValueAtPercentile(99)),
      max: ms(histogram.maxValue),
    },
    ledger,
  };
}

export interface Consistency {
  itemsChecked: number;
  stockMismatches: number;
  negativeStock: number;
  usersChecked: number;
  creditMismatches: number;
  ordersChecked: number;
  /** A 2xx checkout whose order is not paid, or a 4xx one whose order is paid. */
  answerMismatches: number;
  /** Orders whose outcome no answer told (5xx / no answer), settled by reading the order. */
  unansweredCheckouts: number;
  samples: string[];
}

/** Reads every entity in the ledger back through the gateway and counts what does not add up. */
export async function verifyLedger(url: string, ledger: Ledger, concurrency = 50): Promise<Consistency> {
  const base = url.replace(/\/$/, "");
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const get = async (path: string): Promise<Record<string, unknown>> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await request(`${base}${path}`, { dispatcher: agent, method: "GET", signal: AbortSignal.timeout(10_000) });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
        return JSON.parse(text) as Record<string, unknown>;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
  };
  const pool = async <T>(list: T[], fn: (x: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, async () => {
      while (next < list.length) await fn(list[next++] as T);
    }));
  };
  const out: Consistency = { itemsChecked: 0, stockMismatches: 0, negativeStock: 0, usersChecked: 0, creditMismatches: 0, ordersChecked: 0, answerMismatches: 0, unansweredCheckouts: 0, samples: [] };
  const note = (line: string) => {
    if (out.samples.length < 10) out.samples.push(line);
  };
  const sold = new Map<string, number>();
  const spent = new Map<string, { amount: number; orders: number }>();
  await pool(ledger.checkouts, async (c) => {
    const order = await get(`/orders/find/${c.orderId}`);
    out.ordersChecked++;
    const paid = order.paid === true;
    const ok = c.status >= 200 && c.status < 300;
    const refused = c.status >= 400 && c.status < 500;
    if (!ok && !refused) out.unansweredCheckouts++;
    if ((ok && !paid) || (refused && paid) || (c.mustFail && paid)) {
      out.answerMismatches++;
      note(`order ${c.orderId}: checkout answered ${c.status}, paid=${String(paid)}${c.mustFail ? " (must fail)" : ""}`);
    }
    if (!paid) return;
    // 2022 orders list one item id per unit; the 2024 form is [[item_id, quantity], …].
    for (const entry of (order.items as unknown[]) ?? []) {
      const [id, qty] = Array.isArray(entry) ? [String(entry[0]), Number(entry[1])] : [String(entry), 1];
      sold.set(id, (sold.get(id) ?? 0) + qty);
    }
    const s = spent.get(c.userId) ?? { amount: 0, orders: 0 };
    s.amount += Number(order.total_cost);
    s.orders++;
    spent.set(c.userId, s);
  });
  await pool([...ledger.items.entries()].filter(([, e]) => !e.uncertain), async ([id, e]) => {
    const found = await get(`/stock/find/${id}`);
    out.itemsChecked++;
    const stock = Number(found.stock);
    if (stock < 0) out.negativeStock++;
    const expected = e.added - e.subtracted - (sold.get(id) ?? 0);
    if (stock !== expected) {
      out.stockMismatches++;
      note(`item ${id}: stock ${stock}, expected ${expected} (added ${e.added}, subtracted ${e.subtracted}, sold ${sold.get(id) ?? 0})`);
    }
  });
  await pool([...ledger.users.entries()].filter(([, e]) => !e.uncertain), async ([id, e]) => {
    const found = await get(`/payment/find_user/${id}`);
    out.usersChecked++;
    const credit = Number(found.credit);
    const s = spent.get(id) ?? { amount: 0, orders: 0 };
    const expected = e.funded - s.amount;
    // Amounts are random floats; a store may round each one to cents: allow a cent per operation.
    if (!(Math.abs(credit - expected) <= 0.01 * (e.ops + s.orders) + 1e-6)) {
      out.creditMismatches++;
      note(`user ${id}: credit ${credit}, expected ${expected.toFixed(4)} (funded ${e.funded.toFixed(4)}, spent ${s.amount.toFixed(4)})`);
    }
  });
  await agent.close();
  return out;
}
