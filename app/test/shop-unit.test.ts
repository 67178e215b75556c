import { expect } from "chai";
import { loadConfig, type ShopOrderConfig } from "../src/lib/config";
import { BadParameter, checkoutId, MAX_UNITS, parseAmount, parseCheckoutId, parseCount, parseId, toMoney } from "../src/roles/shop/money";

describe("shop money and parameters", function () {
  it("parses 5, 5.0 and the 2022 benchmark's floats into exact micro-units", function () {
    expect(parseAmount("amount", "5")).to.equal(5_000_000);
    expect(parseAmount("amount", "5.0")).to.equal(5_000_000);
    expect(parseAmount("amount", "5.")).to.equal(5_000_000);
    expect(parseAmount("amount", "0")).to.equal(0);
    expect(parseAmount("price", "7.261829374618273")).to.equal(7_261_829);
    expect(parseAmount("price", "0.0000005")).to.equal(1); // half-up at the 7th decimal
    expect(parseAmount("price", "0.0000004999")).to.equal(0);
    expect(parseAmount("amount", "54321.987654321")).to.equal(54_321_987_654);
    expect(parseAmount("amount", "1e3")).to.equal(1_000_000_000);
    expect(parseAmount("amount", "2.5E-3")).to.equal(2_500);
    expect(parseAmount("amount", "0009.10")).to.equal(9_100_000);
  });

  it("keeps sums exact where floats drift (0.1 + 0.2)", function () {
    const sum = parseAmount("a", "0.1") + parseAmount("b", "0.2");
    expect(toMoney(sum)).to.equal(0.3);
    expect(toMoney(parseAmount("c", "10002.123457") - parseAmount("d", "7.561829"))).to.equal(9994.561628);
  });

  it("refuses what is not a non-negative decimal, naming the parameter", function () {
    for (const raw of ["", "-1", "NaN", "Infinity", "inf", "0x10", "1.2.3", "1,5", " 5", "5 ", "abc", "1e", "+5", ".5"]) {
      expect(() => parseAmount("amount", raw), raw).to.throw(BadParameter, /^amount: /);
    }
    expect(() => parseAmount("amount", "1e400")).to.throw(/too large/);
    expect(() => parseAmount("amount", String(MAX_UNITS))).to.throw(/too large/);
    expect(parseAmount("amount", "9000000000")).to.equal(MAX_UNITS);
  });

  it("parses whole counts (5 and 5.0) within bounds", function () {
    expect(parseCount("amount", "5")).to.equal(5);
    expect(parseCount("amount", "5.0")).to.equal(5);
    expect(parseCount("amount", "0")).to.equal(0);
    for (const raw of ["5.5", "-1", "", "x", "1e3"]) expect(() => parseCount("amount", raw), raw).to.throw(/^amount: /);
    expect(() => parseCount("quantity", "0", 1)).to.throw(/^quantity: "0" is not a whole number from 1/);
  });

  it("accepts ids safe as Redis keys and MongoDB field names only", function () {
    expect(parseId("user_id", "3f2c-9a_B")).to.equal("3f2c-9a_B");
    for (const raw of ["", "a.b", "$set", "a:b", "a/b", "x".repeat(65), "é"]) expect(() => parseId("user_id", raw), raw).to.throw(/^user_id: /);
    expect(parseCheckoutId(checkoutId("o-1", 3))).to.equal("o-1:3");
    expect(() => parseCheckoutId("o-1")).to.throw(/checkout_id/);
  });
});

describe("shop configuration", function () {
  const order = { STATE: "redis", REDIS_URL: "redis://r:6379", SHOP_PAYMENT_URL: "http://p:8080/", SHOP_STOCK_URL: "http://s1:8080, http://s2:8080" };

  it("reads the order's services, lease and intervals, with the contract's defaults", function () {
    const c = loadConfig("shop-order", order) as ShopOrderConfig;
    expect(c.store).to.deep.include({ kind: "redis" });
    expect(c.store.kind === "redis" && c.store.redis.keyPrefix).to.equal("statefleet:shop-order:");
    expect(c.paymentUrls).to.deep.equal(["http://p:8080"]);
    expect(c.stockUrls).to.deep.equal(["http://s1:8080", "http://s2:8080"]);
    expect([c.sagaLeaseMs, c.recoveryIntervalMs, c.callTimeoutMs]).to.deep.equal([2000, 1000, 5000]);
  });

  it("gives each service its own Redis prefix or MongoDB database", function () {
    const payment = loadConfig("shop-payment", { STATE: "redis", REDIS_URL: "redis://r:6379" });
    expect(payment.role === "shop-payment" && payment.store.kind === "redis" && payment.store.redis.keyPrefix).to.equal("statefleet:shop-payment:");
    const stock = loadConfig("shop-stock", { STATE: "mongo", MONGO_URL: "mongodb://m:27017/shop_stock" });
    expect(stock.role === "shop-stock" && stock.store.kind === "mongo" && stock.store.mongo.database).to.equal("shop_stock");
  });

  it("names a service URL that is not an http(s) base URL", function () {
    expect(() => loadConfig("shop-order", { ...order, SHOP_STOCK_URL: "http://ok:1,stock:8080" })).to.throw(/SHOP_STOCK_URL: invalid value "stock:8080" \(allowed: an http:\/\/ or https:\/\/ base URL/);
    expect(() => loadConfig("shop-order", { ...order, SHOP_PAYMENT_URL: "http://p:1/?x=1" })).to.throw(/SHOP_PAYMENT_URL: invalid value/);
  });

  it("refuses a recovery interval far longer than the lease", function () {
    expect(() => loadConfig("shop-order", { ...order, SHOP_SAGA_LEASE_MS: "200", SHOP_RECOVERY_INTERVAL_MS: "5000" })).to.throw(/SHOP_RECOVERY_INTERVAL_MS: 5000 is more than ten times SHOP_SAGA_LEASE_MS/);
  });
});
