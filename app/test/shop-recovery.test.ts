import { expect } from "chai";
import { sample } from "./helpers/net";
import { pool, sagaTimings, Shop, SHOP_STATES, shopCall, type ShopRes } from "./helpers/shop";

/**
 * kill -9 of an order replica in the middle of checkouts. The stock service is frozen (SIGSTOP)
 * so every checkout of replica A is caught after its payment, at the stock step — the worst
 * moment: money taken, order not paid. A dies; stock resumes and also runs A's orphaned requests
 * (late duplicates); replica B must resume every checkout from its recorded step within lease +
 * recovery interval, finishing half of them (stock for 10) and refunding the other half.
 */
for (const state of SHOP_STATES) {
  describe(`shop checkout survives a killed order replica (${state})`, function () {
    this.timeout(90_000);
    let shop: Shop;
    const LEASE_MS = Number(sagaTimings(state).SHOP_SAGA_LEASE_MS);
    const INTERVAL_MS = Number(sagaTimings(state).SHOP_RECOVERY_INTERVAL_MS);

    before(async function () {
      shop = await Shop.start(state, "k");
    });
    after(async function () {
      shop?.stock.proc.child.kill("SIGCONT");
      await shop?.stop();
    });

    it("the other replica completes or refunds every abandoned checkout; totals stay exact", async function () {
      const [a, b] = shop.orders as [NonNullable<(typeof shop.orders)[0]>, NonNullable<(typeof shop.orders)[1]>];
      const item = await shop.createItem(2, 10);
      const users = await pool(Array.from({ length: 20 }), 10, () => shop.createUser(2));
      const orders = await pool(users, 10, (u) => shop.createOrder(u, [item], 1));

      shop.stock.proc.child.kill("SIGSTOP");
      // Replica A takes all 20: each pays, records step "stock" and hangs on the frozen stock service.
      // Each request carries an X-Request-Id, as nginx sends `$request_id` to every upstream it tries.
      const rid = (i: number) => ({ "x-request-id": `kill-test-${state}-${i}` });
      const onA = orders.map((o, i) => shopCall("POST", `${a.url}/checkout/${o}`, 60_000, rid(i)).catch((err: Error) => err));
      await pool(users, 10, async (u) => {
        for (let i = 0; i < 150 && (await shop.credit(u)) !== 0; i++) await new Promise((r) => setTimeout(r, 200));
      });
      expect((await pool(users, 10, (u) => shop.credit(u))).every((c) => c === 0), "every checkout paid before the kill").to.equal(true);
      // While they run, the order cannot change (409), on any replica.
      expect((await shopCall("POST", `${b.url}/addItem/${orders[0]}/${item}`)).status).to.equal(409);
      expect((await shopCall("DELETE", `${b.url}/removeItem/${orders[0]}/${item}`)).status).to.equal(409);

      await a.kill();
      const killedAt = Date.now();
      // The clients of A retry on B, with the same request id (as nginx does); B waits for A's
      // lease, takes over (or finds the checkout finished by its recovery loop) and answers the
      // checkout's outcome: 200 for a paid one even if it completed before the retry arrived.
      const retried: Array<Promise<ShopRes>> = orders.slice(0, 5).map((o, i) => shopCall("POST", `${b.url}/checkout/${o}`, 60_000, rid(i)));
      shop.stock.proc.child.kill("SIGCONT");

      // Every abandoned checkout is taken over once A's lease ran out, by the next recovery round
      // (or by a retried request), and finished: within lease + interval, plus the steps
      // themselves (FerretDB serialises every operation; the test machine is shared).
      await shop.settled(orders, 40_000);
      const recoveredIn = Date.now() - killedAt;
      expect(recoveredIn, "recovery time (ms)").to.be.lessThan(LEASE_MS + INTERVAL_MS + 15_000);

      const found = await pool(orders, 10, (o) => shop.order(o, 1));
      const credits = await pool(users, 10, (u) => shop.credit(u));
      const paid = found.filter((o) => o.paid).length;
      expect(paid, "orders paid = stock sold").to.equal(10);
      expect(await shop.stockOf(item)).to.equal(0);
      // Paid orders' users were charged once (2 → 0); every other user got the refund (→ 2).
      found.forEach((o, i) => expect(credits[i], `user of order ${i} (paid ${o.paid})`).to.equal(o.paid ? 0 : 2));
      expect(credits.reduce((x, y) => x + y, 0)).to.equal(20);
      for (const o of found.filter((f) => !f.paid)) expect(o.checkout).to.equal("out_of_stock");

      // The retried requests answer the checkout's real outcome.
      const answers = await Promise.all(retried);
      answers.forEach((res, i) => expect(res.status, JSON.stringify(res.json)).to.equal(found[i].paid ? 200 : 409));
      const aClients = await Promise.all(onA);
      expect(aClients.every((r) => r instanceof Error), "A's clients lost their connection").to.equal(true);

      const metrics = (await b.get("/metrics")).body;
      expect(sample(metrics, "shop_saga_recovered_total")).to.equal(20);
      expect(sample(metrics, "shop_saga_compensations_total")).to.equal(10);
      expect(sample(metrics, "shop_saga_in_flight")).to.equal(0);
      console.log(`      (20 abandoned checkouts finished ${recoveredIn} ms after the kill)`);
    });
  });
}
