import { expect } from "chai";
import { waitFor } from "./helpers/net";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import type { Env } from "./helpers/role";
import { tempDir } from "./helpers/tmp";

/** Acceptance check 2 of seed 001 (any UUID version; ours are v4 from crypto.randomUUID). */
const FORMAT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: [0-9a-f-]{36}\.\nPing \/ Pongs: \d+\n?$/;
const INTERVAL = "100";

interface Status {
  time: number;
  uuid: string;
  count: number;
}

async function status(app: RunningRole, path = "/"): Promise<Status> {
  const res = await app.get(path);
  expect(res.status, res.body).to.equal(200);
  expect(res.headers["content-type"]).to.match(/^text\/plain/);
  expect(res.body).to.match(FORMAT);
  const m = /^(\S+): ([0-9a-f-]{36})\.\nPing \/ Pongs: (\d+)/.exec(res.body);
  return { time: Date.parse(m?.[1] ?? ""), uuid: m?.[2] ?? "", count: Number(m?.[3]) };
}

/** The first line written after `since`: polling for a newer tick, never for the expected value. */
async function lineAfter(app: RunningRole, since: number): Promise<Status> {
  let latest: Status | undefined;
  await waitFor("a log line newer than the last request", async () => {
    latest = await status(app);
    return latest.time > since;
  }, 5000, 20);
  return latest as Status;
}

async function pongs(pingpong: RunningRole, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await pingpong.get("/pingpong")).status).to.equal(200);
}

for (const runner of RUNNERS) {
  describe(`logoutput (${runner.name})`, function () {
    let redis: RedisServer;
    let mongo: MongoServer;
    const dir = tempDir(`logoutput-${runner.name}`);
    let running: RunningRole[] = [];
    const start = async (role: "pingpong" | "logoutput", env: Env) => {
      const p = await runner.start(role, env);
      running.push(p);
      return p;
    };

    before(async function () {
      [redis, mongo] = await Promise.all([RedisServer.start(), MongoServer.start()]);
    });
    afterEach(async function () {
      await Promise.all(running.map((p) => p.stop()));
      running = [];
    });
    after(async function () {
      await Promise.all([redis?.stop(), mongo?.remove()]);
      dir.remove();
    });

    const shared: Array<{ name: string; env: () => Env }> = [
      { name: "redis", env: () => ({ STATE: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: `t-log-${runner.name}:` }) },
      { name: "mongo", env: () => ({ STATE: "mongo", MONGO_URL: mongo.url(`logoutput-${runner.name}`) }) },
      // The course's exercise 1.11: both apps on one volume, pingpong_counter.txt read by logoutput.
      { name: "pod (same volume)", env: () => ({ STATE: "pod", STATE_DIR: `${dir.path}/pod` }) },
      { name: "shared-volume", env: () => ({ STATE: "shared-volume", STATE_DIR: `${dir.path}/shared` }) },
    ];

    for (const s of shared) {
      it(`shows pingpong's count from the shared store (STATE=${s.name}) in the course's format`, async function () {
        const pingpong = await start("pingpong", s.env());
        const log = await start("logoutput", { ...s.env(), LOG_INTERVAL_MS: INTERVAL, POD_NAME: "log-0" });
        expect((await status(log)).count).to.equal(0);
        await pongs(pingpong, 3);
        const line = await lineAfter(log, Date.now());
        expect(line.count).to.equal(3);
        expect(Number((await pingpong.get("/pings")).body)).to.equal(3);
      });
    }

    it("reads the count over HTTP from PINGPONG_URL, serves / and /status, keeps its UUID, and a new process has a new one", async function () {
      const pingpong = await start("pingpong", { STATE: "pod", STATE_DIR: `${dir.path}/http` });
      const log = await start("logoutput", { PINGPONG_URL: `${pingpong.url}/`, LOG_INTERVAL_MS: INTERVAL });
      await pongs(pingpong, 4);
      const a = await lineAfter(log, Date.now());
      expect(a.count).to.equal(4);
      const b = await lineAfter(log, a.time);
      const viaStatus = await status(log, "/status");
      expect(b.time).to.be.greaterThan(a.time);
      expect(new Set([a.uuid, b.uuid, viaStatus.uuid]).size, "one UUID per process").to.equal(1);

      const other = await start("logoutput", { PINGPONG_URL: pingpong.url, LOG_INTERVAL_MS: INTERVAL });
      const c = await status(other);
      expect(c.uuid).not.to.equal(a.uuid);
      expect(c.count).to.equal(4);
    });

    it("is ready only while its count source answers", async function () {
      const pingpong = await start("pingpong", { STATE: "pod", STATE_DIR: `${dir.path}/ready` });
      const log = await start("logoutput", { PINGPONG_URL: pingpong.url, LOG_INTERVAL_MS: INTERVAL });
      await pongs(pingpong, 2);
      const seen = await lineAfter(log, Date.now());
      expect(await pingpong.stop()).to.equal(0);
      const notReady = await log.get("/readyz");
      expect(notReady.status).to.equal(503);
      expect(notReady.body).to.match(/count source pingpong-http does not answer/);
      // The last good line stays (its timestamp tells its age); no made-up count appears.
      await new Promise((r) => setTimeout(r, 3 * Number(INTERVAL)));
      expect(await status(log)).to.deep.equal(seen);
      running.push(await pingpong.restart());
      await log.waitReady(5000);
      expect((await lineAfter(log, Date.now())).count).to.equal(2);
    });
  });
}
