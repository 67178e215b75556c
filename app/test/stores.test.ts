import { expect } from "chai";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import path from "node:path";
import Redis from "ioredis";
import pino from "pino";
import type { StoreConfig, StoreKind } from "../src/lib/config";
import { createMetrics, type Metrics } from "../src/lib/metrics";
import { openCounterReader, openCounterStore, openPairStore, StoreUnavailableError, type CounterReader, type CounterStore, type Pair, type PairStore } from "../src/state";
import { tempPrefix, withRetries } from "../src/state/atomic-file";
import { encodeLine } from "../src/state/shard-log";
import { nowUs } from "../src/state/clock";
import { COUNTER_FILE, IDLE_SNAPSHOT_MS } from "../src/state/counter/file-counter";
import { guard, reasonOf, withTimeout } from "../src/state/errors";
import { COUNTER_COLLECTION, PINGPONG_COUNTER_ID, upsertInc } from "../src/state/counter/mongo-counter";
import { redactMongoUrl } from "../src/state/mongo-client";
import { pairKey } from "../src/state/pairs/merge";
import { MongoServer } from "./helpers/mongo";
import { waitFor } from "./helpers/net";
import { sleep } from "./helpers/processes";
import { RedisServer } from "./helpers/redis";
import { tempDir } from "./helpers/tmp";

/**
 * One contract for every state strategy, run in this process against the stores themselves
 * (design: "a new state store is one more case in the same union … with the same shared test
 * suite run against it"): the real files, a real redis-server and the Mongo-protocol test server
 * on loopback. The role tests drive the same stores through real processes; these are the quick,
 * exact ones, and the `app-state-contract` mutation scope runs them with per-test coverage.
 */

const STRATEGIES: StoreKind[] = ["pod", "shared-volume", "redis", "mongo"];
const silent = pino({ level: "silent" });

/** A logger whose lines the test reads (JSON objects, as the roles write them). */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

/** Backing services shared by the strategies; every store gets its own directory, key prefix or database. */
class Backends {
  readonly dir = tempDir("stores");
  redis: RedisServer | undefined;
  mongo: MongoServer | undefined;
  private n = 0;

  async need(kind: StoreKind): Promise<void> {
    if (kind === "redis" && !this.redis) {
      // Persistent (AOF, fsync always), so the outage test can restart it without losing the counts.
      const persistDir = path.join(this.dir.path, "redis-data");
      mkdirSync(persistDir);
      this.redis = await RedisServer.start({ persistDir });
    }
    if (kind === "mongo") this.mongo ??= await MongoServer.start();
  }

  /** A fresh, empty store's config; `same` reuses one (a reopen, a second replica, a reader). */
  config(kind: StoreKind, podName = "pod-a", same?: StoreConfig): StoreConfig {
    const id = `s${++this.n}`;
    const base: StoreConfig = same ?? {
      kind,
      stateDir: path.join(this.dir.path, id),
      podName,
      log: { maxLogBytes: 64 * 1024, compactEveryMs: 60_000 },
      redis: kind === "redis" ? { url: this.redis!.url, password: undefined, keyPrefix: `${id}:`, commandTimeoutMs: 1000 } : undefined,
      mongo: kind === "mongo" ? { url: this.mongo!.url(id), database: id, timeoutMs: 1500 } : undefined,
    };
    return { ...base, podName };
  }

  async stop(): Promise<void> {
    await Promise.all([this.redis?.stop(), this.mongo?.remove()]);
    this.dir.remove();
  }
}

const deps = (metrics: Metrics = createMetrics(), role = "stats") => ({ logger: silent, metrics, role });

async function untilReady(store: { ready(): Promise<boolean>; name: string }): Promise<void> {
  await waitFor(`${store.name} store ready`, () => store.ready(), 10_000);
}

async function pairStore(config: StoreConfig, metrics?: Metrics): Promise<PairStore> {
  const store = await openPairStore(config, deps(metrics));
  await untilReady(store);
  return store;
}

async function counterStore(config: StoreConfig, metrics?: Metrics): Promise<CounterStore> {
  const store = await openCounterStore(config, deps(metrics, "pingpong"));
  await untilReady(store);
  return store;
}

const pair = (client: string, server: string, count: number, lastSeenUs: number): Pair => ({ client, server, count, lastSeenUs });

/** Every one of these fails with StoreUnavailableError (a 503), none with a number. */
async function failsUnavailable(calls: Promise<unknown>[]): Promise<void> {
  for (const result of await Promise.allSettled(calls)) {
    expect(result.status).to.equal("rejected");
    if (result.status === "rejected") expect(result.reason).to.be.instanceOf(StoreUnavailableError);
  }
}

/** The value of state_store_errors_total for one store and operation. */
async function storeErrors(metrics: Metrics, store: string, operation: string): Promise<number> {
  const { values } = await metrics.storeErrors.get();
  return values.find((v) => v.labels.store === store && v.labels.operation === operation)?.value ?? 0;
}

