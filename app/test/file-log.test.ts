import { expect } from "chai";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ShardDirectory, ShardFollower, ShardWriter, encodeLine, logFileOf, readShard, replayLog, type ShardCodec } from "../src/state/shard-log";
import { mayHaveCounted, sustained } from "./helpers/load";
import { waitFor } from "./helpers/net";
import { RoleProcess, runToExit } from "./helpers/role";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

const CLIENTS = ["203.0.113.1", "203.0.113.2", "198.51.100.7"];
const A = { "x-forwarded-for": "203.0.113.9" };
/** No compaction but the one at start: the count after a restart comes from replaying the log. */
const NO_COMPACTION = { STATE_LOG_MAX_BYTES: String(1 << 30), STATE_LOG_COMPACT_MS: "3600000" };
/** Compaction all the time: a log of at most 4 KiB, folded at least every 10 ms. */
const CONSTANT_COMPACTION = { STATE_LOG_MAX_BYTES: "4096", STATE_LOG_COMPACT_MS: "10" };

const decodeCount = (p: string): number => {
  if (!/^\d+$/.test(p)) throw new Error("not a count");
  return Number(p);
};

describe("file store log records (in-process)", function () {
  const log = [1, 2, 3].map((n) => encodeLine(String(n))).join("");

  it("replays every whole record with a good checksum", function () {
    expect(replayLog(log, decodeCount, "f").records).to.deep.equal([1, 2, 3]);
    expect(replayLog(log, decodeCount, "f").tail).to.equal(false);
  });

  it("ends the log at a torn last record (no newline yet) and says where the valid part ends", function () {
    const torn = `${log}${encodeLine("4").slice(0, 7)}`;
    expect(replayLog(torn, decodeCount, "f")).to.deep.equal({ records: [1, 2, 3], validBytes: log.length, tail: true });
  });

  it("ends the log at a whole last record whose checksum does not match (a bit flipped, garbage)", function () {
    expect(replayLog(`${log}${encodeLine("4").replace(" 4", " 5")}`, decodeCount, "f").records).to.deep.equal([1, 2, 3]);
    expect(replayLog(`${log}\0\0\0\n\x7f garbage\n`, decodeCount, "f").records).to.deep.equal([1, 2, 3]);
  });

  it("refuses a log with an empty line before a valid record, and reads a line without the separator after its checksum as no record", function () {
    expect(() => replayLog(`${encodeLine("1")}\n${encodeLine("2")}`, decodeCount, "the-log")).to.throw(/the-log is corrupt before its last record/);
    expect(() => replayLog(`\n${encodeLine("2")}`, decodeCount, "the-log"), "the very first line empty").to.throw(/the-log is corrupt before its last record/);
    const payload = "7";
    const noSeparator = `${encodeLine(payload).slice(0, 8)}x${payload}\n`;
    expect(replayLog(`${log}${noSeparator}`, decodeCount, "f")).to.deep.equal({ records: [1, 2, 3], validBytes: log.length, tail: true });
  });

  it("refuses a log whose damage is followed by a valid record: that is not a torn tail, and guessing could lose acknowledged counts", function () {
    const lines = log.split("\n");
    const damaged = `${lines[0]}\n${(lines[1] as string).replace(/^./, "z")}\n${lines[2]}\n`;
    expect(() => replayLog(damaged, decodeCount, "the-log")).to.throw(/the-log is corrupt before its last record/);
  });
});

/** A counter shard, as pingpong keeps it: records and snapshot are the absolute count. */
const counter: ShardCodec<number, number> = {
  empty: () => 0,
  parseSnapshot: (text) => (text === undefined ? 0 : Number(text)),
  formatSnapshot: (n) => `${n}\n`,
  encodeRecord: String,
  decodeRecord: decodeCount,
  apply: Math.max,
};

