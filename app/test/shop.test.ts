import { expect } from "chai";
import { sample } from "./helpers/net";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import { pool, Shop, SHOP_STATES, shopCall } from "./helpers/shop";

/**
 * The shop (seed 003): payment, stock and two order replicas on a real redis-server or the
 * FerretDB test server, as real processes and in the test process; the same suite for both stores.
 */
for (const state of SHOP_STATES) {
  for (const runner of RUNNERS) {
    describe(`shop services on ${state} (${runner.name})`, function () {
      this.timeout(60_000);
      let shop: Shop<RunningRole>;

      before(async function () {
        shop = await Shop.start(state, `t-${runner.name}`, 2, {}, runner.start);
      });
      after(async function () {
        await shop?.stop();
      });

      describe("the course template's checks", function () {
        it("stock: create at price 5, add 50, subtract 200 fails with 4xx, subtract 15, 35 left", async function () {
          const created = await shop.stk("POST", "/item/create/5");
          expect(created.status, JSON.stringify(created.json)).to.equal(200);
          const item = created.json.item_id as string;
          expect(await shop.stk("GET", `/find/${item}`)).to.deep.equal({ status: 200, json: { stock: 0, price: 5 } });
          expect((await shop.stk("POST", `/add/${item}/50`)).status).to.equal(200);
          expect(await shop.stockOf(item)).to.equal(50);
          const over = await shop.stk("POST", `/subtract/${item}/200`);
          expect(over.status).to.be.within(400, 499);
          expect(over.json.error).to.match(/not enough stock/);
          expect((await shop.stk("POST", `/subtract/${item}/15`)).status).to.equal(200);
          expect(await shop.stockOf(item)).to.equal(35);
        });

        it("payment: fund 15, an order of three items at 5, pay 10 for it, 5 left (2022 and 2024 pay)", async function () {
          const user = await shop.createUser(15);
          const item = await shop.createItem(5, 50);
          const order = await shop.createOrder(user, [item, item, item]);
          expect((await shop.order(order)).total_cost).to.equal(15);
          expect((await shop.pay("POST", `/pay/${user}/${order}/10`)).status).to.equal(200);
          expect(await shop.credit(user)).to.equal(5);
          expect((await shop.pay("GET", `/status/${user}/${order}`)).json).to.deep.equal({ paid: true });
          // Paying the same order twice is refused and charges nothing.
          const twice = await shop.pay("POST", `/pay/${user}/${order}/1`);
          expect(twice.status).to.equal(409);
          expect(await shop.credit(user)).to.equal(5);
          // cancel gives the payment back; the 2024 pay has no order.
          expect((await shop.pay("POST", `/cancel/${user}/${order}`)).status).to.equal(200);
          expect((await shop.pay("GET", `/status/${user}/${order}`)).json).to.deep.equal({ paid: false });
          expect((await shop.pay("POST", `/pay/${user}/10`)).json).to.deep.equal({ user_id: user, credit: 5 });
          expect((await shop.pay("POST", `/pay/${user}/6`)).status).to.equal(409);
          expect(await shop.credit(user)).to.equal(5);
        });

        it("order: checkout fails with 4xx without stock or credit and changes nothing, then succeeds", async function () {
          const user = await shop.createUser(0);
          const item1 = await shop.createItem(5, 15);
          const item2 = await shop.createItem(5, 1);
          const order = await shop.createOrder(user, [item1, item2]);
          expect((await shop.stk("POST", `/subtract/${item2}/1`)).status).to.equal(200);

          const noStock = await shop.ord("POST", `/checkout/${order}`);
          expect(noStock.status).to.be.within(400, 499);
          expect(await shop.stockOf(item1)).to.equal(15);
          expect((await shop.stk("POST", `/add/${item2}/15`)).status).to.equal(200);
          expect(await shop.credit(user)).to.equal(0);

          const noCredit = await shop.ord("POST", `/checkout/${order}`, 1);
          expect(noCredit.status).to.equal(409);
          expect(noCredit.json.error).to.match(/not enough credit/);
          expect((await shop.order(order)).paid).to.equal(false);

          // With stock but no credit: pay refused first, so stock is untouched.
          expect((await shop.pay("POST", `/add_funds/${user}/15`)).json).to.deep.equal({ done: true, credit: 15 });
          expect(await shop.stockOf(item1)).to.equal(15);
          const ok = await shop.ord("POST", `/checkout/${order}`);
          expect(ok.status).to.equal(200);
          expect(await shop.stockOf(item1)).to.equal(14);
          expect(await shop.stockOf(item2)).to.equal(14);
          expect(await shop.credit(user)).to.equal(5);
          const found = await shop.order(order, 1);
          expect(found).to.include({ order_id: order, paid: true, user_id: user, total_cost: 10 });
          expect(found.items).to.deep.equal([item1, item2]);
          expect((await shop.pay("GET", `/status/${user}/${order}`)).json).to.deep.equal({ paid: true });
        });

        it("order: a stock refusal after payment refunds the user (out_of_stock, nothing changes)", async function () {
          const user = await shop.createUser(20);
          const plenty = await shop.createItem(3, 10);
          const scarce = await shop.createItem(4, 1);
          const order = await shop.createOrder(user, [plenty, scarce, scarce]);
          const res = await shop.ord("POST", `/checkout/${order}`);
          expect(res.status).to.equal(409);
          expect(res.json.error).to.match(/not enough stock/);
          expect(await shop.credit(user)).to.equal(20);
          expect(await shop.stockOf(plenty)).to.equal(10);
          expect(await shop.stockOf(scarce)).to.equal(1);
          expect(await shop.order(order)).to.include({ paid: false, checkout: "out_of_stock" });
          const metrics = (await shop.orders[0]!.get("/metrics")).body;
          expect(sample(metrics, "shop_saga_compensations_total")).to.be.greaterThanOrEqual(1);
        });
      });

      describe("the 2024 API", function () {
        it("addItem with a quantity, batch_init ids 0..n-1, items as [id, quantity] pairs", async function () {
          expect((await shop.pay("POST", "/batch_init/3/100")).status).to.equal(200);
          expect((await shop.stk("POST", "/batch_init/2/10/1")).status).to.equal(200);
          expect((await shop.ord("POST", "/batch_init/4/2/3/1")).status).to.equal(200);
          expect(await shop.credit("2")).to.equal(100);
          expect(await shop.stk("GET", "/find/1")).to.deep.equal({ status: 200, json: { stock: 10, price: 1 } });
          const seeded = await shop.order("3");
          expect(seeded.total_cost).to.equal(2);
          expect(["0", "1", "2"]).to.include(seeded.user_id);
          expect(seeded.items).to.have.length(2);

          const order = (await shop.ord("POST", "/create/1")).json.order_id as string;
          expect((await shop.ord("POST", `/addItem/${order}/0/3`)).status).to.equal(200);
          expect((await shop.ord("POST", `/addItem/${order}/1/2`)).status).to.equal(200);
          const found = await shop.order(order);
          expect(found.item_quantities).to.deep.equal([["0", 3], ["1", 2]]);
          expect(found.items).to.deep.equal(["0", "0", "0", "1", "1"]);
          expect(found.total_cost).to.equal(5);
          expect((await shop.ord("POST", `/checkout/${order}`)).status).to.equal(200);
          expect(await shop.credit("1")).to.equal(95);
          expect(await shop.stockOf("0")).to.equal(7);
        });
      });

      describe("amounts and parameters", function () {
        it("accepts 5 and 5.0 and float amounts, and keeps sums exact", async function () {
          const user = await shop.createUser("1");
          expect((await shop.pay("POST", `/add_funds/${user}/1.0`)).status).to.equal(200);
          expect((await shop.pay("POST", `/add_funds/${user}/10000.123456789`)).status).to.equal(200);
          expect(await shop.credit(user)).to.equal(10002.123457);
          const item = await shop.createItem("7.261829374618273", 5);
          expect((await shop.stk("GET", `/find/${item}`)).json.price).to.equal(7.261829);
          const a = await shop.createItem("0.1", 5);
          const b = await shop.createItem("0.2", 5);
          const order = await shop.createOrder(user, [a, b, item]);
          expect((await shop.order(order)).total_cost).to.equal(7.561829);
          expect((await shop.ord("POST", `/checkout/${order}`)).status).to.equal(200);
          expect(await shop.credit(user)).to.equal(9994.561628);
          expect((await shop.stk("POST", `/add/${a}/5.0`)).status).to.equal(200);
          expect(await shop.stockOf(a)).to.equal(9);
        });

        it("answers a malformed parameter 400 naming it", async function () {
          const user = await shop.createUser(1);
          const item = await shop.createItem(1, 1);
          const order = await shop.createOrder(user, []);
          const cases: Array<[() => Promise<{ status: number; json: { error: string } }>, string]> = [
            [() => shop.stk("POST", "/item/create/abc"), "price"],
            [() => shop.stk("POST", "/item/create/-5"), "price"],
            [() => shop.pay("POST", `/add_funds/${user}/NaN`), "amount"],
            [() => shop.pay("POST", `/add_funds/${user}/Infinity`), "amount"],
            [() => shop.pay("POST", `/add_funds/${user}/-1`), "amount"],
            [() => shop.pay("POST", `/add_funds/${user}/0x10`), "amount"],
            [() => shop.pay("POST", `/add_funds/${user}/1e400`), "amount"],
            [() => shop.pay("POST", `/pay/${user}/1.2.3`), "amount"],
            [() => shop.stk("POST", `/add/${item}/1.5`), "amount"],
            [() => shop.stk("POST", `/subtract/${item}/x`), "amount"],
            [() => shop.ord("POST", `/addItem/${order}/${item}/0`), "quantity"],
            [() => shop.ord("POST", `/addItem/${order}/${item}/-2`), "quantity"],
            [() => shop.pay("GET", "/find_user/a.b"), "user_id"],
            [() => shop.ord("POST", "/create/$where"), "user_id"],
            [() => shop.ord("POST", `/addItem/${order}/it$em`), "item_id"],
            [() => shop.pay("POST", "/batch_init/ten/1"), "n"],
          ];
          for (const [call, parameter] of cases) {
            const res = await call();
            expect(res.status, `${parameter}: ${JSON.stringify(res.json)}`).to.equal(400);
            expect(res.json.error).to.match(new RegExp(`^${parameter.replace("$", "\\$")}: `));
          }
          expect(await shop.credit(user)).to.equal(1);
          expect(await shop.stockOf(item)).to.equal(1);
        });

        it("answers unknown ids 404 with a JSON reason", async function () {
          const user = await shop.createUser(1);
          const order = await shop.createOrder(user, []);
          for (const res of [
            await shop.pay("GET", "/find_user/nobody"),
            await shop.pay("POST", "/add_funds/nobody/1"),
            await shop.stk("GET", "/find/nothing"),
            await shop.stk("POST", "/add/nothing/1"),
            await shop.ord("GET", "/find/none"),
            await shop.ord("POST", "/checkout/none"),
            await shop.ord("POST", `/addItem/${order}/nothing`),
            await shop.ord("DELETE", `/removeItem/${order}/nothing`),
            await shop.ord("DELETE", "/remove/none"),
          ]) {
            expect(res.status, JSON.stringify(res.json)).to.equal(404);
            expect(res.json.error).to.be.a("string");
          }
          // A checkout for a user the payment service does not know: 404, and nothing taken.
          const item = await shop.createItem(1, 3);
          const stranger = await shop.createOrder("stranger", [item]);
          expect((await shop.ord("POST", `/checkout/${stranger}`)).status).to.equal(404);
          expect(await shop.stockOf(item)).to.equal(3);
        });
      });

      describe("order changes", function () {
        it("removeItem takes one unit off; a paid order cannot change or be removed (409)", async function () {
          const user = await shop.createUser(100);
          const item = await shop.createItem(2, 10);
          const order = await shop.createOrder(user, [item, item, item]);
          expect((await shop.ord("DELETE", `/removeItem/${order}/${item}`)).status).to.equal(200);
          expect(await shop.order(order)).to.include({ total_cost: 4 });
          expect((await shop.ord("POST", `/checkout/${order}`)).status).to.equal(200);
          expect((await shop.ord("POST", `/addItem/${order}/${item}`)).status).to.equal(409);
          expect((await shop.ord("DELETE", `/removeItem/${order}/${item}`)).status).to.equal(409);
          expect((await shop.ord("DELETE", `/remove/${order}`)).status).to.equal(409);
          expect(await shop.order(order)).to.include({ total_cost: 4, paid: true });
          const open = await shop.createOrder(user, [item]);
          expect((await shop.ord("DELETE", `/remove/${open}`)).status).to.equal(200);
          expect((await shop.ord("GET", `/find/${open}`)).status).to.equal(404);
        });
      });

      describe("concurrency", function () {
        it("checks out an order once: a second checkout is 409 and charges nothing", async function () {
          const user = await shop.createUser(10);
          const item = await shop.createItem(3, 5);
          const order = await shop.createOrder(user, [item]);
          expect((await shop.ord("POST", `/checkout/${order}`, 0)).status).to.equal(200);
          const again = await shop.ord("POST", `/checkout/${order}`, 1);
          expect(again.status).to.equal(409);
          expect(again.json.error).to.match(/already paid/);
          expect(await shop.credit(user)).to.equal(7);
          expect(await shop.stockOf(item)).to.equal(4);
        });

        it("concurrent checkouts of one order on two replicas charge once", async function () {
          const user = await shop.createUser(10);
          const item = await shop.createItem(3, 5);
          const order = await shop.createOrder(user, [item]);
          const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => shop.ord("POST", `/checkout/${order}`, i)));
          const statuses = answers.map((a) => a.status);
          expect(statuses.filter((s) => s === 200).length, String(statuses)).to.be.greaterThanOrEqual(1);
          expect(statuses.every((s) => s === 200 || s === 409), String(statuses)).to.equal(true);
          expect(await shop.credit(user)).to.equal(7);
          expect(await shop.stockOf(item)).to.equal(4);
        });

        it("counts every one of 60 concurrent add_funds", async function () {
          const user = await shop.createUser(0);
          const res = await Promise.all(Array.from({ length: 60 }, (_, i) => shop.pay("POST", `/add_funds/${user}/${i % 2 ? "1.5" : "1"}`)));
          expect(res.every((r) => r.status === 200 && r.json.done === true)).to.equal(true);
          expect(await shop.credit(user)).to.equal(75);
        });

        // The course's consistency test scaled down (1 item × 100, 1000 users × 1 credit): FerretDB
        // serialises every operation, so the Mongo run is smaller still.
        const users = state === "redis" ? 200 : 20;
        it(`consistency: ${users} concurrent checkouts of ${users / 10} units on two replicas → exactly ${users / 10} paid`, async function () {
          const units = users / 10;
          const item = await shop.createItem(1, units);
          const buyers = await pool(Array.from({ length: users }), 20, () => shop.createUser(1));
          const orders = await pool(buyers, 20, (u, i) => shop.createOrder(u, [item], i));
          const t0 = Date.now();
          const answers = await Promise.all(orders.map((o, i) => shopCall("POST", `${shop.orders[i % 2]!.url}/checkout/${o}`, 60_000)));
          console.log(`      (${users} checkouts in ${Date.now() - t0} ms)`);
          const ok = answers.filter((a) => a.status === 200).length;
          const refused = answers.filter((a) => a.status >= 400 && a.status < 500).length;
          expect({ ok, refused }).to.deep.equal({ ok: units, refused: users - units });
          expect(await shop.stockOf(item)).to.equal(0);
          const credits = await pool(buyers, 20, (u) => shop.credit(u));
          expect(credits.reduce((a, b) => a + b, 0)).to.equal(users - units);
          const paid = (await pool(orders, 20, (o) => shop.order(o))).filter((o) => o.paid).length;
          expect(paid).to.equal(units);
        });
      });

      describe("operations", function () {
        it("serves /healthz, /readyz and the contract's metrics", async function () {
          for (const role of [shop.payment, shop.stock, shop.orders[0]!]) {
            expect((await role.get("/readyz")).status).to.equal(200);
            expect((await role.get("/healthz")).status).to.equal(200);
          }
          const texts = await Promise.all(shop.orders.map(async (o) => (await o.get("/metrics")).body));
          const text = texts[0] ?? "";
          const both = (series: string) => texts.reduce((sum, t) => sum + sample(t, series), 0);
          for (const outcome of ["paid", "out_of_stock", "insufficient_credit", "not_found", "already_paid"]) {
            expect(both(`shop_checkouts_total{outcome="${outcome}"}`), outcome).to.be.greaterThan(0);
          }
          expect(both('shop_checkouts_total{outcome="error"}')).to.equal(0);
          expect(sample(text, 'shop_saga_steps_total{step="pay",result="ok"}')).to.be.greaterThan(0);
          expect(sample(text, 'shop_saga_steps_total{step="commit",result="ok"}')).to.be.greaterThan(0);
          expect(sample(text, "shop_saga_in_flight")).to.equal(0);
          expect(text).to.include("shop_checkout_duration_seconds_bucket");
          expect(text).to.include("shop_saga_recovered_total");
          expect(text).to.match(/http_requests_total\{role="shop-order",route="\/checkout\/:order_id",status="200"\}/);
        });
      });
    });
  }
}
