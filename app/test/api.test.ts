import { expect } from "chai";
import http from "node:http";
import { ObjectId, type MongoClient } from "mongodb";
import { acknowledgedIds, data, metricValue, storedIds, totalDocuments, type DataBody } from "./helpers/api";
import { burst, mayHaveCounted, sustained } from "./helpers/load";
import { MongoServer } from "./helpers/mongo";
import { waitFor } from "./helpers/net";
import { sleep } from "./helpers/processes";
import { RedisServer } from "./helpers/redis";
import Redis from "ioredis";
import pino from "pino";
import { Registry } from "prom-client";
import { newDocuments, randomPayload } from "../src/roles/api/documents";
import { createApiMetrics } from "../src/roles/api/metrics";
import { CachedReads, MongoReads } from "../src/roles/api/reads";
import { BatchWriter, type BatchOptions } from "../src/roles/api/writer";
import { closeMongo, createMongo } from "../src/state/mongo-client";
import { closeRedis, createRedis } from "../src/state/redis-client";
import { InProcessRole, RUNNERS, type RunningRole } from "./helpers/in-process";
import { RoleProcess, type Env } from "./helpers/role";

const OBJECT_ID = /^[0-9a-f]{24}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Seed 002's api role against a real Mongo-protocol server and Redis: as real processes, and in the
 * test process (no cluster workers there: a fork would run mocha; no kill -9 or SIGTERM).
 */
