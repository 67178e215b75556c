import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { benchLine } from "../loadtest/shop/bench";
import { SCENARIOS, classify, pickScenario, runMix, verifyLedger } from "../loadtest/shop/mix";

/**
 * The bench:shop driver (the course's 2022 Locust mix): its weights and steps, how it counts
 * failures (the locustfile's rules and our stricter "unexpected"), and that its after-run ledger
 * check finds an oversold item, a lost payment and an answer that lied. It runs here against a
 * small in-memory shop on loopback whose faults the test switches on; the real shop is measured
 * by `npm run bench:shop`.
 */

interface Faults {
  /** Checkout answers this status after doing its work (a 5xx after success). */
  checkoutStatus?: number;
  /** Checkout ignores stock (oversells; the must-fail scenario 5 then succeeds). */
  ignoreStock?: boolean;
  /** add_funds answers 200 but credits nothing. */
  loseFunds?: boolean;
}

async function fixtureShop(faults: Faults): Promise<{ url: string; close: () => Promise<void> }> {
  let next = 1;
  const items = new Map<string, { stock: number; price: number }>();
  const users = new Map<string, number>();
  const orders = new Map<string, { user: string; items: string[]; paid: boolean }>();
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown = {}) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const p = (req.url ?? "").split("/").slice(1);
    const [svc, op, a, b] = p;
    const route = `${req.method} /${svc}/${op}`;
    if (route === "POST /stock/item") {
      const id = `i${next++}`;
      items.set(id, { stock: 0, price: Number(p[3]) });
      return send(200, { item_id: id });
    }
    const item = items.get(a ?? "");
    const order = orders.get(a ?? "");
    switch (route) {
      case "POST /stock/add":
        if (!item) return send(404, { error: "no item" });
        item.stock += Number(b);
        return send(200, {});
      case "POST /stock/subtract":
        if (!item) return send(404, { error: "no item" });
        if (item.stock < Number(b)) return send(400, { error: "out of stock" });
        item.stock -= Number(b);
        return send(200, {});
      case "GET /stock/find":
        return item ? send(200, { stock: item.stock, price: item.price }) : send(404, { error: "no item" });
      case "POST /payment/create_user": {
        const id = `u${next++}`;
        users.set(id, 0);
        return send(200, { user_id: id });
      }
      case "POST /payment/add_funds":
        if (!users.has(a ?? "")) return send(404, { error: "no user" });
        if (!faults.loseFunds) users.set(a as string, (users.get(a as string) as number) + Number(b));
        return send(200, { done: true });
      case "GET /payment/find_user":
        return users.has(a ?? "") ? send(200, { user_id: a, credit: users.get(a as string) }) : send(404, { error: "no user" });
      case "POST /orders/create": {
        if (!users.has(a ?? "")) return send(404, { error: "no user" });
        const id = `o${next++}`;
        orders.set(id, { user: a as string, items: [], paid: false });
        return send(200, { order_id: id });
      }
      case "POST /orders/addItem":
        if (!order || !items.has(b ?? "")) return send(404, { error: "no order or item" });
        order.items.push(b as string);
        return send(200, {});
      case "DELETE /orders/removeItem": {
        const i = order?.items.indexOf(b ?? "") ?? -1;
        if (!order || i < 0) return send(404, { error: "not in order" });
        order.items.splice(i, 1);
        return send(200, {});
      }
      case "GET /orders/find": {
        if (!order) return send(404, { error: "no order" });
        const total = order.items.reduce((t, i) => t + (items.get(i)?.price ?? 0), 0);
        return send(200, { order_id: a, paid: order.paid, items: order.items, user_id: order.user, total_cost: total });
      }
      case "POST /orders/checkout": {
        if (!order) return send(404, { error: "no order" });
        const total = order.items.reduce((t, i) => t + (items.get(i)?.price ?? 0), 0);
        const need = new Map<string, number>();
        for (const i of order.items) need.set(i, (need.get(i) ?? 0) + 1);
        if (!faults.ignoreStock && [...need].some(([i, n]) => (items.get(i)?.stock ?? 0) < n)) return send(400, { error: "out of stock" });
        if ((users.get(order.user) ?? 0) < total) return send(400, { error: "not enough credit" });
        for (const [i, n] of need) (items.get(i) as { stock: number }).stock -= n;
        users.set(order.user, (users.get(order.user) ?? 0) - total);
        order.paid = true;
        return send(faults.checkoutStatus ?? 200, {});
      }
    }
    return send(404, { error: `no route ${route}` });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A waitless run of the mix: 40 users (seeded: every scenario has some), each through its scenario once. */
async function run(faults: Faults) {
  const shop = await fixtureShop(faults);
  let x = 42;
  const random = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  try {
    const result = await runMix({ url: shop.url, users: 40, durationS: 20, cycles: 1, rampS: 0, waitMinS: 0, waitMaxS: 0.005, random });
    const consistency = await verifyLedger(shop.url, result.ledger);
    return { result, consistency, line: benchLine(result, consistency) };
  } finally {
    await shop.close();
  }
}

