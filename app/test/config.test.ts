import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "./helpers/tmp";
import { runToExit } from "./helpers/role";

/** Misconfiguration must stop the pod at once with a message naming the variable to fix. */
describe("configuration errors", function () {
  const cases: Array<{ what: string; role: string; env: Record<string, string>; mentions: RegExp[] }> = [
    { what: "an unknown role", role: "nope", env: {}, mentions: [/unknown role "nope"/, /allowed: stats, pingpong, logoutput, sms-app, sms-model, api/] },
    { what: "a bad STATE", role: "stats", env: { STATE: "s3" }, mentions: [/STATE: invalid value "s3"/, /allowed: pod, shared-volume, redis, mongo/] },
    { what: "a non-numeric PORT", role: "stats", env: { PORT: "http" }, mentions: [/PORT: invalid value "http"/, /1 to 65535/] },
    { what: "an out-of-range PORT", role: "pingpong", env: { PORT: "70000" }, mentions: [/PORT: invalid value "70000"/] },
    { what: "STATE=redis without REDIS_URL", role: "pingpong", env: { STATE: "redis" }, mentions: [/REDIS_URL: required when STATE=redis/] },
    { what: "a REDIS_URL with the wrong scheme", role: "stats", env: { STATE: "redis", REDIS_URL: "http://x:1" }, mentions: [/REDIS_URL: unsupported scheme "http:"/] },
    { what: "STATE=mongo without MONGO_URL", role: "stats", env: { STATE: "mongo" }, mentions: [/MONGO_URL: required when STATE=mongo/] },
    { what: "a MONGO_URL without a database", role: "pingpong", env: { STATE: "mongo", MONGO_URL: "mongodb://db:27017/?authSource=x" }, mentions: [/MONGO_URL: names no database: put it in the path/] },
    { what: "a MONGO_URL with the wrong scheme", role: "api", env: { MONGO_URL: "postgres://db/x" }, mentions: [/MONGO_URL: not a MongoDB connection string/] },
    { what: "the api role without MONGO_URL", role: "api", env: { API_CACHE: "none" }, mentions: [/MONGO_URL: required when the role is api/] },
    { what: "API_CACHE=redis without REDIS_URL", role: "api", env: { MONGO_URL: "mongodb://db/x" }, mentions: [/REDIS_URL: required when API_CACHE=redis/] },
    { what: "a bad API_WRITES", role: "api", env: { MONGO_URL: "mongodb://db/x", API_CACHE: "none", API_WRITES: "async" }, mentions: [/API_WRITES: invalid value "async" \(allowed: direct, batched\)/] },
    { what: "a queue smaller than a batch", role: "api", env: { MONGO_URL: "mongodb://db/x", API_CACHE: "none", API_BATCH_MAX_DOCS: "500", API_QUEUE_MAX_DOCS: "100" }, mentions: [/API_QUEUE_MAX_DOCS: 100 is smaller than API_BATCH_MAX_DOCS \(500\)/] },
    { what: "API_WORKERS out of range", role: "api", env: { MONGO_URL: "mongodb://db/x", API_CACHE: "none", API_WORKERS: "0" }, mentions: [/API_WORKERS: invalid value "0" \(allowed: an integer from 1 to 64\)/] },
    { what: "a TRUST_PROXY that is not a boolean", role: "stats", env: { TRUST_PROXY: "yes" }, mentions: [/TRUST_PROXY: invalid value "yes" \(allowed: true, false\)/] },
    { what: "a bad POD_IP", role: "stats", env: { POD_IP: "10.0.0" }, mentions: [/POD_IP: invalid value "10.0.0"/] },
    { what: "a shop role without STATE", role: "shop-stock", env: {}, mentions: [/STATE: required for shop-stock \(allowed: redis, mongo\)/] },
    { what: "a shop role on a pod volume", role: "shop-payment", env: { STATE: "pod" }, mentions: [/STATE: "pod" cannot hold shop-payment's data/] },
    {
      what: "shop-order without its services",
      role: "shop-order",
      env: { STATE: "redis", REDIS_URL: "redis://r:6379", SHOP_STOCK_URL: "http://stock:8080" },
      mentions: [/SHOP_PAYMENT_URL: required for shop-order \(allowed: the service's base URL/],
    },
    { what: "a bad PINGPONG_URL", role: "logoutput", env: { PINGPONG_URL: "ftp://x" }, mentions: [/PINGPONG_URL: invalid value "ftp:\/\/x"/] },
  ];

  for (const c of cases) {
    it(`exits 2 naming the variable on ${c.what}`, async function () {
      const { code, stderr } = await runToExit(c.role, c.env);
      expect(code, stderr).to.equal(2);
      for (const m of c.mentions) expect(stderr).to.match(m);
    });
  }

  it("lists every problem at once", async function () {
    const { code, stderr } = await runToExit("stats", { PORT: "0", STATE: "bogus", LOG_LEVEL: "loud" });
    expect(code).to.equal(2);
    expect(stderr).to.match(/PORT:/).and.to.match(/STATE:/).and.to.match(/LOG_LEVEL:/);
  });

  it("never echoes REDIS_URL (it may carry a password)", async function () {
    const { code, stderr } = await runToExit("stats", { STATE: "redis", REDIS_URL: "ftp://user:s3cret@x:1" });
    expect(code).to.equal(2);
    expect(stderr).to.match(/REDIS_URL/).and.not.to.include("s3cret");
  });

  it("never echoes MONGO_URL (it may carry a password)", async function () {
    const { code, stderr } = await runToExit("api", { MONGO_URL: "mongodb://app:s3cret@db:27017/", API_CACHE: "none" });
    expect(code).to.equal(2);
    expect(stderr).to.match(/MONGO_URL: names no database/).and.not.to.include("s3cret");
  });

  it("exits 1 with a clear message when STATE_DIR cannot be created", async function () {
    const dir = tempDir("config");
    try {
      // A directory below a regular file fails for root too (ENOTDIR), unlike a permission check.
      writeFileSync(path.join(dir.path, "file"), "");
      const stateDir = path.join(dir.path, "file", "state");
      const { code, stderr } = await runToExit("pingpong", { STATE: "pod", STATE_DIR: stateDir });
      expect(code).to.equal(1);
      expect(stderr).to.include(`state store unavailable: pod: cannot open ${stateDir}`);
    } finally {
      dir.remove();
    }
  });
});
