import { expect } from "chai";
import { wantsJson, escapeHtml, formatUtc } from "../src/roles/stats/view";
import { resolveClient } from "../src/lib/client-ip";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ENV_VARIABLES, loadConfig, type ApiConfig, type StatsConfig } from "../src/lib/config";
import { FreshRead } from "../src/state/fresh-read";
import { GroupCommit, PipelinedGroups } from "../src/state/group-commit";
import { mergePairs } from "../src/state/pairs/merge";

/** In-process checks of the small pieces the process tests rely on. */
describe("building blocks", function () {
  describe("GroupCommit", function () {
    it("commits ops queued during a write as one batch and answers each in order", async function () {
      const batches: number[][] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const gc = new GroupCommit<number, string>(async (ops) => {
        batches.push(ops);
        if (batches.length === 1) await gate;
        return ops.map((o) => `r${o}`);
      });
      const first = gc.submit(1);
      const rest = [gc.submit(2), gc.submit(3), gc.submit(4)];
      release();
      expect(await Promise.all([first, ...rest])).to.deep.equal(["r1", "r2", "r3", "r4"]);
      expect(batches).to.deep.equal([[1], [2, 3, 4]]);
    });

    it("rejects every op of a failed batch and keeps serving later ones", async function () {
      let fail = true;
      const gc = new GroupCommit<number, number>(async (ops) => {
        if (fail) throw new Error("disk full");
        return ops;
      });
      const failed = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
      expect(failed.map((f) => f.status)).to.deep.equal(["rejected", "rejected"]);
      fail = false;
      expect(await gc.submit(3)).to.equal(3);
    });

    it("runs no chore once closed (a compaction after shutdown would race the next pod)", async function () {
      let writes = 0;
      const gc = new GroupCommit<number, number>(async (ops) => {
        writes++;
        return ops;
      });
      expect(await gc.submit(1)).to.equal(1);
      await gc.close();
      let ran = false;
      await gc.between(async () => {
        ran = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(ran).to.equal(false);
      expect(writes).to.equal(1);
    });

    it("runs a chore between two writes, never during one, and ops queued behind it wait for it", async function () {
      const events: string[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const gc = new GroupCommit<number, number>(async (ops) => {
        events.push(`write ${ops.join(",")} start`);
        if (ops[0] === 1) await gate;
        events.push(`write ${ops.join(",")} end`);
        return ops;
      });
      const first = gc.submit(1);
      const chore = gc.between(async () => {
        events.push("chore start");
        await new Promise((r) => setTimeout(r, 20));
        events.push("chore end");
      });
      const later = gc.submit(2);
      release();
      await Promise.all([first, chore, later]);
      expect(events).to.deep.equal(["write 1 start", "write 1 end", "chore start", "chore end", "write 2 start", "write 2 end"]);
    });

    it("a failed chore fails nothing else", async function () {
      const gc = new GroupCommit<number, number>(async (ops) => ops);
      await gc.between(async () => {
        throw new Error("compaction failed");
      });
      expect(await gc.submit(5)).to.equal(5);
    });

    it("close waits for queued work and refuses new work", async function () {
      const gc = new GroupCommit<number, number>(async (ops) => ops);
      const pending = gc.submit(7);
      await gc.close();
      expect(await pending).to.equal(7);
      await gc.submit(8).then(
        () => expect.fail("accepted after close"),
        (err: Error) => expect(err.message).to.match(/closed/),
      );
    });
  });

  describe("PipelinedGroups", function () {
    /** A server that answers each call when the test says so, in the order calls were sent. */
    function server() {
      const calls: Array<{ ops: number[]; answer: (fail?: boolean) => void }> = [];
      const send = (ops: number[]) =>
        new Promise<number[]>((resolve, reject) => calls.push({ ops, answer: (fail) => (fail ? reject(new Error("redis down")) : resolve(ops.map((o) => o * 10))) }));
      return { calls, send };
    }
    const tick = () => new Promise((r) => setImmediate(r));

    it("sends at once while fewer than maxInFlight calls travel, then groups what arrives meanwhile into one call", async function () {
      const s = server();
      const groups = new PipelinedGroups<number, number>(s.send, 2);
      const answers = [1, 2, 3, 4, 5].map((o) => groups.submit(o));
      await tick();
      expect(s.calls.map((c) => c.ops), "two travel, the rest wait").to.deep.equal([[1], [2]]);
      s.calls[0]?.answer();
      await tick();
      expect(s.calls.map((c) => c.ops), "3, 4 and 5 share the next call").to.deep.equal([[1], [2], [3, 4, 5]]);
      s.calls[1]?.answer();
      s.calls[2]?.answer();
      expect(await Promise.all(answers)).to.deep.equal([10, 20, 30, 40, 50]);
    });

    it("rejects only the ops of a failed call; the others get their answers", async function () {
      const s = server();
      const groups = new PipelinedGroups<number, number>(s.send, 1);
      // Watched from the start, as a role awaits its answer (no unhandled rejection in between).
      const all = Promise.allSettled([groups.submit(1), groups.submit(2), groups.submit(3)]);
      await tick();
      s.calls[0]?.answer(true);
      await tick();
      s.calls[1]?.answer();
      const settled = await all;
      expect(settled.map((r) => r.status)).to.deep.equal(["rejected", "fulfilled", "fulfilled"]);
      expect(s.calls.map((c) => c.ops)).to.deep.equal([[1], [2, 3]]);
    });

    it("close waits for travelling and queued calls, then refuses new work", async function () {
      const s = server();
      const groups = new PipelinedGroups<number, number>(s.send, 1);
      const pending = [groups.submit(1), groups.submit(2)];
      let closed = false;
      const closing = groups.close().then(() => (closed = true));
      await tick();
      s.calls[0]?.answer();
      await tick();
      expect(closed, "a call is still travelling").to.equal(false);
      s.calls[1]?.answer();
      await closing;
      expect(await Promise.all(pending)).to.deep.equal([10, 20]);
      await groups.submit(3).then(
        () => expect.fail("accepted after close"),
        (err: Error) => expect(err.message).to.match(/closed/),
      );
    });

    it("refuses a maxInFlight that is not a positive integer", function () {
      for (const n of [0, -1, 1.5, Number.NaN]) expect(() => new PipelinedGroups<number, number>(async (ops) => ops, n), String(n)).to.throw(/maxInFlight/);
    });
  });

  describe("FreshRead", function () {
    it("never hands a caller the result of a read that started before it asked", async function () {
      let version = 0;
      let loads = 0;
      const gates: Array<() => void> = [];
      const fr = new FreshRead(async () => {
        loads++;
        const seen = version;
        await new Promise<void>((r) => gates.push(r));
        return seen;
      });
      const early = fr.get();
      version = 1; // a write lands while the first read is running
      const late = [fr.get(), fr.get(), fr.get()];
      gates.shift()?.();
      expect(await early).to.equal(0);
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
      expect(await Promise.all(late)).to.deep.equal([1, 1, 1]);
      expect(loads, "the three late callers shared one read").to.equal(2);
    });

    it("a failed read fails only its own callers: those who asked during it get the next read", async function () {
      let loads = 0;
      const gates: Array<(fail: boolean) => void> = [];
      const fr = new FreshRead(async () => {
        const n = ++loads;
        const fail = await new Promise<boolean>((r) => gates.push(r));
        if (fail) throw new Error(`read ${n} failed`);
        return n;
      });
      const early = fr.get();
      const late = fr.get();
      gates.shift()?.(true);
      const failure = await early.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(String(failure)).to.contain("read 1 failed");
      await new Promise((r) => setImmediate(r));
      gates.shift()?.(false);
      expect(await late).to.equal(2);
    });

    it("round after round, each caller sees every write that finished before it asked", async function () {
      let version = 0;
      let loads = 0;
      const fr = new FreshRead(async () => {
        loads++;
        await new Promise((r) => setImmediate(r));
        return version;
      });
      for (let round = 1; round <= 4; round++) {
        version = round;
        const before = loads;
        const got = fr.get();
        expect(loads, `round ${round}: with no read running, the read starts at once`).to.equal(before + 1);
        // a second caller while that read runs waits for a read of its own…
        const during = fr.get();
        version = round * 10;
        expect(await got).to.be.oneOf([round, round * 10]);
        expect(await during, `round ${round}`).to.equal(round * 10);
      }
      expect(loads).to.equal(8);
    });
  });

  describe("mergePairs", function () {
    it("sums the same pair across shards, keeps the latest hit, orders oldest first", function () {
      const merged = mergePairs(
        [{ client: "a", server: "s1", count: 2, lastSeenUs: 10 }, { client: "b", server: "s1", count: 1, lastSeenUs: 30 }],
        [{ client: "a", server: "s1", count: 3, lastSeenUs: 40 }, { client: "c", server: "s2", count: 1, lastSeenUs: 20 }],
      );
      expect(merged.map((p) => `${p.client}@${p.server}:${p.count}:${p.lastSeenUs}`)).to.deep.equal([
        "c@s2:1:20",
        "b@s1:1:30",
        "a@s1:5:40",
      ]);
    });
  });

  describe("stats view helpers", function () {
    it("negotiates JSON only when asked for", function () {
      expect(wantsJson("json", undefined)).to.equal(true);
      expect(wantsJson(undefined, "application/json")).to.equal(true);
      expect(wantsJson(undefined, "text/html, application/json;q=0.5")).to.equal(false);
      expect(wantsJson(undefined, "application/json;q=0")).to.equal(false);
      expect(wantsJson(undefined, "*/*")).to.equal(false);
      expect(wantsJson("html", "application/json")).to.equal(false);
      // Quality values, spaces and case as browsers and curl send them.
      expect(wantsJson(undefined, "Text/HTML;q=0.4, Application/JSON ; Q=0.5")).to.equal(true);
      expect(wantsJson(undefined, "application/json; charset=utf-8; q=0.9, text/html")).to.equal(false);
      expect(wantsJson(undefined, "application/json;q=0.5, text/html;q=0.5"), "a tie goes to JSON").to.equal(true);
      expect(wantsJson(undefined, "application/json;q=0.5, text/html;q=abc"), "an unreadable quality is ignored").to.equal(true);
      expect(wantsJson(undefined, "application/json;level=1, text/html;q=0.9")).to.equal(true);
      expect(wantsJson(undefined, "text/plain;q=1, application/json;q=0.2")).to.equal(true);
    });

    it("escapes every HTML-significant character and formats UTC", function () {
      expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
      expect(formatUtc(Date.UTC(2026, 10, 21, 10, 0, 5, 999) * 1000)).to.equal("2026-11-21 10:00:05");
      for (const c of ["&", "<", ">", '"', "'"]) expect(escapeHtml(`a${c}b`), c).to.not.include(c === "&" ? "a&b" : c);
      expect(escapeHtml("10.0.0.7, proxy")).to.equal("10.0.0.7, proxy");
      expect(escapeHtml(`<>&"'`), "a string of nothing but significant characters").to.equal("&lt;&gt;&amp;&quot;&#39;");
    });

    it("formats each second as its own time, whatever came before (the last second's text is cached)", function () {
      const base = Date.UTC(2026, 10, 21, 23, 59, 59, 0) * 1000;
      const seen = [base, base + 999_999, base + 1_000_000, base - 1, base + 500_000].map(formatUtc);
      expect(seen).to.deep.equal(["2026-11-21 23:59:59", "2026-11-21 23:59:59", "2026-11-22 00:00:00", "2026-11-21 23:59:58", "2026-11-21 23:59:59"]);
    });
  });

  describe("resolveClient", function () {
    const req = (xff?: string) => ({ headers: xff === undefined ? {} : { "x-forwarded-for": xff }, socket: { remoteAddress: "::ffff:10.42.0.5" } });
    it("uses the socket (IPv4-mapped shown as IPv4) unless the proxy is trusted", function () {
      expect(resolveClient(req("1.2.3.4"), false)).to.deep.equal({ ok: true, client: "10.42.0.5" });
      expect(resolveClient(req(), true)).to.deep.equal({ ok: true, client: "10.42.0.5" });
      expect(resolveClient(req(" 1.2.3.4 , 10.0.0.1"), true)).to.deep.equal({ ok: true, client: "1.2.3.4" });
      expect(resolveClient(req("\u00001.2.3.4x\u0007y"), true).ok).to.equal(false);
    });
  });

  describe("loadConfig", function () {
    it("applies the contract's defaults", function () {
      const c = loadConfig("stats", { POD_NAME: "stats-0", POD_IP: "10.0.0.1" }) as StatsConfig;
      expect(c).to.deep.include({ port: 8080, host: "0.0.0.0", trustProxy: false, shutdownTimeoutMs: 20000, shutdownDelayMs: 0 });
      expect(c.store).to.deep.include({ kind: "pod", stateDir: "/var/lib/statefleet", podName: "stats-0" });
    });

    it("documents every environment variable it reads in docs/app.md", function () {
      const doc = readFileSync(path.resolve(__dirname, "..", "..", "docs", "app.md"), "utf8");
      expect(ENV_VARIABLES.filter((v) => !doc.includes(`| \`${v}\` |`))).to.deep.equal([]);
    });

    it("applies the api role's contract defaults and takes the database from MONGO_URL's path", function () {
      const c = loadConfig("api", { MONGO_URL: "mongodb://app:pw@mongo:27017/statefleet?authSource=statefleet", REDIS_URL: "redis://r:6379", POD_NAME: "api-0", POD_IP: "10.0.0.1" }) as ApiConfig;
      expect(c).to.deep.include({ writes: "batched", batchMaxDocs: 500, batchMaxWaitMs: 5, queueMaxDocs: 20000, workers: 1 });
      expect(c.mongo).to.deep.include({ database: "statefleet", timeoutMs: 2000 });
      expect(c.cache).to.deep.include({ kind: "redis", ttlSeconds: 5 });
      expect(c.cache.kind === "redis" && c.cache.redis.keyPrefix).to.equal("statefleet:api:");
    });

    it("gives logoutput pingpong's Redis key prefix, so it reads the counter pingpong writes", function () {
      const c = loadConfig("logoutput", { STATE: "redis", REDIS_URL: "redis://r:6379", POD_NAME: "l", POD_IP: "10.0.0.1" });
      expect(c.role === "logoutput" && c.source.kind === "store" && c.source.store.redis?.keyPrefix).to.equal("statefleet:pingpong:");
    });
  });
});
