import { expect } from "chai";
import { start, type ShopLocal, type StateKind } from "../loadtest/shop/local";
import { checkoutAll, client, populate, verify, ITEM_STARTING_STOCK, type CheckoutOutcome, type ConsistencyClient, type Populated, type Verdict } from "../loadtest/shop/consistency";

/**
 * The course's consistency test through the real nginx gateway of `npm run shop:local`
 * (2 replicas per service): 1 item with stock 100, 1,000 users with credit 1, 1,000 orders of
 * that item, all 1,000 checkouts at once → exactly 100 paid (2xx), every other checkout 4xx, final
 * stock 0, total credit 900: verify.py's four lines all 0. Three rounds with fresh data; then a
 * round during which one replica of each service is killed (-9) and restarted.
 */

const SEED = 0x5eed;
/** Deterministic choice of each order's user (stress.py uses random.choice). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

async function paidOrders(c: ConsistencyClient, p: Populated): Promise<Set<string>> {
  const paid = new Set<string>();
  await Promise.all(
    p.orders.map(async ({ orderId }) => {
      const res = await c.get(`/orders/find/${orderId}`);
      if (res.status !== 200) throw new Error(`orders/find/${orderId}: ${res.status}`);
      if (res.json?.paid === true) paid.add(orderId);
    }),
  );
  return paid;
}

/** Σ shop_saga_in_flight over the order replicas that answer. */
async function sagasInFlight(shop: ShopLocal): Promise<number> {
  let sum = 0;
  for (const r of shop.replicas["shop-order"]) {
    try {
      const text = await (await fetch(`${r.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      for (const line of text.split("\n")) if (line.startsWith("shop_saga_in_flight")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    } catch {
      // a replica being restarted has nothing in flight
    }
  }
  return sum;
}

function expectExact(v: Verdict, label: string): void {
  const lines = { stockLog: v.stockLog, stockDb: v.stockDb, paymentLog: v.paymentLog, paymentDb: v.paymentDb };
  expect(lines, `${label}: verify.py's four lines`).to.deep.equal({ stockLog: 0, stockDb: 0, paymentLog: 0, paymentDb: 0 });
  expect({ successes: v.successes, refused: v.refused, other: v.other, finalStock: v.finalStock, totalCredit: v.totalCredit }, label).to.deep.equal({
    successes: ITEM_STARTING_STOCK,
    refused: 1000 - ITEM_STARTING_STOCK,
    other: 0,
    finalStock: 0,
    totalCredit: 900,
  });
}

/** "200×100, 409×900, 503×2 (first: …)": what the checkouts were answered, for a failure message. */
function statusSummary(outcomes: CheckoutOutcome[]): string {
  const counts = new Map<number, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  const odd = outcomes.find((o) => !(o.status >= 200 && o.status < 300) && !(o.status >= 400 && o.status < 500));
  return [...counts].map(([st, n]) => `${st}×${n}`).join(", ") + (odd ? ` (first other: ${odd.status} ${odd.error ?? ""})` : "");
}

function paidMatchesAnswers(paid: Set<string>, outcomes: CheckoutOutcome[]): string[] {
  const wrong: string[] = [];
  for (const o of outcomes) {
    const ok = o.status >= 200 && o.status < 300;
    const refused = o.status >= 400 && o.status < 500;
    if ((ok && !paid.has(o.orderId)) || (refused && paid.has(o.orderId))) wrong.push(`${o.orderId}: answered ${o.status}${o.error ? ` (${o.error})` : ""}, paid=${String(paid.has(o.orderId))}`);
  }
  return wrong;
}

function suite(state: StateKind, rounds: number, withKill: boolean): void {
  describe(`shop consistency through nginx (${state}, 2 replicas per service)`, function () {
    this.timeout(90_000);
    let shop: ShopLocal;
    let c: ConsistencyClient;
    let checkouts: ConsistencyClient;
    const random = rng(SEED);
    const events: string[] = [];

    before(async function () {
      shop = await start({ state, replicas: 2, onEvent: (l) => events.push(l) });
      c = client(shop.url, 100);
      // stress.py sends its 1,000 checkouts at once: one connection each.
      checkouts = client(shop.url, null);
    });

    after(async function () {
      await c?.close();
      await checkouts?.close();
      await shop?.stop();
    });

    afterEach(function () {
      if (this.currentTest?.state === "failed") process.stderr.write(`${events.join("\n")}\n${shop.logs()}\n`);
    });

    for (let round = 1; round <= rounds; round++) {
      it(`round ${round}: 1,000 concurrent checkouts of 100 stock → exactly 100 paid, 900 refused with a 4xx, stock 0, credit 900`, async function () {
        const p = await populate(c, random);
        const outcomes = await checkoutAll(checkouts, p.orders);
        const v = await verify(c, p, outcomes);
        expectExact(v, `round ${round} (${statusSummary(outcomes)})`);
        const paid = await paidOrders(c, p);
        expect(paid.size).to.equal(ITEM_STARTING_STOCK);
        expect(paidMatchesAnswers(paid, outcomes)).to.deep.equal([]);
      });
    }

    if (withKill) {
      it("kill -9 of one replica of each service mid-run, restarted: after a bounded recovery, still exactly 100 paid, stock 0, credit 900", async function () {
        const p = await populate(c, random);
        let done = 0;
        const running = checkoutAll(
          { ...checkouts, post: (path) => checkouts.post(path).finally(() => done++) },
          p.orders,
        );
        // Mid-run: once the first checkouts have been answered, with most still in flight.
        const t0 = Date.now();
        while (done < 20 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
        const doneAtKill = done;
        await Promise.all([shop.kill("shop-order", 0), shop.kill("shop-payment", 0), shop.kill("shop-stock", 0)]);
        await Promise.all([shop.restart("shop-order", 0), shop.restart("shop-payment", 0), shop.restart("shop-stock", 0)]);
        const outcomes = await running;
        expect(doneAtKill, "the kill came before most checkouts were answered").to.be.below(900);

        // Recovery: abandoned checkouts are resumed by a surviving replica once their lease runs out.
        const deadline = Date.now() + 30_000;
        let v = await verify(c, p, outcomes);
        let paid = await paidOrders(c, p);
        let inFlight = await sagasInFlight(shop);
        while (Date.now() < deadline && !(inFlight === 0 && v.stockDb === 0 && v.paymentDb === 0 && paid.size === ITEM_STARTING_STOCK)) {
          await new Promise((r) => setTimeout(r, 500));
          [v, paid, inFlight] = await Promise.all([verify(c, p, outcomes), paidOrders(c, p), sagasInFlight(shop)]);
        }
        expect({ inFlight, stockDb: v.stockDb, paymentDb: v.paymentDb, finalStock: v.finalStock, totalCredit: v.totalCredit, paid: paid.size }, "after at most 30 s of recovery").to.deep.equal({
          inFlight: 0,
          stockDb: 0,
          paymentDb: 0,
          finalStock: 0,
          totalCredit: 900,
          paid: ITEM_STARTING_STOCK,
        });
        // Every answer told the truth: a 2xx order is paid, a 4xx one is not.
        expect(paidMatchesAnswers(paid, outcomes)).to.deep.equal([]);
        // nginx resends a checkout cut off by the kill to the other order replica, which takes the
        // checkout over: no answer is lost, so the course's log lines are exact too.
        expectExact(v, `with kill -9 (${statusSummary(outcomes)})`);
      });
    }
  });
}

suite("redis", 3, true);