// Both I/O modes: `local` writes the record synchronously (the pod emptyDir), `network` through the thread pool.
for (const io of ["local", "network"] as const) {
  describe(`file store shard (${io} I/O): a reader during compaction (in-process, real files)`, function () {
    this.timeout(30_000);
    const dir = tempDir(`shard-read-${io}`);
    after(() => dir.remove());

    it("never sees less than the last acknowledged count while the writer compacts after every append", async function () {
      let count = 0;
      const snapshotFile = path.join(dir.path, "pingpong_counter.w.txt");
      const { writer } = await ShardWriter.open({ snapshotFile, codec: counter, current: () => count, io, maxLogBytes: 1 << 20, compactEveryMs: 1000 });
      await writer.compact();
      let acked = 0;
      let done = false;
      const writing = (async () => {
        for (let i = 0; i < 150; i++) {
          count++;
          await writer.append(count);
          acked = count;
          // Appends between compactions, so both the snapshot and the log carry counts.
          if (i % 3 === 2) await writer.compact();
        }
        done = true;
      })();
      const low: string[] = [];
      let reads = 0;
      while (!done) {
        const before = acked;
        const seen = await readShard(snapshotFile, counter);
        if (seen < before) low.push(`read ${seen} after ${before} was acknowledged`);
        reads++;
      }
      await writing;
      await writer.close();
      expect(reads).to.be.greaterThan(20);
      expect(low, "reads that lost acknowledged counts").to.deep.equal([]);
      expect(await readShard(snapshotFile, counter)).to.equal(150);
    });
  });
}

for (const io of ["local", "network"] as const) {
  describe(`file store shard writer (${io} I/O): compaction and a removed log (in-process, real files)`, function () {
    const dir = tempDir(`shard-writer-${io}`);
    after(() => dir.remove());
    let n = 0;
    const open = async (bounds: { maxLogBytes: number; compactEveryMs: number }, sub = dir.path) => {
      const s = { snapshotFile: path.join(sub, `c${n++}.txt`), count: 0, writer: undefined as unknown as ShardWriter<number, number> };
      ({ writer: s.writer } = await ShardWriter.open({ snapshotFile: s.snapshotFile, codec: counter, current: () => s.count, io, ...bounds }));
      await s.writer.compact();
      return s;
    };
    const ONE_RECORD = encodeLine("1").length;

    it("is due for compaction once the log holds maxLogBytes, not a byte before", async function () {
      const s = await open({ maxLogBytes: 2 * ONE_RECORD, compactEveryMs: 3_600_000 });
      expect(s.writer.compactionDue, "empty log").to.equal(false);
      await s.writer.append(++s.count);
      expect(s.writer.compactionDue, "one record, half the bound").to.equal(false);
      await s.writer.append(++s.count);
      expect(s.writer.compactionDue, "exactly the bound").to.equal(true);
      await s.writer.compact();
      expect(s.writer.compactionDue, "right after compacting").to.equal(false);
      await s.writer.close();
    });

    it("is due when a non-empty log is older than compactEveryMs, never for an empty one", async function () {
      const s = await open({ maxLogBytes: 1 << 20, compactEveryMs: 60 });
      await s.writer.append(++s.count);
      expect(s.writer.compactionDue, "a fresh record").to.equal(false);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.writer.compactionDue, "the record is older than compactEveryMs").to.equal(true);
      await s.writer.compact();
      await new Promise((r) => setTimeout(r, 100));
      expect(s.writer.compactionDue, "an empty log, however old").to.equal(false);
      await s.writer.close();
    });

    it("close() folds a non-empty log into the snapshot, and leaves the files alone when nothing was appended", async function () {
      const s = await open({ maxLogBytes: 1 << 20, compactEveryMs: 3_600_000 });
      for (let i = 0; i < 3; i++) await s.writer.append(++s.count);
      await s.writer.close();
      expect(readFileSync(s.snapshotFile, "utf8")).to.equal("3\n");
      expect(statSync(logFileOf(s.snapshotFile)).size, "the log after close").to.equal(0);
      const again = await open({ maxLogBytes: 1 << 20, compactEveryMs: 3_600_000 });
      const before = statSync(again.snapshotFile, { bigint: true });
      await again.writer.close();
      const after = statSync(again.snapshotFile, { bigint: true });
      expect([after.ino, after.mtimeNs], "snapshot untouched by a close with nothing to fold").to.deep.equal([before.ino, before.mtimeNs]);
    });

    it("after its files were removed (a deleted volume) the next append rewrites snapshot and log from the committed count, with the new record", async function () {
      const s = await open({ maxLogBytes: 1 << 20, compactEveryMs: 3_600_000 });
      for (let i = 0; i < 4; i++) await s.writer.append(++s.count);
      rmSync(s.snapshotFile);
      rmSync(logFileOf(s.snapshotFile));
      await s.writer.append(++s.count);
      expect(await readShard(s.snapshotFile, counter)).to.equal(5);
      expect(readFileSync(s.snapshotFile, "utf8"), "a fresh snapshot of the committed count").to.match(/^[45]\n$/);
      await s.writer.close();
    });

    it("while its directory is gone an append fails; once it is back the next append succeeds with nothing lost", async function () {
      const sub = path.join(dir.path, `gone-${n++}`);
      mkdirSync(sub);
      const s = await open({ maxLogBytes: 1 << 20, compactEveryMs: 3_600_000 }, sub);
      for (let i = 0; i < 3; i++) await s.writer.append(++s.count);
      rmSync(sub, { recursive: true });
      let err: unknown;
      await s.writer.append(s.count + 1).catch((e: unknown) => (err = e));
      expect(err, "append into a removed directory").to.be.instanceOf(Error);
      mkdirSync(sub);
      await s.writer.append(++s.count);
      expect(await readShard(s.snapshotFile, counter)).to.equal(4);
      await s.writer.close();
    });
  });
}

