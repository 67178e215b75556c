import { expect } from "chai";
import { waitFor } from "./helpers/net";
import { RedisServer } from "./helpers/redis";
import { RoleProcess } from "./helpers/role";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

/**
 * Redis goes away mid-run: users get a clear 503 (never a wrong number), the pods report
 * not-ready but stay alive, and when Redis is back they recover by themselves.
 */
describe("redis outage and recovery", function () {
  this.timeout(40_000);
  // Persistence on, so the counts before the outage are still there after it.
  const data = tempDir("redis-data");
  let redis: RedisServer;
  let pingpong: RoleProcess;
  let stats: RoleProcess;
  const A = { "x-forwarded-for": "203.0.113.9" };

  before(async function () {
    redis = await RedisServer.start({ persistDir: data.path });
    const env = { STATE: "redis", REDIS_URL: redis.url, TRUST_PROXY: "true" };
    [pingpong, stats] = await Promise.all([RoleProcess.start("pingpong", env), RoleProcess.start("stats", { ...env, POD_IP: "10.1.2.3" })]);
  });
  after(async function () {
    await Promise.all([pingpong?.stop(), stats?.stop()]);
    await redis?.stop().catch(() => undefined);
    data.remove();
  });

  it("counts normally before the outage", async function () {
    for (let k = 0; k < 3; k++) expect((await pingpong.get("/pingpong")).body).to.equal(`pong ${k}`);
    for (let k = 0; k < 3; k++) expect((await stats.get("/", A)).status).to.equal(200);
    expect((await statsOf(stats)).total).to.equal(3);
  });

  it("answers 503 'state store unavailable: redis …' fast while Redis is down, and /readyz says 503", async function () {
    await redis.stop();
    for (const [app, path] of [
      [pingpong, "/pingpong"],
      [pingpong, "/pings"],
      [stats, "/"],
      [stats, "/stats"],
    ] as const) {
      const started = Date.now();
      const res = await app.get(path, A);
      expect(res.status, `${path}: ${res.body}`).to.equal(503);
      expect(res.body).to.match(/^state store unavailable: redis: (not connected to )?redis:\/\/127\.0\.0\.1:\d+/);
      expect(Date.now() - started, "fails fast instead of queueing").to.be.below(1000);
    }
    for (const app of [pingpong, stats]) {
      const ready = await app.get("/readyz");
      expect(ready.status).to.equal(503);
      expect(ready.body).to.match(/state store redis does not answer/);
      expect((await app.get("/healthz")).status, "alive: no reason to restart the pod").to.equal(200);
    }
    const metrics = (await pingpong.get("/metrics")).body;
    expect(metrics).to.match(/state_store_errors_total\{role="pingpong",store="redis",operation="increment"\} [1-9]/);
  });

  it("recovers without a restart once Redis is back, with the counts continuing", async function () {
    await redis.restart();
    await Promise.all([pingpong.waitReady(10_000), stats.waitReady(10_000)]);
    expect((await pingpong.get("/pingpong")).body).to.equal("pong 3");
    expect((await stats.get("/?format=json", A)).body).to.satisfy((b: string) => JSON.parse(b).total === 4);
    await waitFor("pairs intact", async () => (await statsOf(stats)).pairs[0]?.count === 4, 2000);
  });
});
