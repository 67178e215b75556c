import { expect } from "chai";
import { waitFor } from "./helpers/net";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import type { Env } from "./helpers/role";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

interface StoreServer {
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** The external stores, each with what a user reads in the 503 while it is down. */
const STORES: Array<{
  name: string;
  start(): Promise<{ server: StoreServer; env: Env; cleanup: () => Promise<void> }>;
  message: RegExp;
  /** Longest a request may take to fail: Redis refuses at once, MongoDB within MONGO_TIMEOUT_MS. */
  failFastMs: number;
}> = [
  {
    name: "redis",
    async start() {
      // Persistence on, so the counts before the outage are still there after it.
      const data = tempDir("redis-data");
      const server = await RedisServer.start({ persistDir: data.path });
      return { server, env: { STATE: "redis", REDIS_URL: server.url }, cleanup: async () => (await server.stop().catch(() => undefined), data.remove()) };
    },
    message: /^state store unavailable: redis: (not connected to )?redis:\/\/127\.0\.0\.1:\d+/,
    failFastMs: 1000,
  },
  {
    name: "mongo",
    async start() {
      const server = await MongoServer.start();
      return { server, env: { STATE: "mongo", MONGO_URL: server.url("outage"), MONGO_TIMEOUT_MS: "500" }, cleanup: () => server.remove() };
    },
    message: /^state store unavailable: mongo: mongodb:\/\/127\.0\.0\.1:\d+\/outage: /,
    failFastMs: 2000,
  },
];

/**
 * The store goes away mid-run: users get a clear 503 (never a wrong number), the pods report
 * not-ready but stay alive, and when the store is back they recover by themselves.
 */
for (const store of STORES) {
  for (const runner of RUNNERS) {
    describe(`${store.name} outage and recovery (${runner.name})`, function () {
      this.timeout(40_000);
      let server: StoreServer;
      let cleanup: () => Promise<void> = async () => undefined;
      let pingpong: RunningRole;
      let stats: RunningRole;
      const A = { "x-forwarded-for": "203.0.113.9" };

      before(async function () {
        const started = await store.start();
        server = started.server;
        cleanup = started.cleanup;
        const env = { ...started.env, TRUST_PROXY: "true" };
        [pingpong, stats] = await Promise.all([runner.start("pingpong", env), runner.start("stats", { ...env, POD_IP: "10.1.2.3" })]);
      });
      after(async function () {
        await Promise.all([pingpong?.stop(), stats?.stop()]);
        await cleanup();
      });

      it("counts normally before the outage", async function () {
        for (let k = 0; k < 3; k++) expect((await pingpong.get("/pingpong")).body).to.equal(`pong ${k}`);
        for (let k = 0; k < 3; k++) expect((await stats.get("/", A)).status).to.equal(200);
        expect((await statsOf(stats)).total).to.equal(3);
      });

      it(`answers 503 'state store unavailable: ${store.name} …' fast while it is down, and /readyz says 503`, async function () {
        await server.stop();
        for (const [app, path] of [
          [pingpong, "/pingpong"],
          [pingpong, "/pings"],
          [stats, "/"],
          [stats, "/stats"],
        ] as const) {
          const started = Date.now();
          const res = await app.get(path, A);
          expect(res.status, `${path}: ${res.body}`).to.equal(503);
          expect(res.body).to.match(store.message);
          expect(Date.now() - started, "fails fast instead of queueing").to.be.below(store.failFastMs);
        }
        for (const app of [pingpong, stats]) {
          const ready = await app.get("/readyz");
          expect(ready.status).to.equal(503);
          expect(ready.body).to.include(`state store ${store.name} does not answer`);
          expect((await app.get("/healthz")).status, "alive: no reason to restart the pod").to.equal(200);
        }
        const metrics = (await pingpong.get("/metrics")).body;
        expect(metrics).to.match(new RegExp(`state_store_errors_total\\{role="pingpong",store="${store.name}",operation="increment"\\} [1-9]`));
      });

      it("recovers without a restart once the store is back, with the counts continuing", async function () {
        await server.restart();
        await Promise.all([pingpong.waitReady(15_000), stats.waitReady(15_000)]);
        expect((await pingpong.get("/pingpong")).body).to.equal("pong 3");
        expect((await stats.get("/?format=json", A)).body).to.satisfy((b: string) => JSON.parse(b).total === 4);
        await waitFor("pairs intact", async () => (await statsOf(stats)).pairs[0]?.count === 4, 2000);
      });
    });
  }
}