describe("file store shard followed by another replica (in-process, real files)", function () {
  this.timeout(30_000);
  const dir = tempDir("shard-follow");
  after(() => dir.remove());
  let n = 0;
  /** A fresh shard with its writer; `count` is what the writer has acknowledged. */
  const shard = async () => {
    const snapshotFile = path.join(dir.path, `pingpong_counter.f${n++}.txt`);
    const s = { snapshotFile, count: 0, writer: undefined as unknown as ShardWriter<number, number> };
    ({ writer: s.writer } = await ShardWriter.open({ snapshotFile, codec: counter, current: () => s.count, io: "network", maxLogBytes: 1 << 20, compactEveryMs: 3_600_000 }));
    await s.writer.compact();
    return s;
  };

  it("reads what a full read of the shard gives after every append and compaction (one follower, read again and again)", async function () {
    const s = await shard();
    const follower = new ShardFollower(s.snapshotFile, counter);
    // A fixed mix of appends, compactions and reads (xorshift, so a failure replays the same way).
    let x = 0x2545f491;
    const mismatches: string[] = [];
    for (let step = 0; step < 400; step++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      const op = (x >>> 0) % 10;
      if (op < 6) await s.writer.append(++s.count);
      else if (op < 7) await s.writer.compact();
      const [followed, full] = [await follower.read(), await readShard(s.snapshotFile, counter)];
      if (followed !== s.count || full !== s.count) mismatches.push(`step ${step}: follower ${followed}, full read ${full}, acknowledged ${s.count}`);
    }
    await s.writer.close();
    expect(s.count).to.be.greaterThan(200);
    expect(mismatches).to.deep.equal([]);
  });

  it("never sees less than the last acknowledged count while the writer appends and compacts concurrently", async function () {
    const s = await shard();
    const follower = new ShardFollower(s.snapshotFile, counter);
    let acked = 0;
    let done = false;
    const writing = (async () => {
      for (let i = 0; i < 300; i++) {
        await s.writer.append(++s.count);
        acked = s.count;
        if (i % 7 === 6) await s.writer.compact();
      }
      done = true;
    })();
    const low: string[] = [];
    let reads = 0;
    while (!done) {
      const before = acked;
      const seen = await follower.read();
      if (seen < before) low.push(`read ${seen} after ${before} was acknowledged`);
      reads++;
    }
    await writing;
    expect(reads).to.be.greaterThan(20);
    expect(low, "reads that lost acknowledged counts").to.deep.equal([]);
    expect(await follower.read()).to.equal(300);
  });

  it("leaves a torn last record for the next read and counts it once it is whole", async function () {
    const s = await shard();
    const follower = new ShardFollower(s.snapshotFile, counter);
    for (let i = 0; i < 5; i++) await s.writer.append(++s.count);
    expect(await follower.read()).to.equal(5);
    const line = encodeLine("6");
    appendFileSync(logFileOf(s.snapshotFile), line.slice(0, 6));
    expect(await follower.read(), "a half-written record is not counted").to.equal(5);
    appendFileSync(logFileOf(s.snapshotFile), line.slice(6));
    expect(await follower.read(), "the record, once whole").to.equal(6);
    appendFileSync(logFileOf(s.snapshotFile), encodeLine("7"));
    expect(await follower.read(), "and the ones after it").to.equal(7);
  });

  it("falls back to a full read when the log is shorter than what it read (truncated in place), or gone", async function () {
    const s = await shard();
    const follower = new ShardFollower(s.snapshotFile, counter);
    for (let i = 0; i < 4; i++) await s.writer.append(++s.count);
    expect(await follower.read()).to.equal(4);
    await s.writer.close();
    // close() compacted: snapshot 4, empty log. Now a log that restarts on the same file.
    appendFileSync(logFileOf(s.snapshotFile), encodeLine("9") + encodeLine("10"));
    expect(await follower.read()).to.equal(10);
    truncateSync(logFileOf(s.snapshotFile), 0);
    appendFileSync(logFileOf(s.snapshotFile), encodeLine("8"));
    expect(await follower.read(), "the same inode, shorter than before: read again from the start").to.equal(8);
    rmSync(logFileOf(s.snapshotFile));
    expect(await follower.read(), "no log: the snapshot").to.equal(4);
    writeFileSync(logFileOf(s.snapshotFile), encodeLine("12"));
    expect(await follower.read(), "a log again").to.equal(12);
  });

  it("refuses a log damaged before a valid record in the part appended since the last read", async function () {
    const s = await shard();
    const follower = new ShardFollower(s.snapshotFile, counter);
    await s.writer.append(++s.count);
    expect(await follower.read()).to.equal(1);
    appendFileSync(logFileOf(s.snapshotFile), `${encodeLine("2").replace(/^./, "z")}${encodeLine("3")}`);
    let err: unknown;
    await follower.read().catch((e: unknown) => (err = e));
    expect(String(err)).to.match(/corrupt before its last record/);
  });

  it("answers an error, not the snapshot alone, when the log exists but cannot be opened", async function () {
    const s = await shard();
    for (let i = 0; i < 3; i++) await s.writer.append(++s.count);
    await s.writer.close();
    appendFileSync(logFileOf(s.snapshotFile), encodeLine("5"));
    const follower = new ShardFollower(s.snapshotFile, counter);
    expect(await follower.read()).to.equal(5);
    // A log that loops back on itself (ELOOP) stands for any log that is there but unreadable.
    rmSync(logFileOf(s.snapshotFile));
    symlinkSync(path.basename(logFileOf(s.snapshotFile)), logFileOf(s.snapshotFile));
    let err: unknown;
    await follower.read().catch((e: unknown) => (err = e));
    expect((err as NodeJS.ErrnoException | undefined)?.code, "the follower's read").to.equal("ELOOP");
    err = undefined;
    await readShard(s.snapshotFile, counter).catch((e: unknown) => (err = e));
    expect((err as NodeJS.ErrnoException | undefined)?.code, "a full read").to.equal("ELOOP");
  });

  it("a directory of shards: a shard that appears is counted, one that is removed no longer is, our own never", async function () {
    const sub = path.join(dir.path, "dir");
    mkdirSync(sub);
    const re = /^pingpong_counter\.(.+)\.txt$/;
    const own = path.join(sub, "pingpong_counter.me.txt");
    writeFileSync(own, "1000\n");
    writeFileSync(path.join(sub, "pingpong_counter.a.txt"), "3\n");
    writeFileSync(logFileOf(path.join(sub, "pingpong_counter.b.txt")), encodeLine("5"));
    writeFileSync(path.join(sub, "unrelated.txt"), "77\n");
    const shards = new ShardDirectory({ dir: sub, snapshotName: re, codec: counter, skip: own });
    const sum = async () => (await shards.read()).reduce((a, b) => a + b, 0);
    expect(await sum(), "a (snapshot only) + b (log only)").to.equal(8);
    writeFileSync(path.join(sub, "pingpong_counter.c.txt"), "10\n");
    expect(await sum(), "c appeared").to.equal(18);
    appendFileSync(logFileOf(path.join(sub, "pingpong_counter.b.txt")), encodeLine("6"));
    expect(await sum(), "b grew").to.equal(19);
    rmSync(logFileOf(path.join(sub, "pingpong_counter.b.txt")));
    expect(await sum(), "b removed").to.equal(13);
    writeFileSync(logFileOf(path.join(sub, "pingpong_counter.b.txt")), encodeLine("2"));
    expect(await sum(), "b back, read from its start").to.equal(15);
    const everything = new ShardDirectory({ dir: sub, snapshotName: re, codec: counter });
    expect((await everything.read()).reduce((a, b) => a + b, 0), "without skip: our own too").to.equal(1015);
  });
});