describe("bench:shop driver (the course's 2022 stress mix)", function () {
  this.timeout(30_000);

  it("has the locustfile's six scenarios with weights 5/30/25/20/10/10, picked in proportion", function () {
    expect(SCENARIOS.map((s) => s.weight)).to.deep.equal([5, 30, 25, 20, 10, 10]);
    expect(SCENARIOS.map((s) => s.steps.at(-1)?.kind)).to.deep.equal(["add_stock", "checkout", "checkout", "checkout", "checkout_must_fail", "checkout_must_fail"]);
    expect(SCENARIOS[4]?.steps.map((s) => s.kind)).to.include("stock_to_zero");
    expect(SCENARIOS[5]?.steps.map((s) => s.kind)).to.not.include("add_funds");
    const counts = SCENARIOS.map(() => 0);
    for (let i = 0; i < 1000; i++) counts[SCENARIOS.indexOf(pickScenario(i / 1000))]++;
    expect(counts).to.deep.equal([50, 300, 250, 200, 100, 100]);
  });

  it("counts failures as the locustfile does, and every 5xx or missing answer as unexpected", function () {
    // checkout: a 4xx fails; the locustfile marks a 5xx a success, we count it as unexpected.
    expect(classify("checkout", 409, true)).to.deep.equal({ courseFailure: true, unexpected: true });
    expect(classify("checkout", 503, false)).to.deep.equal({ courseFailure: false, unexpected: true });
    expect(classify("checkout", 200, true)).to.deep.equal({ courseFailure: false, unexpected: false });
    // must-fail checkout: anything but a 4xx is a failure.
    expect(classify("checkout_must_fail", 400, true)).to.deep.equal({ courseFailure: false, unexpected: false });
    expect(classify("checkout_must_fail", 200, true)).to.deep.equal({ courseFailure: true, unexpected: true });
    expect(classify("checkout_must_fail", 500, true)).to.deep.equal({ courseFailure: true, unexpected: true });
    // creates: an answer without JSON is a failure; other requests: any status ≥ 400.
    expect(classify("create_user", 200, false)).to.deep.equal({ courseFailure: true, unexpected: true });
    expect(classify("add_funds", 404, true)).to.deep.equal({ courseFailure: true, unexpected: true });
    expect(classify("add_stock", 0, false)).to.deep.equal({ courseFailure: true, unexpected: true });
  });

  it("a correct shop: no failure of either kind, the must-fail checkouts refused, nothing inconsistent", async function () {
    const { result, consistency, line } = await run({});
    // 40 users, one round each: every user of LoadTest2–6 created one account and checked out once.
    const checkedOut = (result.byKind.checkout?.requests ?? 0) + (result.byKind.checkout_must_fail?.requests ?? 0);
    expect(checkedOut).to.equal(result.byKind.create_user?.requests);
    expect(result.ledger.checkouts).to.have.length(checkedOut);
    expect(checkedOut).to.be.within(30, 40);
    expect(result.checkouts).to.be.greaterThan(0);
    expect(result.mustFailChecked).to.be.greaterThan(0);
    expect({ course: result.courseFailures, unexpected: result.unexpected }, result.errorSamples.join("\n")).to.deep.equal({ course: 0, unexpected: 0 });
    expect(consistency.itemsChecked).to.be.greaterThan(0);
    expect(consistency.ordersChecked).to.equal(result.ledger.checkouts.length);
    expect(line.inconsistencies, consistency.samples.join("\n")).to.equal(0);
    expect(line.checkoutsPerS).to.be.greaterThan(0);
  });

  it("a checkout answering 500 after charging: a Locust success, an unexpected failure for us", async function () {
    const { result, line } = await run({ checkoutStatus: 500 });
    const checkouts = result.byKind.checkout?.requests ?? 0;
    expect(checkouts).to.be.greaterThan(0);
    expect(result.byKind.checkout?.unexpected).to.equal(checkouts);
    expect(result.checkouts).to.equal(0);
    // The course counts only the must-fail checkouts that were not refused (none: they still get a 400).
    expect(result.courseFailures).to.equal(0);
    expect(line.unexpectedFailureRate).to.be.greaterThan(0);
    expect(line.consistency.unansweredCheckouts).to.equal(checkouts);
    expect(line.inconsistencies).to.equal(0); // the orders are paid and the money and stock add up
  });

  it("finds an oversold item and a must-fail checkout that succeeded", async function () {
    const { result, consistency } = await run({ ignoreStock: true });
    expect(result.byKind.checkout_must_fail?.unexpected).to.be.greaterThan(0);
    expect(consistency.answerMismatches).to.equal(result.byKind.checkout_must_fail?.unexpected);
    expect(consistency.negativeStock).to.be.greaterThan(0);
  });

  it("finds credit that was acknowledged but never added", async function () {
    const { result, consistency } = await run({ loseFunds: true });
    expect(result.byKind.add_funds?.unexpected).to.equal(0);
    expect(consistency.creditMismatches).to.be.greaterThan(0);
  });
});
