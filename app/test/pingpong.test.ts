import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { mayHaveCounted, sustained } from "./helpers/load";
import { waitFor } from "./helpers/net";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import type { RoleProcess, Env } from "./helpers/role";
import { tempDir } from "./helpers/tmp";

async function pong(app: RunningRole): Promise<string> {
  const res = await app.get("/pingpong");
  expect(res.status, res.body).to.equal(200);
  expect(res.headers["content-type"]).to.match(/^text\/plain/);
  return res.body;
}

async function pings(app: RunningRole): Promise<number> {
  const res = await app.get("/pings");
  expect(res.status, res.body).to.equal(200);
  expect(res.body).to.match(/^\d+$/);
  return Number(res.body);
}

/** Seed 001, course-faithful: `pong 0` first, a count that survives restarts with no off-by-one. */
describe("pingpong", function () {
  let redis: RedisServer;
  let mongo: MongoServer;
  const dirs: Array<{ path: string; remove: () => void }> = [];
  const dir = (name: string) => {
    const d = tempDir(name);
    dirs.push(d);
    return d.path;
  };
  before(async function () {
    [redis, mongo] = await Promise.all([RedisServer.start(), MongoServer.start()]);
  });
  after(async function () {
    await Promise.all([redis?.stop(), mongo?.remove()]);
    dirs.forEach((d) => d.remove());
  });

  // `tag` keeps the two runners' stores apart.
  const strategies: Array<{ name: string; env: (tag: string) => Env; replacementEnv?: Env }> = [
    { name: "pod", env: () => ({ STATE: "pod", STATE_DIR: dir("pp-pod") }) },
    // A replacement pod of a Deployment gets a new name, hence a new shard: the count must still continue.
    { name: "shared-volume", env: () => ({ STATE: "shared-volume", STATE_DIR: dir("pp-shared") }), replacementEnv: { POD_NAME: "pingpong-new" } },
    { name: "redis", env: (tag) => ({ STATE: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: `t-pp-${tag}-${Date.now()}:` }) },
    { name: "mongo", env: (tag) => ({ STATE: "mongo", MONGO_URL: mongo.url(`pingpong-${tag}`) }) },
  ];

  for (const s of strategies) {
    for (const runner of RUNNERS) {
      describe(`STATE=${s.name} (${runner.name})`, function () {
        let app: RunningRole;
        /** Load a failed test left running: stopped, or mocha never exits. */
        let load: ReturnType<typeof sustained> | undefined;
        afterEach(async function () {
          await load?.stop();
        });
        after(async function () {
          await app?.stop();
        });

        it("answers pong 0, 1, 2 … exactly, and /pings reads the count without counting", async function () {
          app = await runner.start("pingpong", s.env(runner.name));
          expect(await pings(app)).to.equal(0);
          for (let k = 0; k < 5; k++) expect(await pong(app)).to.equal(`pong ${k}`);
          expect(await pings(app)).to.equal(5);
          expect(await pings(app)).to.equal(5);
          const root = await app.get("/");
          expect(root.status).to.equal(200);
          expect(root.body, "the load balancer's health check").to.equal("ok\n");
          expect(await pings(app)).to.equal(5);
        });

        it("continues at pong k after a graceful restart", async function () {
          expect(await app.stop()).to.equal(0);
          app = await app.restart(s.replacementEnv);
          expect(await pong(app)).to.equal("pong 5");
        });

        if (runner.name === "process") {
          it("continues at pong k after kill -9 (an answered number is never handed out again)", async function () {
            expect(await pong(app)).to.equal("pong 6");
            await (app as RoleProcess).kill();
            app = await app.restart(s.replacementEnv);
            expect(await pings(app)).to.equal(7);
            expect(await pong(app)).to.equal("pong 7");
          });
        }

        it("hands out each number exactly once under 50 concurrent requests", async function () {
          const base = await pings(app);
          const bodies = await Promise.all(Array.from({ length: 50 }, () => pong(app)));
          const numbers = bodies.map((b) => Number(/^pong (\d+)$/.exec(b)?.[1])).sort((a, b) => a - b);
          expect(numbers).to.deep.equal(Array.from({ length: 50 }, (_, i) => base + i));
          expect(await pings(app)).to.equal(base + 50);
        });

        if (runner.name === "process") {
          it("never hands out an answered number again when killed -9 under load", async function () {
            const base = await pings(app);
            load = sustained(() => [app.url], 10, ["x"], "/pingpong");
            const running = load;
            await waitFor("100 pongs", async () => running.count() >= 100, 10_000, 10);
            await (app as RoleProcess).kill();
            const outcomes = await running.stop();
            app = await app.restart(s.replacementEnv);
            const before = outcomes.filter((o) => o.status === 200).map((o) => Number(/^pong (\d+)$/.exec(o.body ?? "")?.[1]));
            expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200)).to.deep.equal([]);
            expect(new Set(before).size, "no number answered twice").to.equal(before.length);
            const next = Number(/^pong (\d+)$/.exec(await pong(app))?.[1]);
            expect(next, "the restart continues after every answered number").to.be.greaterThan(Math.max(...before));
            // At most the requests cut off by the kill were counted without an answer.
            const broken = outcomes.filter(mayHaveCounted).length;
            expect(next - base).to.be.within(before.length, before.length + broken);
          });
        }
      });
    }
  }

  for (const runner of RUNNERS) {
    it(`answers 503, never a wrong number, when a peer's shard is unreadable (STATE=shared-volume, ${runner.name})`, async function () {
      const stateDir = dir("pp-corrupt");
      const app = await runner.start("pingpong", { STATE: "shared-volume", STATE_DIR: stateDir });
      expect(await pong(app)).to.equal("pong 0");
      writeFileSync(path.join(stateDir, "pingpong_counter.other-pod.txt"), "{not a number");
      for (const p of ["/pingpong", "/pings", "/readyz"]) {
        const res = await app.get(p);
        expect(res.status, p).to.equal(503);
      }
      expect((await app.get("/pingpong")).body).to.match(/^state store unavailable: shared-volume: .*pingpong_counter\.other-pod\.txt does not hold a count/);
      writeFileSync(path.join(stateDir, "pingpong_counter.other-pod.txt"), "10\n");
      expect(await pong(app), "the other pod's 10 plus our 1").to.equal("pong 11");
      expect(await app.stop()).to.equal(0);
    });

    it(`keeps the course's pingpong_counter.txt holding the count once pingpong is idle (STATE=pod, ${runner.name})`, async function () {
      const stateDir = dir("pp-file");
      const file = path.join(stateDir, "pingpong_counter.txt");
      const app = await runner.start("pingpong", { STATE: "pod", STATE_DIR: stateDir });
      for (let round = 1; round <= 2; round++) {
        for (let k = 0; k < 3; k++) await pong(app);
        // IDLE_SNAPSHOT_MS (200 ms) after the last pong; under load only the log is written.
        await waitFor(`pingpong_counter.txt to say ${3 * round}`, async () => readFileSync(file, "utf8").trim() === String(3 * round), 3000);
      }
      expect(await app.stop()).to.equal(0);
      expect(readFileSync(file, "utf8").trim(), "after a clean stop").to.equal("6");
    });
  }
});
