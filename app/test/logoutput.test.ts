import { expect } from "chai";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { sample, waitFor } from "./helpers/net";
import { sleep } from "./helpers/processes";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { InProcessRole, RUNNERS, type RunningRole } from "./helpers/in-process";
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

/**
 * A stand-in for pingpong's `GET /pings` whose answers a test decides (status, body, a delay, or
 * none at all), counting what it is asked. Only the in-process logoutput can be watched this closely
 * (its log lines and metrics are at hand), and these tests are the ones the mutation scope runs.
 */
class FakePings {
  requests = 0;
  answer: () => { status: number; body: string; delayMs?: number } | "stall" = () => ({ status: 200, body: "0" });
  private readonly server = http.createServer((req, res) => {
    this.requests++;
    expect(req.url).to.equal("/pings");
    const a = this.answer();
    if (a === "stall") return;
    setTimeout(() => res.writeHead(a.status, { "content-type": "text/plain" }).end(a.body), a.delayMs ?? 0);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("logoutput's count source and ticks (in-process)", function () {
  let pings: FakePings;
  let url: string;
  let log: InProcessRole | undefined;
  const errors = async (r: InProcessRole, store = "pingpong-http") =>
    sample(await r.metrics.registry.metrics(), `state_store_errors_total{role="logoutput",store="${store}",operation="read"}`, 0);

  beforeEach(async function () {
    pings = new FakePings();
    url = await pings.start();
  });
  afterEach(async function () {
    await log?.close();
    log = undefined;
    await pings.stop();
  });

  it("logs where it reads from, and each line with its UUID and count", async function () {
    pings.answer = () => ({ status: 200, body: "7\n" });
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "60000" });
    expect(log.logged(/^reading the count from pingpong over HTTP$/).map((l) => l.pingpongUrl)).to.deep.equal([url]);
    const body = (await log.get("/")).body;
    expect(body).to.match(FORMAT);
    const line = log.logs.find((l) => l.level === "info" && l.msg.includes("Ping / Pongs"));
    expect(line?.msg).to.equal(body.trimEnd());
    expect(line).to.include({ count: 7, uuid: /: ([0-9a-f-]{36})\./.exec(body)?.[1] });
  });

  it("accepts only a plain number from /pings; anything else is a 503 naming the answer, counted as a read error", async function () {
    const cases: Array<{ status: number; body: string; message: string }> = [
      { status: 200, body: "12abc", message: 'GET /pings answered a non-number: "12abc"' },
      { status: 200, body: "abc12", message: 'GET /pings answered a non-number: "abc12"' },
      { status: 200, body: "-1", message: 'GET /pings answered a non-number: "-1"' },
      { status: 200, body: "1".repeat(16), message: `GET /pings answered a non-number: "${"1".repeat(16)}"` },
      { status: 200, body: "x".repeat(80), message: `GET /pings answered a non-number: "${"x".repeat(50)}"` },
      { status: 500, body: `boom ${"y".repeat(300)}`, message: `GET /pings answered 500: boom ${"y".repeat(195)}` },
      { status: 404, body: "42", message: "GET /pings answered 404: 42" },
    ];
    for (const [i, c] of cases.entries()) {
      pings.answer = () => c;
      const app = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "60000" }, { waitReady: false });
      try {
        const res = await app.get("/status");
        expect(res.status, c.body).to.equal(503);
        expect(res.body, c.body).to.equal(`state store unavailable: pingpong-http: ${url}/pings: ${c.message}\n`);
        const ready = await app.get("/readyz");
        expect(ready.status).to.equal(503);
        expect(ready.body).to.equal(`not ready: no line yet: state store unavailable: pingpong-http: ${url}/pings: ${c.message}\n`);
        expect(app.logged(/^could not read the ping-pong count; keeping the previous line$/)[0]?.err, `case ${i}`).to.equal(
          `state store unavailable: pingpong-http: ${url}/pings: ${c.message}`,
        );
        // One read so far, the first tick's (readiness asks the source only once there is a line).
        expect(await errors(app), `case ${i}`).to.equal(1);
      } finally {
        await app.close();
      }
    }
    pings.answer = () => ({ status: 200, body: " 15\n" });
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "60000" });
    expect((await log.get("/")).body).to.match(/Ping \/ Pongs: 15\n$/);
    expect(await errors(log)).to.equal(0);
  });

  it("gives up on a silent pingpong after PINGPONG_TIMEOUT_MS", async function () {
    pings.answer = () => "stall";
    const started = Date.now();
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, PINGPONG_TIMEOUT_MS: "300", LOG_INTERVAL_MS: "60000" }, { waitReady: false });
    expect(Date.now() - started).to.be.within(250, 3000);
    const res = await log.get("/");
    expect(res.status).to.equal(503);
    expect(res.body).to.match(new RegExp(`^state store unavailable: pingpong-http: ${url}/pings: .*timeout`));
  });

  it("reads once per LOG_INTERVAL_MS while reads work, and retries within a second after a failure", async function () {
    let fail = true;
    pings.answer = () => (fail ? { status: 503, body: "starting" } : { status: 200, body: "3" });
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "60000" }, { waitReady: false });
    expect(pings.requests).to.equal(1);
    fail = false;
    const app = log;
    await waitFor("the retry after the failed first read", async () => (await app.get("/")).status === 200, 2500, 20);
    const afterLine = pings.requests;
    await sleep(1500);
    expect(pings.requests, "no read before the interval is over").to.equal(afterLine);
  });

  it("stops reading once closed, even with a read in flight", async function () {
    pings.answer = () => ({ status: 200, body: "1", delayMs: 150 });
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "10" });
    await sleep(100); // a read is in flight now (each takes 150 ms, the next starts 10 ms after)
    await log.close();
    await sleep(200); // the read in flight ends
    const atClose = pings.requests;
    await sleep(300);
    expect(pings.requests, "no read after close").to.equal(atClose);
  });

  it("stops reading once closed while waiting for the next tick", async function () {
    pings.answer = () => ({ status: 200, body: "1" });
    log = await InProcessRole.start("logoutput", { PINGPONG_URL: url, LOG_INTERVAL_MS: "300" });
    await sleep(50);
    const atClose = pings.requests;
    await log.close();
    await sleep(600);
    expect(pings.requests, "no read after close").to.equal(atClose);
  });

  it("counts a failed read of the store under role logoutput", async function () {
    const dir = tempDir("logoutput-store-errors");
    try {
      writeFileSync(path.join(dir.path, "pingpong_counter.other-pod.txt"), "{not a number");
      log = await InProcessRole.start("logoutput", { STATE: "shared-volume", STATE_DIR: dir.path, LOG_INTERVAL_MS: "60000" }, { waitReady: false });
      expect((await log.get("/")).status).to.equal(503);
      expect(await errors(log, "shared-volume")).to.be.greaterThan(0);
    } finally {
      await log?.close();
      dir.remove();
    }
  });
});