describe("file store log under crashes and compaction (real processes)", function () {
  this.timeout(60_000);
  const dir = tempDir("file-log");
  let running: RoleProcess[] = [];
  const start = async (env: Record<string, string>): Promise<RoleProcess> => {
    const p = await RoleProcess.start("stats", { TRUST_PROXY: "true", ...env });
    running.push(p);
    return p;
  };
  afterEach(async function () {
    await Promise.all(running.filter((p) => !p.exited).map((p) => p.stop()));
    running = [];
  });
  after(() => dir.remove());

  it("pod: kill -9 under load, restart from the log: no answered hit lost, none counted twice", async function () {
    const stateDir = path.join(dir.path, "crash");
    let app = await start({ STATE: "pod", STATE_DIR: stateDir, ...NO_COMPACTION });
    const load = sustained(() => [app.url], 12, CLIENTS);
    await waitFor("300 hits", async () => load.count() >= 300, 20_000, 10);
    await app.kill();
    const outcomes = await load.stop();
    expect(statSync(path.join(stateDir, "stats.json.log")).size, "the hits are in the log, not only in the snapshot").to.be.greaterThan(1000);
    app = await start({ STATE: "pod", STATE_DIR: stateDir, ...NO_COMPACTION });
    const ok = outcomes.filter((o) => o.status === 200);
    const broken = outcomes.filter(mayHaveCounted);
    expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200), "answers other than 200").to.deep.equal([]);
    const view = await statsOf(app);
    expect(view.total, `${ok.length} answered, ${broken.length} cut off by the kill`).to.be.within(ok.length, ok.length + broken.length);
    for (const client of CLIENTS) {
      const mine = (list: typeof outcomes) => list.filter((o) => o.client === client).length;
      expect(view.pairs.find((p) => p.client === client)?.count, client).to.be.within(mine(ok), mine(ok) + mine(broken));
    }
  });

  it("pod: a torn record and garbage after a crash are dropped at restart (never counted), and the log is clean again", async function () {
    const stateDir = path.join(dir.path, "tail");
    const logFile = path.join(stateDir, "stats.json.log");
    let app = await start({ STATE: "pod", STATE_DIR: stateDir, ...NO_COMPACTION });
    for (let i = 0; i < 5; i++) expect((await app.get("/", A)).status).to.equal(200);
    await app.kill();
    // A crash mid-append: the next record half written (a batch that was never answered).
    const next = encodeLine(JSON.stringify([["203.0.113.9", "127.0.0.1", 6, Date.now() * 1000]]));
    appendFileSync(logFile, next.slice(0, 20));
    app = await start({ STATE: "pod", STATE_DIR: stateDir, ...NO_COMPACTION });
    expect((await statsOf(app)).total, "the torn record is not counted").to.equal(5);
    expect(readFileSync(logFile, "utf8"), "restart starts a fresh log (the tail is gone)").to.equal("");
    expect((await app.get("/", A)).status).to.equal(200);
    await app.kill();

    // A crash that left garbage (a whole line that is no record, then zeros).
    appendFileSync(logFile, "ffffffff [[\"x\",\"y\",99,1]]\n\0\0\0\0\0\0");
    app = await start({ STATE: "pod", STATE_DIR: stateDir, ...NO_COMPACTION });
    expect((await statsOf(app)).total, "garbage is not counted, the hit after the first restart is").to.equal(6);
    await app.stop();

    // Damage followed by a valid record is not a crash's tail: refuse to start, name the file.
    writeFileSync(logFile, `${encodeLine("[]").replace(/^./, "z")}${encodeLine(JSON.stringify([["203.0.113.9", "127.0.0.1", 9, 1]]))}`);
    const refused = await runToExit("stats", { STATE: "pod", STATE_DIR: stateDir, LOG_LEVEL: "warn" });
    expect(refused.code).to.equal(1);
    expect(refused.stderr + refused.stdout).to.include("stats.json.log is corrupt before its last record");
  });

  it("shared-volume: compacting all the time under load loses nothing, keeps the log bounded, and a reader replica never sees a count go down or run ahead", async function () {
    const stateDir = path.join(dir.path, "compaction");
    const writer = await start({ STATE: "shared-volume", STATE_DIR: stateDir, POD_NAME: "writer-0", POD_IP: "127.0.0.21", ...CONSTANT_COMPACTION });
    const reader = await start({ STATE: "shared-volume", STATE_DIR: stateDir, POD_NAME: "reader-0", POD_IP: "127.0.0.22" });
    const load = sustained(() => [writer.url], 12, CLIENTS);
    let reads = 0;
    let last = 0;
    let maxLog = 0;
    while (load.count() < 600) {
      const answeredBefore = load.count();
      const view = await statsOf(reader);
      const finishedAfter = load.count();
      // Every answer that had arrived before the read started is in the reader's view; at most
      // the 12 requests in flight during the read may be there too (counted, not answered yet).
      expect(view.total, `read ${reads}: every hit answered before the read`).to.be.at.least(answeredBefore);
      expect(view.total, `read ${reads}: not ahead of what was sent`).to.be.at.most(finishedAfter + 12);
      expect(view.total, `read ${reads}: a shard read mid-compaction must not drop counts`).to.be.at.least(last);
      last = view.total;
      reads++;
      const logFile = path.join(stateDir, "stats.writer-0.json.log");
      if (existsSync(logFile)) maxLog = Math.max(maxLog, statSync(logFile).size);
    }
    const outcomes = await load.stop();
    expect(outcomes.filter((o) => o.status !== 200), "requests that did not get a 200").to.deep.equal([]);
    expect(reads, "the reader read while the writer compacted").to.be.greaterThan(10);
    expect((await statsOf(reader)).total, "reader: every hit, exactly").to.equal(outcomes.length);
    expect((await statsOf(writer)).total, "writer: every hit, exactly").to.equal(outcomes.length);
    expect(maxLog, "the log stays near its bound (compacted), never the whole history").to.be.below(4096 + 2048);
    // And a restart from what compaction left on disk has the same count.
    await writer.stop();
    const again = await start({ STATE: "shared-volume", STATE_DIR: stateDir, POD_NAME: "writer-0", POD_IP: "127.0.0.21" });
    expect((await statsOf(again)).total).to.equal(outcomes.length);
  });

  it("shared-volume: a peer's torn tail is not counted by a reader, and does not stop it", async function () {
    const stateDir = path.join(dir.path, "peer-tail");
    const peer = await start({ STATE: "shared-volume", STATE_DIR: stateDir, POD_NAME: "peer-0", ...NO_COMPACTION });
    for (let i = 0; i < 3; i++) expect((await peer.get("/", A)).status).to.equal(200);
    await peer.kill();
    appendFileSync(path.join(stateDir, "stats.peer-0.json.log"), "0123abcd [[\"203.0.113.9\",");
    const reader = await start({ STATE: "shared-volume", STATE_DIR: stateDir, POD_NAME: "reader-1" });
    expect((await statsOf(reader)).total).to.equal(3);
    expect((await reader.get("/", A)).status).to.equal(200);
    expect((await statsOf(reader)).total).to.equal(4);
  });
});