describe("state store contract (in-process, real files / redis-server / Mongo-protocol server)", function () {
  this.timeout(30_000);
  const backends = new Backends();
  const open: { close(): Promise<void> }[] = [];
  /** Closed after each test, whatever happened. */
  const track = <T extends { close(): Promise<void> }>(s: T): T => (open.push(s), s);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  after(() => backends.stop());

  for (const kind of STRATEGIES) {
    describe(`pairs on ${kind}`, function () {
      before(() => backends.need(kind));

      it("counts each hit once and answers a view that includes it, oldest hit first", async () => {
        const store = track(await pairStore(backends.config(kind)));
        expect(store.name, "the strategy's name (the /readyz message names it)").to.equal(kind);
        const first = await store.hit("203.0.113.7", "10.1.0.5", 1_000);
        expect(first.pair).to.deep.equal(pair("203.0.113.7", "10.1.0.5", 1, 1_000));
        expect(first.pairs).to.deep.equal([first.pair]);
        const other = await store.hit("198.51.100.2", "10.1.0.5", 2_000);
        expect(other.pair).to.deep.equal(pair("198.51.100.2", "10.1.0.5", 1, 2_000));
        expect(other.pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 1, 1_000), pair("198.51.100.2", "10.1.0.5", 1, 2_000)]);
        const again = await store.hit("203.0.113.7", "10.1.0.5", 3_000);
        expect(again.pair).to.deep.equal(pair("203.0.113.7", "10.1.0.5", 2, 3_000));
        expect(again.pairs, "the pair just hit moves to the end").to.deep.equal([pair("198.51.100.2", "10.1.0.5", 1, 2_000), pair("203.0.113.7", "10.1.0.5", 2, 3_000)]);
      });

      it("keeps a pair's latest hit when an older one arrives after it (clocks of replicas differ)", async () => {
        const store = track(await pairStore(backends.config(kind)));
        await store.hit("203.0.113.7", "10.1.0.5", 5_000);
        const late = await store.hit("203.0.113.7", "10.1.0.5", 4_000);
        expect(late.pair).to.deep.equal(pair("203.0.113.7", "10.1.0.5", 2, 5_000));
        expect(await store.list()).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 2, 5_000)]);
      });

      it("orders pairs hit in the same microsecond by client and server, so every replica renders one order", async () => {
        const store = track(await pairStore(backends.config(kind)));
        // Enough pairs that the sort merges runs, in an order that is neither sorted nor reversed.
        const clients = Array.from({ length: 90 }, (_, i) => `198.51.100.${(i * 37) % 90}`);
        await Promise.all(clients.map((client) => store.hit(client, "10.1.0.5", 7_000)));
        const keys = (await store.list()).map((p) => pairKey(p.client, p.server));
        expect(keys).to.deep.equal([...keys].sort());
        expect(keys).to.have.length(90);
      });

      it("lists without counting, and an empty store lists nothing", async () => {
        const store = track(await pairStore(backends.config(kind)));
        expect(await store.list()).to.deep.equal([]);
        await store.hit("203.0.113.7", "10.1.0.5", 1_000);
        await store.list();
        expect(await store.list()).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 1, 1_000)]);
      });

      it("counts every concurrent hit: each answer includes its own hit, and the totals are exact", async () => {
        const store = track(await pairStore(backends.config(kind)));
        const clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
        const perClient = 20;
        const results = await Promise.all(
          Array.from({ length: clients.length * perClient }, (_, i) => {
            const client = clients[i % clients.length]!;
            return store.hit(client, "10.1.0.5", 10_000 + i).then((r) => ({ client, r }));
          }),
        );
        for (const client of clients) {
          const mine = results.filter((x) => x.client === client);
          expect(mine, client).to.have.length(perClient);
          for (const { r } of mine) {
            // The pair counts this hit (the file stores: exactly its own number; the stores that
            // answer a group of hits with one view: the group's), and the view includes it.
            expect(r.pair.count).to.be.within(1, perClient);
            expect(r.pairs.find((p) => p.client === client)?.count, "the view includes the request's own hit").to.be.at.least(r.pair.count);
          }
          expect(Math.max(...mine.map((x) => x.r.pair.count)), "the last answer has seen every hit").to.equal(perClient);
        }
        const listed = await store.list();
        expect(listed.map((p) => [p.client, p.count]).sort()).to.deep.equal(clients.map((c) => [c, perClient]));
        expect(listed.reduce((a, p) => a + p.count, 0)).to.equal(clients.length * perClient);
      });

      it("still holds every answered hit after a close and a reopen", async () => {
        const config = backends.config(kind);
        const store = await pairStore(config);
        for (let i = 0; i < 3; i++) await store.hit("203.0.113.7", "10.1.0.5", 1_000 + i);
        await store.hit("198.51.100.2", "10.1.0.5", 5_000);
        await store.close();
        const reopened = track(await pairStore(backends.config(kind, "pod-a", config)));
        expect(await reopened.list()).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 3, 1_002), pair("198.51.100.2", "10.1.0.5", 1, 5_000)]);
        expect((await reopened.hit("203.0.113.7", "10.1.0.5", 6_000)).pair.count, "counting goes on from there").to.equal(4);
      });
    });

    describe(`counter on ${kind}`, function () {
      before(() => backends.need(kind));

      it("hands out 0, 1, 2 … and reads the number of increments", async () => {
        const store = track(await counterStore(backends.config(kind)));
        expect(store.name, "the strategy's name (the /readyz message names it)").to.equal(kind);
        expect(await store.read()).to.equal(0);
        for (let k = 0; k < 3; k++) expect(await store.increment()).to.equal(k);
        expect(await store.read()).to.equal(3);
      });

      it("never hands out a number twice under concurrent increments", async () => {
        const store = track(await counterStore(backends.config(kind)));
        const got = await Promise.all(Array.from({ length: 60 }, () => store.increment()));
        expect([...got].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 60 }, (_, k) => k));
        expect(await store.read()).to.equal(60);
      });

      it("goes on from the last answered number after a close and a reopen", async () => {
        const config = backends.config(kind);
        const store = await counterStore(config);
        for (let k = 0; k < 4; k++) await store.increment();
        await store.close();
        const reopened = track(await counterStore(backends.config(kind, "pod-a", config)));
        expect(await reopened.read()).to.equal(4);
        expect(await reopened.increment()).to.equal(4);
      });

      it("shows a reader (logoutput) the writer's count as soon as an increment was answered", async () => {
        const config = backends.config(kind);
        const writer = track(await counterStore(config));
        const reader: CounterReader = track(await openCounterReader(backends.config(kind, "logoutput", config), deps(undefined, "logoutput")));
        await untilReady(reader);
        expect(await reader.read()).to.equal(0);
        for (let k = 0; k < 3; k++) {
          await writer.increment();
          expect(await reader.read(), `after increment ${k}`).to.equal(k + 1);
        }
      });
    });
  }

  describe("shared-volume: several replicas on one directory", function () {
    it("shows every replica's pairs on every replica's page, summed per pair", async () => {
      const shared = backends.config("shared-volume", "pod-a");
      const a = track(await pairStore(shared));
      const b = track(await pairStore(backends.config("shared-volume", "pod-b", shared)));
      await a.hit("203.0.113.7", "10.1.0.5", 1_000);
      await a.hit("203.0.113.7", "10.1.0.5", 2_000);
      const fromB = await b.hit("203.0.113.7", "10.1.0.6", 3_000);
      expect(fromB.pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 2, 2_000), pair("203.0.113.7", "10.1.0.6", 1, 3_000)]);
      expect(await a.list()).to.deep.equal(fromB.pairs);
    });

    it("sums the count of a pair both replicas wrote (a pod replaced under the same server address)", async () => {
      const shared = backends.config("shared-volume", "pod-a");
      const a = track(await pairStore(shared));
      const b = track(await pairStore(backends.config("shared-volume", "pod-b", shared)));
      await a.hit("203.0.113.7", "10.1.0.5", 1_000);
      const r = await b.hit("203.0.113.7", "10.1.0.5", 900);
      expect(r.pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 2, 1_000)]);
    });

    it("counts on from every replica's shard: the total is exact across pods", async () => {
      const shared = backends.config("shared-volume", "pod-a");
      const a = track(await counterStore(shared));
      const b = track(await counterStore(backends.config("shared-volume", "pod-b", shared)));
      for (let k = 0; k < 3; k++) await a.increment();
      expect(await b.increment(), "pod-b continues after pod-a's three").to.equal(3);
      expect(await a.read()).to.equal(4);
      expect(await b.read()).to.equal(4);
    });
  });

  describe("pod: one replica's own file", function () {
    it("shows only its own pairs: another pod's store in another directory is not merged", async () => {
      const a = track(await pairStore(backends.config("pod", "pod-a")));
      const b = track(await pairStore(backends.config("pod", "pod-b")));
      await a.hit("203.0.113.7", "10.1.0.5", 1_000);
      expect((await b.hit("203.0.113.7", "10.1.0.6", 2_000)).pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.6", 1, 2_000)]);
    });
  });

  describe("file stores: what is on the volume", function () {
    it("pod: reads the course's pingpong_counter.txt as written by hand, whitespace and all", async () => {
      const config = backends.config("pod");
      mkdirSync(config.stateDir, { recursive: true });
      writeFileSync(path.join(config.stateDir, "pingpong_counter.txt"), "  41\n");
      const store = track(await counterStore(config));
      expect(await store.read()).to.equal(41);
      expect(await store.increment()).to.equal(41);
      const bare = backends.config("pod");
      mkdirSync(bare.stateDir, { recursive: true });
      writeFileSync(path.join(bare.stateDir, "pingpong_counter.txt"), "7");
      expect(await track(await counterStore(bare)).read(), "no newline at the end").to.equal(7);
    });

    for (const text of ["41 apples", "forty-one", "-3", "4.5", "1234567890123456", "41\n42"]) {
      it(`pod: refuses a pingpong_counter.txt holding ${JSON.stringify(text)} instead of guessing a number`, async () => {
        const config = backends.config("pod");
        mkdirSync(config.stateDir, { recursive: true });
        writeFileSync(path.join(config.stateDir, "pingpong_counter.txt"), text);
        const err = await openCounterStore(config, deps()).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(StoreUnavailableError);
        expect((err as Error).message).to.match(/^state store unavailable: pod: cannot open .*pingpong_counter\.txt: .*does not hold a count/);
      });
    }

    it("pod: brings the course's pingpong_counter.txt up to date once pingpong is idle", async () => {
      const config = backends.config("pod");
      const store = track(await counterStore(config));
      for (let k = 0; k < 5; k++) await store.increment();
      const file = path.join(config.stateDir, COUNTER_FILE);
      const temps = () => readdirSync(config.stateDir).filter((f) => f.endsWith(".tmp"));
      // The snapshot lands first, then the fresh log (each through a temp file): wait for both.
      await waitFor("the idle snapshot, with no temp file left", async () => existsSync(file) && readFileSync(file, "utf8") === "5\n" && temps().length === 0, IDLE_SNAPSHOT_MS * 20);
    });

    it("pod: a snapshot that cannot be read (a directory in its place) is an error, never a count of zero", async () => {
      const config = backends.config("pod");
      mkdirSync(path.join(config.stateDir, COUNTER_FILE), { recursive: true });
      const err = await openCounterStore(config, deps()).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).message).to.match(/EISDIR/);
    });

    it("pod: a reader (logoutput) of a corrupt pingpong_counter.txt is not ready and answers 503, never a number", async () => {
      const config = backends.config("pod");
      mkdirSync(config.stateDir, { recursive: true });
      writeFileSync(path.join(config.stateDir, COUNTER_FILE), "garbage\n");
      const reader = track(await openCounterReader({ ...config, podName: "logoutput" }, deps(undefined, "logoutput")));
      expect(await reader.ready()).to.equal(false);
      expect(await reader.read().then(() => undefined, (e: unknown) => e)).to.be.instanceOf(StoreUnavailableError);
    });

    it("a reader (logoutput) never writes: an empty directory stays empty, and it cannot increment", async () => {
      for (const kind of ["pod", "shared-volume"] as const) {
        const config = backends.config(kind);
        mkdirSync(config.stateDir, { recursive: true });
        const reader = track(await openCounterReader({ ...config, podName: "logoutput" }, deps(undefined, "logoutput")));
        expect(await reader.read(), kind).to.equal(0);
        expect(await reader.ready(), kind).to.equal(true);
        expect(readdirSync(config.stateDir), kind).to.deep.equal([]);
        const inc = await (reader as CounterStore).increment().then(() => undefined, (e: unknown) => e);
        expect((inc as Error).message, kind).to.equal("read-only counter");
        expect(readdirSync(config.stateDir), kind).to.deep.equal([]);
      }
    });

    it("shared-volume: sums only the replicas' shard files, not look-alikes (backups, temp files, other names)", async () => {
      const config = backends.config("shared-volume", "pod-a");
      mkdirSync(config.stateDir, { recursive: true });
      for (const name of ["pingpong_counter.old.txt.bak", "x-pingpong_counter.b.txt", "pingpong_counter.txt", ".pingpong_counter.c.txt.1f2e.tmp"]) writeFileSync(path.join(config.stateDir, name), "500\n");
      for (const name of ["stats.old.json.bak", "x-stats.b.json", "stats.json"]) writeFileSync(path.join(config.stateDir, name), JSON.stringify({ format: "statefleet-stats/1", writer: "x", pairs: [["203.0.113.7", "10.1.0.9", 500, 1]] }));
      const counter = track(await counterStore(config));
      expect(await counter.read()).to.equal(0);
      expect(await counter.increment()).to.equal(0);
      const pairs = track(await pairStore(config));
      expect((await pairs.hit("203.0.113.7", "10.1.0.5", 1_000)).pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 1, 1_000)]);
    });

    it("shared-volume: another replica's corrupt shard answers StoreUnavailableError and not ready, and the hit is not counted", async () => {
      const config = backends.config("shared-volume", "pod-a");
      const pairs = track(await pairStore(config));
      const counter = track(await counterStore(config));
      const reader = track(await openCounterReader({ ...config, podName: "logoutput" }, deps(undefined, "logoutput")));
      await pairs.hit("203.0.113.7", "10.1.0.5", 1_000);
      await counter.increment();
      writeFileSync(path.join(config.stateDir, "stats.pod-b.json"), "{ not json");
      writeFileSync(path.join(config.stateDir, "pingpong_counter.pod-b.txt"), "many\n");
      const hit = await pairs.hit("203.0.113.7", "10.1.0.5", 2_000).then(() => undefined, (e: unknown) => e);
      expect(hit).to.be.instanceOf(StoreUnavailableError);
      expect((hit as Error).message).to.match(/stats\.pod-b\.json is not a statefleet-stats\/1 file/);
      expect(await pairs.ready()).to.equal(false);
      expect(await counter.ready()).to.equal(false);
      expect(await reader.ready()).to.equal(false);
      expect(await reader.read().then(() => undefined, (e: unknown) => e)).to.be.instanceOf(StoreUnavailableError);
      rmSync(path.join(config.stateDir, "stats.pod-b.json"));
      rmSync(path.join(config.stateDir, "pingpong_counter.pod-b.txt"));
      expect((await pairs.hit("203.0.113.7", "10.1.0.5", 3_000)).pair.count, "the refused hit was not counted").to.equal(2);
      expect(await pairs.ready()).to.equal(true);
    });

    it("removes the temp files a killed writer left (its own prefix only) when it opens", async () => {
      const config = backends.config("pod");
      mkdirSync(config.stateDir, { recursive: true });
      const stale = `${tempPrefix(path.join(config.stateDir, "stats.json"))}0a1b2c3d4e5f.tmp`;
      const foreign = ".other.json.0a1b2c3d4e5f.tmp";
      writeFileSync(path.join(config.stateDir, stale), "half a write");
      writeFileSync(path.join(config.stateDir, foreign), "not ours");
      track(await pairStore(config));
      expect(existsSync(path.join(config.stateDir, stale)), "stale temp removed").to.equal(false);
      expect(existsSync(path.join(config.stateDir, foreign)), "another file's temp kept").to.equal(true);
    });

    it("keeps files that only look like its temp files (our prefix, not .tmp)", async () => {
      const config = backends.config("pod");
      mkdirSync(config.stateDir, { recursive: true });
      const notTemp = `${tempPrefix(path.join(config.stateDir, "stats.json"))}notes`;
      writeFileSync(path.join(config.stateDir, notTemp), "an operator's file");
      track(await pairStore(config));
      expect(existsSync(path.join(config.stateDir, notTemp))).to.equal(true);
    });

    it("pod: counts only its own file, even when shard files of a shared-volume past lie beside it", async () => {
      const config = backends.config("pod");
      mkdirSync(config.stateDir, { recursive: true });
      writeFileSync(path.join(config.stateDir, "pingpong_counter.pod-b.txt"), "500\n");
      writeFileSync(path.join(config.stateDir, "stats.pod-b.json"), JSON.stringify({ format: "statefleet-stats/1", writer: "pod-b", pairs: [["203.0.113.7", "10.1.0.9", 500, 1]] }));
      const counter = track(await counterStore(config));
      expect(await counter.increment()).to.equal(0);
      expect(await counter.read()).to.equal(1);
      const pairs = track(await pairStore(config));
      expect((await pairs.hit("203.0.113.7", "10.1.0.5", 1_000)).pairs).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 1, 1_000)]);
      expect(await pairs.list()).to.deep.equal([pair("203.0.113.7", "10.1.0.5", 1, 1_000)]);
    });

    it("pod: close folds the log into the course's files, so they hold every answered hit", async () => {
      const config = backends.config("pod");
      const counter = await counterStore(config);
      const pairs = await pairStore({ ...config, stateDir: path.join(config.stateDir, "stats") });
      for (let k = 0; k < 3; k++) await counter.increment();
      await pairs.hit("203.0.113.7", "10.1.0.5", 1_000);
      await pairs.hit("203.0.113.7", "10.1.0.5", 2_000);
      await Promise.all([counter.close(), pairs.close()]);
      expect(readFileSync(path.join(config.stateDir, COUNTER_FILE), "utf8")).to.equal("3\n");
      const stats = JSON.parse(readFileSync(path.join(config.stateDir, "stats", "stats.json"), "utf8")) as { pairs: unknown[] };
      expect(stats.pairs).to.deep.equal([["203.0.113.7", "10.1.0.5", 2, 2_000]]);
      for (const dir of [config.stateDir, path.join(config.stateDir, "stats")]) {
        for (const log of readdirSync(dir).filter((f) => f.endsWith(".log"))) expect(readFileSync(path.join(dir, log), "utf8"), log).to.equal("");
      }
    });

    it("pod: a stats.json that cannot be read (a directory in its place) is an error, never an empty page", async () => {
      const config = backends.config("pod");
      mkdirSync(path.join(config.stateDir, "stats.json"), { recursive: true });
      const err = await openPairStore(config, deps()).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).message).to.match(/^state store unavailable: pod: cannot open .*stats\.json: EISDIR/);
    });

    it("pod: a reader (logoutput) of a pingpong_counter.txt it cannot read (a directory) answers 503, never 0", async () => {
      const config = backends.config("pod");
      mkdirSync(path.join(config.stateDir, COUNTER_FILE), { recursive: true });
      const reader = track(await openCounterReader({ ...config, podName: "logoutput" }, deps(undefined, "logoutput")));
      const err = await reader.read().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).message).to.match(/EISDIR/);
      expect(await reader.ready()).to.equal(false);
    });

    it("pod: a log record with a valid checksum but no count in it ends the log like a torn tail; the count is the last valid one", async () => {
      // encodeLine writes `<crc32 hex> <payload>\n`: a record whose checksum is right, whatever it holds.
      for (const bad of ["abc7", "7abc", "-7", "7.5", ""]) {
        const config = backends.config("pod");
        mkdirSync(config.stateDir, { recursive: true });
        writeFileSync(path.join(config.stateDir, COUNTER_FILE), "5\n");
        writeFileSync(path.join(config.stateDir, `${COUNTER_FILE}.log`), encodeLine("12") + encodeLine("77") + encodeLine(bad));
        const counter = track(await counterStore(config));
        expect(await counter.read(), JSON.stringify(bad)).to.equal(77);
        expect(await counter.increment(), JSON.stringify(bad)).to.equal(77);
      }
    });

    it("writing snapshots leaves no file open (a long-running pod would run out of descriptors)", async () => {
      const config = backends.config("pod");
      // This process's descriptors on files of the state directory (other tests' sockets come and go).
      const open = () =>
        readdirSync("/proc/self/fd").filter((fd) => {
          try {
            return readlinkSync(path.join("/proc/self/fd", fd)).startsWith(config.stateDir);
          } catch {
            return false; // closed between the listing and the look
          }
        });
      // Every open and every close with a non-empty log writes the snapshot and a fresh log.
      for (let k = 0; k < 20; k++) {
        const counter = await counterStore(config);
        expect(await counter.increment()).to.equal(k);
        await counter.close();
      }
      expect(open(), "descriptors on the state directory after 40 snapshots and 20 closes").to.deep.equal([]);
    });
  });

  describe("mongo: a document that is not a count", function () {
    it("refuses a counter document holding a negative or fractional n (503), never hands out a number from it", async () => {
      await backends.need("mongo");
      for (const n of [-1, 2.5]) {
        const config = backends.config("mongo");
        const store = track(await counterStore(config));
        const client = await backends.mongo!.client();
        try {
          await client.db(config.mongo!.database).collection<{ _id: string; n: number }>(COUNTER_COLLECTION).insertOne({ _id: PINGPONG_COUNTER_ID, n });
        } finally {
          await client.close();
        }
        const err = await store.read().then(() => undefined, (e: unknown) => e);
        expect(err, String(n)).to.be.instanceOf(StoreUnavailableError);
        expect((err as Error).message).to.match(/document counters\/pingpong does not hold a count/);
      }
    });

    it("reads its own document in a collection shared with others, and a count of 0 as 0", async () => {
      await backends.need("mongo");
      const config = backends.config("mongo");
      const store = track(await counterStore(config));
      const client = await backends.mongo!.client();
      const counters = client.db(config.mongo!.database).collection<{ _id: string; n: number }>(COUNTER_COLLECTION);
      try {
        await counters.insertOne({ _id: "another-counter", n: 41 });
        expect(await store.read(), "no document of its own yet").to.equal(0);
        await counters.insertOne({ _id: PINGPONG_COUNTER_ID, n: 0 });
        expect(await store.read(), "a counter reset to 0").to.equal(0);
        expect(await store.increment()).to.equal(0);
        expect(await store.read()).to.equal(1);
        expect((await counters.findOne({ _id: "another-counter" }))?.n, "the other document untouched").to.equal(41);
      } finally {
        await client.close();
      }
    });
  });

  describe("redis: a key that is not a count", function () {
    it("answers 503 naming the server and the key while connected, never a number", async () => {
      await backends.need("redis");
      const config = backends.config("redis");
      const store = track(await counterStore(config));
      const raw = new Redis(backends.redis!.url, { lazyConnect: true });
      try {
        await raw.connect();
        await raw.set(`${config.redis!.keyPrefix}counter`, "many");
      } finally {
        raw.disconnect();
      }
      const err = await store.read().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).message).to.equal(`state store unavailable: redis: redis://127.0.0.1:${backends.redis!.port}: key ${config.redis!.keyPrefix}counter does not hold a count`);
    });
  });

  describe("what opening a store logs", function () {
    it("says which strategy and where, with a Redis password masked", async () => {
      await backends.need("redis");
      const file = capturingLogger();
      const config = backends.config("shared-volume");
      track(await openPairStore(config, { logger: file.logger, metrics: createMetrics(), role: "stats" }));
      expect(file.lines.find((l) => l.msg === "opening pair store")).to.include({ state: "shared-volume", stateDir: config.stateDir });

      const redis = capturingLogger();
      const withPassword = { ...backends.config("redis") };
      withPassword.redis = { ...withPassword.redis!, url: `redis://:hunter2@127.0.0.1:${backends.redis!.port}` };
      track(await openCounterStore(withPassword, { logger: redis.logger, metrics: createMetrics(), role: "pingpong" }));
      const line = redis.lines.find((l) => l.msg === "opening counter store");
      expect(line).to.include({ state: "redis", keyPrefix: withPassword.redis.keyPrefix });
      expect(line?.redis).to.equal(`redis://:***@127.0.0.1:${backends.redis!.port}`);
      expect(JSON.stringify(redis.lines)).not.to.include("hunter2");

      await backends.need("mongo");
      const mongo = capturingLogger();
      const withUser = backends.config("mongo");
      withUser.mongo = { ...withUser.mongo!, url: `mongodb://stats:hunter3@127.0.0.1:${backends.mongo!.port}/${withUser.mongo!.database}` };
      await (await openPairStore(withUser, { logger: mongo.logger, metrics: createMetrics(), role: "stats" })).close();
      expect(mongo.lines.find((l) => l.msg === "opening pair store")?.mongo).to.equal(`mongodb://stats:***@127.0.0.1:${backends.mongo!.port}/${withUser.mongo.database}`);
      expect(JSON.stringify(mongo.lines)).not.to.include("hunter3");

      // A user without a password (x.509 or Kerberos) has nothing to hide: shown as it is.
      expect(redactMongoUrl("mongodb://stats@mongo.data:27017/statefleet")).to.equal("mongodb://stats@mongo.data:27017/statefleet");
      expect(redactMongoUrl("mongodb+srv://stats:pw@cluster.example/statefleet")).to.equal("mongodb+srv://stats:***@cluster.example/statefleet");

      const healthy = capturingLogger();
      const store = await openCounterStore(backends.config("mongo"), { logger: healthy.logger, metrics: createMetrics(), role: "pingpong" });
      try {
        await untilReady(store);
        await sleep(300);
      } finally {
        await store.close();
      }
      expect(healthy.lines.map((l) => l.msg), "a healthy start reports no outage and no recovery").to.deep.equal(["opening counter store"]);

      const reader = capturingLogger();
      track(await openCounterReader(backends.config("pod"), { logger: reader.logger, metrics: createMetrics(), role: "logoutput" }));
      expect(reader.lines.map((l) => l.msg)).to.include("opening counter store read-only");
    });
  });

  describe("a backend down at start, and outages in the logs", function () {
    const count = (lines: Record<string, unknown>[], msg: string) => lines.filter((l) => l.msg === msg).length;

    it("redis: a store opened while Redis is down is not ready, connects by itself, and logs the outage once and the recovery once", async () => {
      await backends.need("redis");
      const log = capturingLogger();
      const config = backends.config("redis");
      await backends.redis!.stop();
      try {
        const store = track(await openPairStore(config, { logger: log.logger, metrics: createMetrics(), role: "stats" }));
        expect(await store.ready()).to.equal(false);
        await waitFor("a failed connect logged", async () => count(log.lines, "redis unreachable; reconnecting in the background") > 0, 5000);
        await sleep(400); // several more failed reconnects (50, 100, 200 ms apart)
      } finally {
        await backends.redis!.restart();
      }
      const store = open[open.length - 1] as PairStore;
      await untilReady(store);
      await waitFor("the recovery logged", async () => count(log.lines, "redis connection restored") > 0, 5000);
      expect(count(log.lines, "redis unreachable; reconnecting in the background"), "one line per outage, not per attempt").to.equal(1);
      expect(count(log.lines, "redis connection restored")).to.equal(1);
      expect(log.lines.find((l) => l.msg === "redis unreachable; reconnecting in the background")?.redis).to.equal(`redis://127.0.0.1:${backends.redis!.port}`);
      expect((await store.hit("203.0.113.7", "10.1.0.5", 1_000)).pair.count).to.equal(1);
    });

    it("redis: a store closes while Redis is down (a pod's shutdown never waits for it)", async () => {
      await backends.need("redis");
      const config = backends.config("redis");
      await backends.redis!.stop();
      try {
        const store = await openCounterStore(config, deps(undefined, "pingpong"));
        await store.close(); // no QUIT on a connection that is down: it drops the socket and the retry timer
      } finally {
        await backends.redis!.restart();
      }
    });

    it("mongo: a store opened while MongoDB is down connects once it is up; a later outage is logged once and its end once", async function () {
      this.timeout(40_000);
      await backends.need("mongo");
      const log = capturingLogger();
      const config = backends.config("mongo");
      await backends.mongo!.stop();
      let store: CounterStore;
      try {
        store = track(await openCounterStore(config, { logger: log.logger, metrics: createMetrics(), role: "pingpong" }));
        expect(await store.ready()).to.equal(false);
        await waitFor("the failed first connect logged", async () => count(log.lines, "mongodb not reachable yet; retrying every second") > 0, 5000);
        await sleep(2_200); // two more failed attempts (one a second)
      } finally {
        await backends.mongo!.restart();
      }
      await untilReady(store);
      expect(await store.increment()).to.equal(0);
      expect(count(log.lines, "mongodb not reachable yet; retrying every second"), "once, not every second").to.equal(1);
      const where = `mongodb://127.0.0.1:${backends.mongo!.port}/${config.mongo!.database}`;
      const notYet = log.lines.find((l) => l.msg === "mongodb not reachable yet; retrying every second");
      expect(notYet?.mongo, "names the server").to.equal(where);
      expect(notYet?.err, "says why").to.be.a("string").and.not.equal("");
      const unreachable = () => count(log.lines, "mongodb unreachable; reconnecting in the background");
      const restored = () => count(log.lines, "mongodb connection restored");
      const [unreachableBefore, restoredBefore] = [unreachable(), restored()];

      await backends.mongo!.stop();
      try {
        await waitFor("the outage logged", async () => unreachable() > unreachableBefore, 10_000);
        await sleep(2500); // more failed heartbeats (every 2 s)
      } finally {
        await backends.mongo!.restart();
      }
      await waitFor("the recovery logged", async () => restored() > restoredBefore, 10_000);
      expect(unreachable() - unreachableBefore, "one line per outage, not per failed heartbeat").to.equal(1);
      expect(restored() - restoredBefore).to.equal(1);
      const outage = log.lines.filter((l) => l.msg === "mongodb unreachable; reconnecting in the background").pop();
      expect(outage?.mongo).to.equal(where);
      expect(outage?.err).to.be.a("string").and.not.equal("");
      expect(log.lines.filter((l) => l.msg === "mongodb connection restored").pop()?.mongo).to.equal(where);
      await untilReady(store);
      expect(await store.increment()).to.equal(1);
    });
  });

  describe("building blocks of the stores (in-process)", function () {
    it("nowUs: microseconds of the wall clock, strictly increasing even within one microsecond", () => {
      const before = Date.now() * 1000;
      const times = Array.from({ length: 2000 }, () => nowUs());
      const after = Date.now() * 1000 + 1000;
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `step ${i}`).to.be.at.least(1);
      expect(times[0]).to.be.within(before, after);
      // Strictly increasing by borrowing at most a microsecond per call: never far ahead of the clock.
      expect(times[times.length - 1]).to.be.within(before, after + times.length);
    });

    it("nowUs: keeps the sub-millisecond part (times taken apart are not whole milliseconds)", async () => {
      const times: number[] = [];
      for (let i = 0; i < 12; i++) {
        times.push(nowUs());
        await sleep(2);
      }
      expect(times.filter((t) => t % 1000 !== 0).length, times.join(" ")).to.be.greaterThan(6);
    });

    it("upsertInc: a duplicate key from a racing first upsert is retried once; any other error is not", async () => {
      let calls = 0;
      const duplicate = Object.assign(new Error("E11000 duplicate key error"), { code: 11000 });
      expect(await upsertInc(async () => (++calls === 1 ? Promise.reject(duplicate) : "incremented"))).to.equal("incremented");
      expect(calls).to.equal(2);
      calls = 0;
      const down = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
      const err = await upsertInc(async () => {
        calls++;
        throw down;
      }).then(() => undefined, (e: unknown) => e);
      expect(err).to.equal(down);
      expect(calls, "not retried: it would count twice if the first went through").to.equal(1);
    });

    it("withRetries: tries exactly the given number of times, backing off, and throws the last error", async () => {
      let calls = 0;
      const started = Date.now();
      const err = await withRetries(3, async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      }).then(() => undefined, (e: unknown) => e);
      expect(calls).to.equal(3);
      expect((err as Error).message).to.equal("failure 3");
      expect(Date.now() - started, "waits 10 ms, then 40 ms").to.be.at.least(45);
      let flaky = 0;
      expect(await withRetries(3, async () => (++flaky < 3 ? Promise.reject(new Error("busy")) : "done"))).to.equal("done");
      expect(flaky).to.equal(3);
    });

    it("reasonOf: a system error names its code once, before the message; anything else as it is", () => {
      const refused = Object.assign(new Error("connect to 127.0.0.1:6379 failed"), { code: "ECONNREFUSED" });
      expect(reasonOf(refused)).to.equal("ECONNREFUSED: connect to 127.0.0.1:6379 failed");
      const named = Object.assign(new Error("ENOENT: no such file or directory, open '/data/x'"), { code: "ENOENT" });
      expect(reasonOf(named), "the code is in the message already").to.equal("ENOENT: no such file or directory, open '/data/x'");
      expect(reasonOf(new Error("plain"))).to.equal("plain");
      expect(reasonOf("a string thrown")).to.equal("a string thrown");
      expect(reasonOf(undefined)).to.equal("undefined");
    });

    it("guard: a failure becomes one StoreUnavailableError, counted once under its operation", async () => {
      const counted: string[] = [];
      const ctx = { name: "pod", onError: (op: string) => counted.push(op) };
      expect(await guard(ctx, "read", async () => 7), "a success passes through uncounted").to.equal(7);
      expect(counted).to.deep.equal([]);

      const err = await guard(ctx, "increment", () => Promise.reject(Object.assign(new Error("disk full"), { code: "ENOSPC" }))).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as StoreUnavailableError).message).to.equal("state store unavailable: pod: ENOSPC: disk full");
      expect((err as StoreUnavailableError).store).to.equal("pod");
      expect(counted).to.deep.equal(["increment"]);

      const inner = new StoreUnavailableError("pod", "cannot open /data/pingpong_counter.txt");
      expect(await guard(ctx, "read", () => Promise.reject(inner)).then(() => undefined, (e: unknown) => e), "already explained: not wrapped again").to.equal(inner);
      expect(counted).to.deep.equal(["increment", "read"]);

      const explained = { ...ctx, name: "redis", explain: (e: unknown) => `redis://cache:6379 ${reasonOf(e)}` };
      const viaExplain = await guard(explained, "hit", () => Promise.reject(new Error("READONLY"))).then(() => undefined, (e: unknown) => e);
      expect((viaExplain as Error).message).to.equal("state store unavailable: redis: redis://cache:6379 READONLY");
    });

    it("withTimeout: a check that hangs fails after its time, naming what did not answer; one that answers passes its result or error on", async () => {
      const started = Date.now();
      const hung = await withTimeout(60, "state directory", new Promise(() => undefined)).then(() => undefined, (e: unknown) => e);
      expect((hung as Error).message).to.equal("state directory did not answer within 60 ms");
      expect(Date.now() - started).to.be.within(55, 1_000);
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      const before = timers();
      expect(await withTimeout(5_000, "counter read", Promise.resolve(3))).to.equal(3);
      expect(timers(), "its timer is cleared: a probe every few seconds leaves none behind").to.equal(before);
      const failed = await withTimeout(1_000, "counter read", Promise.reject(new Error("EIO"))).then(() => undefined, (e: unknown) => e);
      expect((failed as Error).message).to.equal("EIO");
    });
  });

  describe("outage: a clear error, nothing counted, and recovery without a reopen", function () {
    for (const kind of ["pod", "shared-volume"] as const) {
      it(`${kind}: the directory gone answers StoreUnavailableError and not ready; back, counting goes on exactly`, async () => {
        const metrics = createMetrics();
        const config = backends.config(kind);
        const pairs = track(await pairStore({ ...config, stateDir: path.join(config.stateDir, "stats") }, metrics));
        const counter = track(await counterStore({ ...config, stateDir: path.join(config.stateDir, "pingpong") }, metrics));
        await pairs.hit("203.0.113.7", "10.1.0.5", 1_000);
        expect(await counter.increment()).to.equal(0);

        rmSync(config.stateDir, { recursive: true, force: true });
        const hit = await pairs.hit("203.0.113.7", "10.1.0.5", 2_000).then(() => undefined, (e: unknown) => e);
        expect(hit).to.be.instanceOf(StoreUnavailableError);
        expect((hit as Error).message).to.match(new RegExp(`^state store unavailable: ${kind}: .*ENOENT`));
        expect((hit as Error).message, "wrapped once").not.to.match(/unavailable.*unavailable/);
        const inc = await counter.increment().then(() => undefined, (e: unknown) => e);
        expect(inc).to.be.instanceOf(StoreUnavailableError);
        expect(await pairs.ready()).to.equal(false);
        expect(await counter.ready()).to.equal(false);
        expect(await storeErrors(metrics, kind, "hit")).to.equal(1);
        expect(await storeErrors(metrics, kind, "increment")).to.equal(1);
        // pod answers reads from its own memory; shared-volume reads the other replicas' shards.
        if (kind === "shared-volume") {
          await failsUnavailable([pairs.list(), counter.read()]);
          expect(await storeErrors(metrics, kind, "list"), "a failed list counts as list").to.equal(1);
          expect(await storeErrors(metrics, kind, "read"), "a failed read counts as read").to.equal(1);
        }

        mkdirSync(path.join(config.stateDir, "stats"), { recursive: true });
        mkdirSync(path.join(config.stateDir, "pingpong"), { recursive: true });
        await untilReady(pairs);
        await untilReady(counter);
        expect((await pairs.hit("203.0.113.7", "10.1.0.5", 3_000)).pair.count, "the failed hit was not counted").to.equal(2);
        expect(await counter.increment(), "the failed increment took no number").to.equal(1);
      });
    }

    const servers = [
      { kind: "redis", server: () => backends.redis!, names: (port: number) => new RegExp(`^state store unavailable: redis: (not connected to )?redis://127\\.0\\.0\\.1:${port}/?[ :]`) },
      { kind: "mongo", server: () => backends.mongo!, names: (port: number) => new RegExp(`^state store unavailable: mongo: mongodb://127\\.0\\.0\\.1:${port}/`) },
    ] as const;
    for (const { kind, server, names } of servers) {
      it(`${kind}: a stopped server answers StoreUnavailableError naming it, not ready; restarted, the counts are still there`, async () => {
        await backends.need(kind);
        const metrics = createMetrics();
        const config = backends.config(kind);
        const pairs = track(await pairStore(config, metrics));
        const counter = track(await counterStore(config, metrics));
        await pairs.hit("203.0.113.7", "10.1.0.5", 1_000);
        expect(await counter.increment()).to.equal(0);

        await server().stop();
        const hit = await pairs.hit("203.0.113.7", "10.1.0.5", 2_000).then(() => undefined, (e: unknown) => e);
        expect(hit).to.be.instanceOf(StoreUnavailableError);
        expect((hit as Error).message).to.match(names(server().port));
        expect(await counter.increment().then(() => undefined, (e: unknown) => e)).to.be.instanceOf(StoreUnavailableError);
        expect(await pairs.ready()).to.equal(false);
        expect(await counter.ready()).to.equal(false);
        expect(await storeErrors(metrics, kind, "hit")).to.equal(1);
        expect(await storeErrors(metrics, kind, "increment")).to.equal(1);
        await failsUnavailable([pairs.list(), counter.read()]);
        expect(await storeErrors(metrics, kind, "list"), "a failed list counts as list").to.equal(1);
        expect(await storeErrors(metrics, kind, "read"), "a failed read counts as read").to.equal(1);

        await server().restart();
        await untilReady(pairs);
        await untilReady(counter);
        expect((await pairs.hit("203.0.113.7", "10.1.0.5", 3_000)).pair.count).to.equal(2);
        expect(await counter.increment()).to.equal(1);
      });
    }
  });

});