for (const runner of RUNNERS) {
  describe(`api role (${runner.name})`, function () {
    this.timeout(60_000);
    let mongo: MongoServer;
    let redis: RedisServer;
    let client: MongoClient;
    let running: RunningRole[] = [];
    let db = 0;
    /** A database of its own per test, so counts never mix. */
    const database = () => `api${++db}`;

    const start = async (env: Env, options: { waitReady?: boolean } = {}) => {
      const app = await runner.start("api", { MONGO_TIMEOUT_MS: "1000", ...env }, options);
      running.push(app);
      return app;
    };
    const envFor = (name: string, extra: Env = {}): Env => ({
      MONGO_URL: mongo.url(name),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${name}:`,
      ...extra,
    });

    before(async function () {
      [mongo, redis] = await Promise.all([MongoServer.start(), RedisServer.start()]);
      client = await mongo.client();
    });
    /** Load still running when a test failed half-way: stopped before its processes, or mocha never exits. */
    let loads: Array<{ stop: () => Promise<unknown> }> = [];
    const stopLater = <T extends { stop: () => Promise<unknown> }>(load: T): T => (loads.push(load), load);
    afterEach(async function () {
      await Promise.all(loads.map((l) => l.stop()));
      loads = [];
      await Promise.all(running.map((p) => p.stop()));
      running = [];
    });
    after(async function () {
      await client?.close();
      await Promise.all([mongo?.remove(), redis?.stop()]);
    });

    it("answers the seed's JSON contract on every endpoint", async function () {
      const app = await start(envFor(database()));
      const health = await app.get("/healthz");
      expect(health.status).to.equal(200);
      expect(health.headers["content-type"]).to.match(/^application\/json/);
      const h = JSON.parse(health.body);
      expect(h.status).to.equal("ok");
      expect(h.timestamp).to.match(ISO);

      const ready = JSON.parse((await app.get("/readyz")).body);
      expect(ready.status).to.equal("ready");
      expect(ready.timestamp).to.match(ISO);

      const before = await totalDocuments(app);
      const body = await data(app);
      expect(Object.keys(body)).to.deep.equal(["status", "writes", "reads", "timestamp", "cached"]);
      expect(body.status).to.equal("success");
      expect(body.writes).to.have.length(5);
      expect(new Set(body.writes).size, "five distinct ids").to.equal(5);
      for (const id of body.writes) expect(id).to.match(OBJECT_ID);
      expect(body.reads).to.have.length(5);
      for (const id of body.reads) expect(id).to.match(OBJECT_ID);
      expect(body.timestamp).to.match(ISO);
      expect(body.cached).to.equal(false);
      expect(await totalDocuments(app)).to.equal(before + 5);

      // The documents have the seed's shape.
      const doc = await client.db(app.env.MONGO_URL?.split("/").pop()).collection("records").findOne({ index: 3 });
      expect(doc).to.include({ type: "write", index: 3 });
      expect(doc?.payload).to.match(/^[A-Za-z0-9]{512}$/);
      expect(doc?.timestamp).to.be.instanceOf(Date);

      const cache = JSON.parse((await app.get("/api/cache/status")).body);
      expect(cache).to.include({ cache_enabled: true, connected: true, ttl_seconds: 5 });
      expect(cache.connected_clients).to.be.greaterThan(0);
      expect(cache.used_memory).to.be.a("string");

      const noCache = await start(envFor(database(), { API_CACHE: "none" }));
      expect(JSON.parse((await noCache.get("/api/cache/status")).body)).to.deep.equal({ cache_enabled: false, connected: false });
    });

    it("gives clear answers to bad requests: 404 unknown path, 405 wrong method, 431 oversize headers", async function () {
      const app = await start(envFor(database(), { API_CACHE: "none" }));
      const missing = await app.get("/api/nope");
      expect(missing.status).to.equal(404);
      expect(JSON.parse(missing.body)).to.include({ status: "error", detail: "not found" });

      const post = await request(app.url, "POST", "/api/data");
      expect(post.status).to.equal(405);
      expect(post.headers.allow).to.equal("GET, HEAD");
      expect(JSON.parse(post.body).detail).to.equal("method POST not allowed on /api/data (allowed: GET, HEAD)");
      expect(await totalDocuments(app), "a refused request writes nothing").to.equal(0);

      const huge = await app.get("/api/data", { "x-filler": "a".repeat(20_000) });
      expect(huge.status).to.equal(431);
      expect(JSON.parse(huge.body).message).to.match(/header size/);
      expect(await totalDocuments(app)).to.equal(0);
    });

    it(`N concurrent requests over 3 replicas (batched, batched${runner.name === "process" ? " with 2 workers" : ""}, direct) give total_documents = 5N, every id stored once`, async function () {
      const name = database();
      const replicas = await Promise.all([
        start(envFor(name, { API_WORKERS: runner.name === "process" ? "2" : "1" })),
        start(envFor(name)),
        start(envFor(name, { API_WRITES: "direct", API_CACHE: "none" })),
      ]);
      const N = 300;
      const outcomes = await burst(replicas.map((r) => r.url), N, ["c"], "/api/data");
      expect(outcomes.filter((o) => o.status !== 200).map((o) => o.status ?? o.error)).to.deep.equal([]);
      for (const r of replicas) expect(await totalDocuments(r)).to.equal(5 * N);
      const ids = acknowledgedIds(outcomes);
      expect(new Set(ids).size, "no id handed out twice").to.equal(5 * N);
      const stored = await storedIds(client, name);
      expect(stored.size).to.equal(5 * N);
      expect(ids.filter((id) => !stored.has(id))).to.deep.equal([]);

      // The two-worker replica's /metrics covers both workers: its 100 answers, whichever worker asks.
      for (let k = 0; k < 3; k++) {
        const metrics = (await (replicas[0] as RunningRole).get("/metrics")).body;
        expect(metricValue(metrics, "http_requests_total", { route: "/api/data", status: "200" })).to.equal(N / 3);
        expect(metricValue(metrics, "api_batch_size_documents_sum")).to.equal(5 * (N / 3));
      }
    });

    if (runner.name === "process") {
      it("loses no acknowledged document when a replica is killed -9 under load", async function () {
        const name = database();
        let replicas = (await Promise.all([0, 1, 2].map(() => start(envFor(name))))) as RoleProcess[];
        const inRotation = [true, true, true];
        const load = stopLater(sustained(() => replicas.map((r, i) => (inRotation[i] ? r.url : undefined)), 24, ["c"], "/api/data"));
        const after = async (n: number) => {
          const target = load.count() + n;
          await waitFor(`${n} more requests`, async () => load.count() >= target, 20_000, 10);
        };
        await after(300);
        await (replicas[1] as RoleProcess).kill();
        inRotation[1] = false;
        await after(200);
        const restarted = await (replicas[1] as RoleProcess).restart();
        running.push(restarted);
        replicas = [replicas[0] as RoleProcess, restarted, replicas[2] as RoleProcess];
        inRotation[1] = true;
        await after(200);
        const outcomes = await load.stop();

        const ok = outcomes.filter((o) => o.status === 200);
        const broken = outcomes.filter(mayHaveCounted);
        expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200), "answers other than 200").to.deep.equal([]);
        expect(broken.every((o) => o.replica === 1), "only the killed replica may break connections").to.equal(true);
        const stored = await storedIds(client, name);
        const ids = acknowledgedIds(outcomes);
        expect(ids.filter((id) => !stored.has(id)), "acknowledged ids missing from MongoDB").to.deep.equal([]);
        const total = await totalDocuments(replicas[0] as RoleProcess);
        expect(total, `${ok.length} answered, ${broken.length} cut off`).to.be.within(5 * ok.length, 5 * (ok.length + broken.length));
        expect(stored.size).to.be.within(total, 5 * (ok.length + broken.length));
      });
    }

    // Process-only for now: in the test process this test failed about one run in three here (and
    // once in a clean-clone CI) with the MongoDB driver stuck after the restart — every request
    // "connection N closed", readiness failing, no heartbeat event for 20 s. Polling the server
    // (src/state/mongo-client.ts) made it pass 8 runs of 8 in a loop but not in CI; see
    // docs/testing.md, "Open: the api's MongoDB recovery in-process".
    if (runner.name === "process") {
      it("answers 503 and reports not-ready while MongoDB is down, recovers by itself, and loses nothing acknowledged", async function () {
        const name = database();
        const app = await start(envFor(name));
        const load = stopLater(sustained(() => [app.url], 12, ["c"], "/api/data"));
        await waitFor("100 requests", async () => load.count() >= 100, 10_000, 10);
        await mongo.stop();
        try {
          const down = await app.get("/api/data");
          expect(down.status).to.equal(503);
          expect(JSON.parse(down.body).detail).to.match(/^state store unavailable: mongo: mongodb:\/\/127\.0\.0\.1:\d+\/api\d+/);
          const ready = await app.get("/readyz");
          expect(ready.status).to.equal(503);
          expect(JSON.parse(ready.body)).to.include({ status: "not ready" });
          expect(JSON.parse(ready.body).detail).to.match(/MongoDB not reachable/);
          expect((await app.get("/healthz")).status, "alive: no reason to restart the pod").to.equal(200);
          expect((await app.get("/api/stats")).status).to.equal(503);
          const metrics = (await app.get("/metrics")).body;
          for (const operation of ["write", "stats"]) {
            expect(metricValue(metrics, "state_store_errors_total", { role: "api", store: "mongo", operation }), operation).to.be.greaterThan(0);
          }
        } finally {
          await mongo.restart();
        }
        await app.waitReady(15_000);
        const resumedAt = load.count();
        await waitFor("100 requests after recovery", async () => load.count() >= resumedAt + 100, 15_000, 10);
        const outcomes = await load.stop();
        expect(outcomes.filter((o) => o.status === 503).length, "503s during the outage").to.be.greaterThan(0);
        expect(outcomes.filter((o) => o.status !== 200 && o.status !== 503).map((o) => o.status ?? o.error)).to.deep.equal([]);
        expect(outcomes.slice(-20).every((o) => o.status === 200), "all well again at the end").to.equal(true);

        const ids = acknowledgedIds(outcomes);
        const stored = await storedIds(client, name);
        expect(ids.filter((id) => !stored.has(id)), "acknowledged ids missing").to.deep.equal([]);
        expect(await totalDocuments(app)).to.be.at.least(ids.length);
      });
    }

    it("starts while MongoDB is down (503, not ready) and becomes ready by itself once MongoDB is up", async function () {
      await mongo.stop();
      let app: RunningRole;
      try {
        app = await start(envFor(database()), { waitReady: false });
        await waitFor("the api to listen", async () => (await app.get("/healthz")).status === 200, 10_000);
        await sleep(1500); // longer than MONGO_TIMEOUT_MS: the first connect attempt has failed
        expect((await app.get("/readyz")).status).to.equal(503);
        expect((await app.get("/api/data")).status).to.equal(503);
      } finally {
        await mongo.restart();
      }
      await app.waitReady(10_000);
      expect((await data(app)).status).to.equal("success");
    });

    it("serves read ids from Redis for the TTL (one MongoDB read per TTL, no stampede) and never ids older than the TTL", async function () {
      const name = database();
      const app = await start(envFor(name, { API_CACHE_TTL_SECONDS: "2" }));
      const finds = async () => metricValue((await app.get("/metrics")).body, "api_mongo_operations_total", { op: "find" });

      const first = await data(app);
      expect(first.cached).to.equal(false);
      // Delete the documents it read: a cache that hits keeps serving them, until the TTL ends.
      const records = client.db(name).collection("records");
      await records.deleteMany({});
      const findsBefore = await finds();
      const repeated = await Promise.all(Array.from({ length: 20 }, () => data(app)));
      expect(repeated.every((r) => r.cached), "repeated calls hit the cache").to.equal(true);
      expect(repeated.every((r) => JSON.stringify(r.reads) === JSON.stringify(first.reads))).to.equal(true);
      expect(await finds(), "no MongoDB read while the cache holds").to.equal(findsBefore);

      await sleep(2100);
      const fresh = await Promise.all(Array.from({ length: 30 }, () => data(app)));
      expect(await finds(), "30 concurrent misses share one MongoDB read").to.equal(findsBefore + 1);
      for (const r of fresh) {
        expect(r.reads.filter((id) => id !== null && first.reads.includes(id)), "a deleted id served after the TTL").to.deep.equal([]);
      }
      const metrics = (await app.get("/metrics")).body;
      expect(metricValue(metrics, "api_cache_lookups_total", { result: "hit" })).to.be.at.least(20);
      expect(metricValue(metrics, "api_cache_lookups_total", { result: "miss" })).to.be.at.least(2);
    });

    it("under steady load keeps hitting across TTLs (refresh ahead) and never serves an id deleted more than a TTL ago", async function () {
      const name = database();
      // A 4 s TTL: the refresh read (at half-life) has 2 s to finish before the key would expire.
      const app = await start(envFor(name, { API_CACHE_TTL_SECONDS: "4" }));
      await data(app);
      const timed: Array<{ startedAt: number; body: DataBody }> = [];
      let running = true;
      const loops = Array.from({ length: 16 }, async () => {
        while (running) {
          const startedAt = Date.now();
          timed.push({ startedAt, body: await data(app) });
        }
      });
      await sleep(1500);
      const records = client.db(name).collection<{ _id: ObjectId }>("records");
      const existing = new Set((await records.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id.toHexString()));
      await records.deleteMany({ _id: { $in: [...existing].map((id) => new ObjectId(id)) } });
      const deletedAt = Date.now();
      await sleep(5000);
      running = false;
      await Promise.all(loops);

      const late = timed.filter((t) => t.startedAt > deletedAt + 4000);
      expect(late.length).to.be.greaterThan(20);
      for (const t of late) expect(t.body.reads.filter((id) => id !== null && existing.has(id)), "a deleted id served after the TTL").to.deep.equal([]);
      const metrics = (await app.get("/metrics")).body;
      const hits = metricValue(metrics, "api_cache_lookups_total", { result: "hit" });
      const misses = metricValue(metrics, "api_cache_lookups_total", { result: "miss" });
      // Refreshed ahead, the key never expires under load: the first request is the only miss
      // (slack for a slow machine). Expiring instead costs every request in flight a miss (16+ here).
      expect(misses, `${hits} hits, ${misses} misses`).to.be.at.most(6);
      // About one MongoDB read per half TTL (2 s) over ~7 s, not one per request.
      expect(metricValue(metrics, "api_mongo_operations_total", { op: "find" })).to.be.within(2, 10);
    });

    it("answers 503 with Retry-After when the write queue is full, and commits every accepted request", async function () {
      const name = database();
      const app = await start(envFor(name, { API_BATCH_MAX_DOCS: "5", API_QUEUE_MAX_DOCS: "20", MONGO_TIMEOUT_MS: "5000" }));
      await data(app);
      mongo.pause();
      let outcomes;
      try {
        // The first request's batch hangs in MongoDB; three more fit the queue; the rest do not.
        const pending = Array.from({ length: 10 }, () => app.get("/api/data", {}));
        await sleep(500);
        const early = await Promise.race([Promise.any(pending), sleep(500).then(() => undefined)]);
        expect(early?.status, "refusals come at once, not after MongoDB answers").to.equal(503);
        mongo.resume();
        outcomes = await Promise.all(pending);
      } finally {
        mongo.resume();
      }
      const full = outcomes.filter((o) => o.status === 503);
      expect(full).to.have.length(6);
      for (const o of full) {
        expect(o.headers["retry-after"]).to.equal("1");
        expect(JSON.parse(o.body).detail).to.match(/write queue full .*API_QUEUE_MAX_DOCS=20/);
      }
      expect(outcomes.filter((o) => o.status === 200)).to.have.length(4);
      expect(await totalDocuments(app)).to.equal(5 * 5);
    });

    it(`on ${runner.name === "process" ? "SIGTERM" : "stop()"} answers the requests waiting in the write queue before it exits (0) or closes`, async function () {
      const name = database();
      const app = await start(envFor(name, { API_CACHE: "none", MONGO_TIMEOUT_MS: "5000" }));
      mongo.pause();
      let answers;
      let stopped: Promise<number | null> | undefined;
      try {
        const pending = Array.from({ length: 8 }, () => app.get("/api/data"));
        await sleep(300);
        if (app instanceof RoleProcess) {
          app.proc.child.kill("SIGTERM");
          stopped = app.exit.then((e) => e.code);
        } else {
          stopped = app.stop();
        }
        await sleep(200);
        mongo.resume();
        answers = await Promise.all(pending);
      } finally {
        mongo.resume();
      }
      expect(answers.map((a) => a.status)).to.deep.equal(Array(8).fill(200));
      expect(await stopped).to.equal(0);
      const restarted = await app.restart();
      running.push(restarted);
      expect(await totalDocuments(restarted)).to.equal(40);
    });
  });
}

/** A request with any method on a fresh connection. */
function request(base: string, method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What the in-process api lets a test watch closely: its MongoDB commands, batches, reads and log. */
describe("api role details (in-process)", function () {
  this.timeout(30_000);
  let mongo: MongoServer;
  let redis: RedisServer;
  let client: MongoClient;
  let db = 0;
  let app: InProcessRole | undefined;
  const start = async (extra: Env = {}) => {
    const name = `details${++db}`;
    app = await InProcessRole.start("api", { MONGO_URL: mongo.url(name), MONGO_TIMEOUT_MS: "1000", REDIS_URL: redis.url, REDIS_KEY_PREFIX: `${name}:`, ...extra });
    return { app, name };
  };
  const metricsOf = async (r: InProcessRole) => r.metrics.registry.metrics();
  /** A batch writer on a database of its own; its failures explained as "down" and kept in `failed`. */
  const batchWriter = (timeoutMs: number, opts: BatchOptions) => {
    const name = `details${++db}`;
    const m = createMongo({ url: mongo.url(name), database: name, timeoutMs }, pino({ level: "silent" }));
    const failed: string[] = [];
    const metrics = createApiMetrics(new Registry());
    const writer = new BatchWriter(m, { name: "mongo", onError: (op) => failed.push(op), explain: () => "down" }, metrics, opts);
    return { name, m, failed, metrics, writer };
  };

  before(async function () {
    [mongo, redis] = await Promise.all([MongoServer.start(), RedisServer.start()]);
    client = await mongo.client();
  });
  afterEach(async function () {
    await app?.close();
    app = undefined;
  });
  after(async function () {
    await client?.close();
    await Promise.all([mongo?.remove(), redis?.stop()]);
  });

  it("direct writes: five insertOne, one counter update and the seed's five findOne of the oldest document", async function () {
    const { app } = await start({ API_WRITES: "direct", API_CACHE: "none" });
    const first = await data(app);
    const second = await data(app);
    expect(second.reads, "the seed reads the oldest document five times").to.deep.equal(Array(5).fill(first.writes[0]));
    const m = await metricsOf(app);
    expect(metricValue(m, "api_mongo_operations_total", { op: "insert" })).to.equal(10);
    expect(metricValue(m, "api_mongo_operations_total", { op: "update" })).to.equal(2);
    expect(metricValue(m, "api_mongo_operations_total", { op: "find" })).to.equal(10);
    expect(metricValue(m, "api_batch_size_documents_count")).to.equal(10);
    expect(metricValue(m, "api_batch_size_documents_sum")).to.equal(10);
    expect(await totalDocuments(app)).to.equal(10);
  });

  it("batched writes: one insertMany and one counter update per batch, one find for five distinct ids", async function () {
    const { app } = await start({ API_CACHE: "none" });
    const first = await data(app);
    expect(first.reads).to.deep.equal(first.writes);
    const m = await metricsOf(app);
    expect(metricValue(m, "api_mongo_operations_total", { op: "insert" })).to.equal(1);
    expect(metricValue(m, "api_mongo_operations_total", { op: "update" })).to.equal(1);
    expect(metricValue(m, "api_mongo_operations_total", { op: "find" })).to.equal(1);
    expect(metricValue(m, "api_batch_size_documents_sum")).to.equal(5);
    expect(metricValue(m, "api_write_queue_documents")).to.equal(0);
  });

  it("pads the read ids with null when fewer than five documents are stored, in either read style", async function () {
    // Every /api/data writes before it reads, so this needs the reader on its own.
    const name = `details${++db}`;
    const ids = [new ObjectId(), new ObjectId()];
    const m = createMongo({ url: mongo.url(name), database: name, timeoutMs: 1000 }, pino({ level: "silent" }));
    try {
      const ctx = { name: "mongo", onError: () => undefined };
      expect((await new MongoReads(m, ctx, "seed").read()).ids, "an empty collection").to.deep.equal(Array(5).fill(null));
      await client.db(name).collection("records").insertMany(ids.map((_id, index) => ({ _id, type: "write", index, payload: "x", timestamp: new Date() })));
      expect((await new MongoReads(m, ctx, "query").read()).ids).to.deep.equal([...ids.map(String), null, null, null]);
      expect((await new MongoReads(m, ctx, "seed").read()).ids).to.deep.equal(Array(5).fill(String(ids[0])));
    } finally {
      await closeMongo(m);
    }
  });

  it("the batch writer: close() commits everything accepted, then refuses new work with a retry hint", async function () {
    const { name, m, failed, metrics, writer } = batchWriter(5000, { maxDocs: 50, maxWaitMs: 10_000, queueMaxDocs: 100 });
    try {
      // A 10 s wait: only close() can make these go now.
      const pending = [0, 1, 2].map(() => writer.write(newDocuments()));
      await sleep(100);
      expect((await metrics.queueDocuments.get()).values[0]?.value).to.equal(15);
      const started = Date.now();
      await writer.close();
      expect(Date.now() - started, "close did not wait for the batch timer").to.be.below(5000);
      const ids = await Promise.all(pending);
      expect(ids.flat()).to.have.length(15);
      expect(await client.db(name).collection("records").countDocuments()).to.equal(15);
      expect((await client.db(name).collection("counters").findOne({ _id: "api_records" as unknown as ObjectId }))?.n).to.equal(15);
      expect((await metrics.queueDocuments.get()).values[0]?.value).to.equal(0);
      const refused = await writer.write(newDocuments()).then(
        () => undefined,
        (err: unknown) => err as { message: string; retryAfterSeconds: number },
      );
      expect(refused).to.include({ message: "shutting down: not accepting writes", retryAfterSeconds: 1 });
      expect(failed).to.deep.equal([]);
    } finally {
      await closeMongo(m);
    }
  });

  it("the batch writer: a failed batch answers each of its requests with the outage, counted as a write error, and the next batch goes on", async function () {
    const { m, failed, writer } = batchWriter(500, { maxDocs: 10, maxWaitMs: 0, queueMaxDocs: 100 });
    try {
      await writer.write(newDocuments());
      await mongo.stop();
      let errors: string[];
      try {
        errors = await Promise.all([0, 1].map(() => writer.write(newDocuments()).then(() => "ok", (err: Error) => err.message)));
      } finally {
        await mongo.restart();
      }
      expect(errors).to.deep.equal(["state store unavailable: mongo: down", "state store unavailable: mongo: down"]);
      expect(failed.length).to.be.greaterThan(0);
      expect(new Set(failed)).to.deep.equal(new Set(["write"]));
      await waitFor("MongoDB back", async () => (await writer.write(newDocuments()).then(() => true, () => false)), 15_000, 200);
    } finally {
      await writer.close();
      await closeMongo(m);
    }
  });

  it("batches whole requests up to API_BATCH_MAX_DOCS, at once when full and after API_BATCH_MAX_WAIT_MS otherwise", async function () {
    const { app } = await start({ API_CACHE: "none", API_BATCH_MAX_DOCS: "10", API_BATCH_MAX_WAIT_MS: "1500" });
    let started = Date.now();
    await data(app);
    expect(Date.now() - started, "a lone request waits for company").to.be.within(1400, 4000);
    started = Date.now();
    await Promise.all([data(app), data(app)]);
    expect(Date.now() - started, "a full batch goes at once").to.be.below(1200);
    let m = await metricsOf(app);
    expect(metricValue(m, "api_batch_size_documents_count")).to.equal(2);
    expect(metricValue(m, "api_batch_size_documents_sum")).to.equal(15);
    await app.close();

    const odd = (await start({ API_CACHE: "none", API_BATCH_MAX_DOCS: "7", API_BATCH_MAX_WAIT_MS: "0" })).app;
    await Promise.all([data(odd), data(odd), data(odd)]);
    m = await metricsOf(odd);
    expect(metricValue(m, "api_batch_size_documents_sum")).to.equal(15);
    expect(metricValue(m, "api_batch_size_documents_count"), "a request's five documents are never split, and 10 do not fit 7").to.equal(3);
    expect(await totalDocuments(odd)).to.equal(15);
  });

  it("answers /api/stats and /api/data uncacheable, logs its settings, and reports the cache", async function () {
    const { app } = await start({ API_CACHE_TTL_SECONDS: "7", API_BATCH_MAX_DOCS: "50", API_BATCH_MAX_WAIT_MS: "3", API_QUEUE_MAX_DOCS: "100" });
    const stats = await app.get("/api/stats");
    expect(stats.headers["cache-control"]).to.equal("no-store");
    expect(Object.keys(JSON.parse(stats.body))).to.deep.equal(["total_documents", "timestamp"]);
    expect(JSON.parse(stats.body).total_documents, "a database no request wrote to").to.equal(0);
    expect((await app.get("/api/data")).headers["cache-control"]).to.equal("no-store");
    expect(app.logged(/^api settings$/)[0]).to.include({ writes: "batched", cache: "redis", batchMaxDocs: 50, batchMaxWaitMs: 3, queueMaxDocs: 100 });
    expect(String(app.logged(/^api settings$/)[0]?.mongo)).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+\/details\d+$/);
    const status = JSON.parse((await app.get("/api/cache/status")).body);
    expect(status).to.include({ cache_enabled: true, connected: true, ttl_seconds: 7 });
    expect(status.used_memory).to.match(/^\d+(\.\d+)?[BKMG]$/);
    expect(status.connected_clients).to.be.a("number").and.to.be.greaterThan(0);
  });

  it("closes its Redis connection when it stops", async function () {
    const admin = new Redis(redis.url);
    try {
      const clients = async () => Number(/connected_clients:(\d+)/.exec(await admin.info("clients"))?.[1]);
      const before = await clients();
      const { app } = await start();
      await data(app);
      expect(await clients()).to.equal(before + 1);
      await app.close();
      await waitFor("the api's Redis connection to close", async () => (await clients()) === before, 3000);
    } finally {
      admin.disconnect();
    }
  });

  it("reports the cache disconnected, with the reason, while Redis is down, and still answers /api/data from MongoDB", async function () {
    const own = await RedisServer.start();
    try {
      const name = `details${++db}`;
      app = await InProcessRole.start("api", { MONGO_URL: mongo.url(name), REDIS_URL: own.url, REDIS_KEY_PREFIX: `${name}:` });
      await data(app);
      await own.stop();
      const status = JSON.parse((await app.get("/api/cache/status")).body);
      expect(status).to.include({ cache_enabled: true, connected: false, ttl_seconds: 5 });
      expect(status.detail).to.be.a("string").and.not.equal("");
      const fresh = await data(app);
      expect(fresh.reads.every((id) => id === null || /^[0-9a-f]{24}$/.test(id))).to.equal(true);
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});

/** The read-id cache on its own: a real redis-server, a source that counts its reads. */
describe("api read cache (in-process)", function () {
  this.timeout(30_000);
  let server: RedisServer;
  let redis: Redis;
  let admin: Redis;
  let prefix = 0;
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

  /** A MongoDB stand-in: `ids()` per read, after `delayMs`. */
  class Source {
    reads = 0;
    delayMs = 0;
    next = 0;
    async read() {
      this.reads++;
      const n = ++this.next;
      await sleep(this.delayMs);
      return { ids: Array.from({ length: 5 }, (_, i) => `read${n}-${i}`), cached: false };
    }
  }
  const cache = (source: Source, ttlSeconds: number, client: Redis = redis) => {
    const keyPrefix = `cache${++prefix}:`;
    const metrics = createApiMetrics(new Registry());
    const reads = new CachedReads(client, { url: server.url, password: undefined, keyPrefix, commandTimeoutMs: 1000 }, ttlSeconds, source, metrics, logger);
    const lookups = async (result: string) => metricValue(await metrics.cacheLookups.get().then((m) => m.values.map((v) => `api_cache_lookups_total{result="${v.labels.result}"} ${v.value}`).join("\n")), "api_cache_lookups_total", { result });
    return { reads, key: `${keyPrefix}reads`, lookups };
  };
  const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);

  before(async function () {
    server = await RedisServer.start();
    redis = createRedis({ url: server.url, password: undefined, keyPrefix: "", commandTimeoutMs: 1000 }, logger);
    admin = new Redis(server.url);
    await waitFor("redis", async () => redis.status === "ready");
  });
  after(async function () {
    await closeRedis(redis);
    admin.disconnect();
    await server.stop();
  });

  it("shares one source read among concurrent misses, stores it with the TTL left, and serves it from the process until half the TTL", async function () {
    const source = new Source();
    source.delayMs = 100;
    const { reads, key, lookups } = cache(source, 4);
    const answers = await Promise.all(Array.from({ length: 10 }, () => reads.read()));
    expect(source.reads).to.equal(1);
    expect(answers.every((a) => !a.cached && a.ids[0] === "read1-0")).to.equal(true);
    expect(await lookups("miss")).to.equal(10);
    const stored = JSON.parse((await admin.get(key)) ?? "{}") as { ids: string[]; readAt: number };
    expect(stored.ids).to.deep.equal(answers[0]?.ids);
    expect(Date.now() - stored.readAt).to.be.within(100, 1500);
    // Expires 4 s after the read STARTED, not after it ended.
    expect(await admin.pttl(key)).to.be.within(2500, 3950);
    const getsBefore = await gets();
    for (let i = 0; i < 5; i++) expect(await reads.read()).to.deep.equal({ ids: answers[0]?.ids, cached: true });
    expect(await gets(), "within half the TTL the process's copy answers").to.equal(getsBefore);
    expect(await lookups("hit")).to.equal(5);
  });

  it("past half the TTL answers from Redis and refreshes ahead once, under a lock, while serving the old ids", async function () {
    const source = new Source();
    const { reads, key } = cache(source, 2);
    await reads.read();
    await sleep(1100);
    const getsBefore = await gets();
    const during = await Promise.all(Array.from({ length: 5 }, () => reads.read()));
    expect(await gets(), "past half the TTL the process asks Redis").to.be.greaterThan(getsBefore);
    expect(during.every((a) => a.cached && a.ids[0] === "read1-0")).to.equal(true);
    const lock = await admin.pttl(`${key}:refresh`);
    expect(lock, "the lock lives for the other half of the TTL").to.be.within(1, 1000);
    await waitFor("the refresh ahead", async () => source.reads === 2, 2000, 10);
    await sleep(50);
    expect(source.reads, "one refresh, not one per request").to.equal(2);
    expect((await reads.read()).ids[0]).to.equal("read2-0");
  });

  it("leaves the refresh to whoever holds the lock (another worker or pod)", async function () {
    const source = new Source();
    const { reads, key } = cache(source, 2);
    await reads.read();
    await sleep(1100);
    await admin.set(`${key}:refresh`, "1", "PX", 5000);
    await reads.read();
    await sleep(200);
    expect(source.reads).to.equal(1);
  });

  it("never keeps ids that are older than the TTL once read, even from a slow source", async function () {
    const source = new Source();
    source.delayMs = 1200;
    const { reads, key } = cache(source, 1);
    await reads.read();
    expect(await admin.get(key), "nothing stored: already expired").to.equal(null);
    source.delayMs = 0;
    expect((await reads.read()).cached).to.equal(false);
    expect(source.reads).to.equal(2);
  });

  it("treats an entry it cannot use as a miss and replaces it", async function () {
    const source = new Source();
    const { reads, key } = cache(source, 5);
    for (const bad of ["not json", JSON.stringify({ ids: ["a"], readAt: Date.now() }), JSON.stringify({ ids: [1, 2, 3, 4, 5] }), JSON.stringify({ ids: "abcde", readAt: Date.now() })]) {
      await admin.set(key, bad);
      const before = source.reads;
      expect((await reads.read()).cached, bad).to.equal(false);
      expect(source.reads, bad).to.equal(before + 1);
      expect(JSON.parse((await admin.get(key)) ?? "{}").ids, bad).to.have.length(5);
      (reads as unknown as { local: undefined }).local = undefined;
    }
  });

  it("reads the source while Redis is down, warning once per 10 s, never failing the request", async function () {
    const own = await RedisServer.start();
    const client = createRedis({ url: own.url, password: undefined, keyPrefix: "", commandTimeoutMs: 500 }, logger);
    try {
      await waitFor("redis", async () => client.status === "ready");
      const source = new Source();
      const { reads } = cache(source, 1, client);
      await own.stop();
      lines.length = 0;
      for (let i = 1; i <= 3; i++) {
        // Past half the TTL each time, so the process's own copy does not answer.
        if (i > 1) await sleep(600);
        const a = await reads.read();
        expect(a.cached).to.equal(false);
        expect(source.reads).to.equal(i);
      }
      const warned = lines.filter((l) => l.msg === "read cache (redis) unavailable; reading MongoDB instead");
      expect(warned).to.have.length(1);
      expect(warned[0]?.err).to.be.a("string").and.not.equal("");
    } finally {
      await closeRedis(client);
      await own.stop().catch(() => undefined);
    }
  });
});

describe("api documents (in-process)", function () {
  it("are 512 characters of [A-Za-z0-9], every character equally likely", function () {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const p = randomPayload();
      expect(p).to.match(/^[A-Za-z0-9]{512}$/);
      for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).to.equal(62);
    const each = (2000 * 512) / 62;
    // 16.5k expected each (sd ~127); a modulo bias would give the first 8 letters 25 % more.
    for (const [c, n] of counts) expect(n / each, c).to.be.within(0.95, 1.05);
    const docs = newDocuments(new Date(5));
    expect(docs.map((d) => [d.type, d.index, d.timestamp.getTime()])).to.deep.equal([0, 1, 2, 3, 4].map((i) => ["write", i, 5]));
  });
});
