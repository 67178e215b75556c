import { expect } from "chai";
import { MongoServer } from "./helpers/mongo";
import { RoleProcess } from "./helpers/role";
import { statsOf } from "./helpers/stats";

/**
 * STATE=mongo, MongoDB goes away mid-run: a clear 503 (never a wrong number), not-ready but
 * alive, and recovery by themselves with the counts continuing — as for Redis.
 */
describe("mongo outage and recovery (STATE=mongo)", function () {
  this.timeout(40_000);
  let mongo: MongoServer;
  let pingpong: RoleProcess;
  let stats: RoleProcess;
  const A = { "x-forwarded-for": "203.0.113.9" };

  before(async function () {
    mongo = await MongoServer.start();
    const env = { STATE: "mongo", MONGO_URL: mongo.url("outage"), MONGO_TIMEOUT_MS: "500", TRUST_PROXY: "true" };
    [pingpong, stats] = await Promise.all([RoleProcess.start("pingpong", env), RoleProcess.start("stats", { ...env, POD_IP: "10.1.2.3" })]);
  });
  after(async function () {
    await Promise.all([pingpong?.stop(), stats?.stop()]);
    await mongo?.remove();
  });

  it("counts normally before the outage", async function () {
    for (let k = 0; k < 3; k++) expect((await pingpong.get("/pingpong")).body).to.equal(`pong ${k}`);
    for (let k = 0; k < 3; k++) expect((await stats.get("/", A)).status).to.equal(200);
    expect((await statsOf(stats)).total).to.equal(3);
  });

  it("answers 503 'state store unavailable: mongo …' while MongoDB is down, and /readyz says 503", async function () {
    await mongo.stop();
    for (const [app, path] of [
      [pingpong, "/pingpong"],
      [pingpong, "/pings"],
      [stats, "/"],
      [stats, "/stats"],
    ] as const) {
      const started = Date.now();
      const res = await app.get(path, A);
      expect(res.status, `${path}: ${res.body}`).to.equal(503);
      expect(res.body).to.match(/^state store unavailable: mongo: mongodb:\/\/127\.0\.0\.1:\d+\/outage: /);
      expect(Date.now() - started, "bounded by MONGO_TIMEOUT_MS").to.be.below(2000);
    }
    for (const app of [pingpong, stats]) {
      const ready = await app.get("/readyz");
      expect(ready.status).to.equal(503);
      expect(ready.body).to.match(/state store mongo does not answer/);
      expect((await app.get("/healthz")).status).to.equal(200);
    }
    expect((await pingpong.get("/metrics")).body).to.match(/state_store_errors_total\{role="pingpong",store="mongo",operation="increment"\} [1-9]/);
  });

  it("recovers without a restart once MongoDB is back, with the counts continuing", async function () {
    await mongo.restart();
    await Promise.all([pingpong.waitReady(15_000), stats.waitReady(15_000)]);
    expect((await pingpong.get("/pingpong")).body).to.equal("pong 3");
    expect(JSON.parse((await stats.get("/?format=json", A)).body).total).to.equal(4);
  });
});
