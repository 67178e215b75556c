#!/usr/bin/env node
// Throughput and latency of the stats and pingpong roles per state strategy, each against
//  - a bare node:http server ("bare"), and
//  - its FAIR CEILING: a bare node:http server doing the same durable work per request and
//    nothing else (ceiling.mjs: a group-committed append + fdatasync for the file strategies,
//    the same Lua script for stats on Redis, INCRBY for pingpong on Redis, grouped as the roles
//    group them),
// all measured in the same run on the same machine, at several connection counts (commit-bound
// throughput grows with concurrency). Not part of `npm test` (only `--quick` is, as a smoke).
//
//   npm run bench                                        # from the repo root (builds first)
//   node app/bench/stats-bench.mjs --duration 2 --rounds 3 --connections 50,400 --only bare,ceiling-file,pod
//   node app/bench/stats-bench.mjs --json                # one JSON line per measured target
//   node app/bench/stats-bench.mjs --quick --json        # a seconds-long smoke run
//   node app/bench/stats-bench.mjs --cpu-prof /tmp/prof  # roles and ceilings write .cpuprofile files
//   (or BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_ONLY)
//
// Every target is a separate process on loopback, driven by autocannon; all targets of one
// connection count run side by side and are measured in interleaved rounds (see measureAll),
// each slice a warm-up, then the measured run. For the exact-count check the measured run is a fixed number of requests
// (sized from the warm-up rate so it lasts about --duration seconds): a duration-bounded
// autocannon run abandons the requests in flight when time is up, and the server would
// rightly have counted some of them. The check compares the growth of the role's own count
// (GET /stats' total, GET /pings) over the measured run with the 2xx autocannon received.

/* global AbortSignal */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, "..", "dist", "main.js");
const CEILING = path.join(here, "ceiling.mjs");

/** Every target, in run order; a role's ceiling runs right before it (a loaded machine drifts). */
const TARGETS = {
  bare: { kind: "bare" },
  "ceiling-file": { kind: "ceiling", ceiling: "file" },
  pod: { kind: "role", role: "stats", state: "pod", ceiling: "ceiling-file" },
  "pingpong-pod": { kind: "role", role: "pingpong", state: "pod", ceiling: "ceiling-file" },
  // A shared volume is a network filesystem in a cluster: the role keeps every syscall off the
  // event loop there, so its ceiling does the same (shard-log.ts, `io: "network"`).
  "ceiling-file-pool": { kind: "ceiling", ceiling: "file-pool" },
  "shared-volume": { kind: "role", role: "stats", state: "shared-volume", ceiling: "ceiling-file-pool" },
  "pingpong-shared-volume": { kind: "role", role: "pingpong", state: "shared-volume", ceiling: "ceiling-file-pool" },
  "ceiling-redis": { kind: "ceiling", ceiling: "redis-lua" },
  redis: { kind: "role", role: "stats", state: "redis", ceiling: "ceiling-redis" },
  "ceiling-redis-incr": { kind: "ceiling", ceiling: "redis-incr" },
  "pingpong-redis": { kind: "role", role: "pingpong", state: "redis", ceiling: "ceiling-redis-incr" },
};
const QUICK = { duration: "1", connections: "10", only: "bare,ceiling-file,pod,ceiling-redis,redis" };
// Default: 3 rounds of ~2 s per target and connection count (a 2-core shared machine).

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: process.env.BENCH_DURATION },
    connections: { type: "string", default: process.env.BENCH_CONNECTIONS },
    only: { type: "string", default: process.env.BENCH_ONLY },
    rounds: { type: "string", default: process.env.BENCH_ROUNDS },
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(
    "usage: stats-bench.mjs [--duration s] [--rounds n] [--connections n,n] [--only target,…] [--quick] [--json] [--cpu-prof dir]\n" +
      `targets: ${Object.keys(TARGETS).join(", ")}`,
  );
  process.exit(0);
}
const duration = Number(args.duration ?? (args.quick ? QUICK.duration : "2"));
const connectionCounts = (args.connections ?? (args.quick ? QUICK.connections : "50,400")).split(",").map(Number);
const only = (args.only ?? (args.quick ? QUICK.only : Object.keys(TARGETS).join(","))).split(",").map((s) => s.trim()).filter(Boolean);
const warmUpSeconds = args.quick ? 0.5 : 1;
const rounds = Number(args.rounds ?? (args.quick ? "1" : "3"));
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) fail("--rounds must be 1..20");
for (const t of only) if (!(t in TARGETS)) fail(`unknown target ${t} (allowed: ${Object.keys(TARGETS).join(", ")})`);
if (!(duration > 0 && duration <= 300)) fail("--duration must be 1..300 seconds");
for (const c of connectionCounts) if (!(Number.isInteger(c) && c > 0 && c <= 2000)) fail("--connections must be a list of 1..2000");
if (!existsSync(MAIN)) fail(`${MAIN} is missing: run npm run build first`);

function fail(message) {
  console.error(`stats-bench: ${message}`);
  process.exit(2);
}

/** Progress goes to stderr with --json, so stdout is exactly one JSON line per target. */
const progress = (text) => (args.json ? process.stderr : process.stdout).write(text);

// ---------------------------------------------------------------------------------------
// processes

const children = new Set();
const tempDirs = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(label, command, argv, env = {}) {
  const child = spawn(command, argv, { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr = (stderr + c).slice(-4000)));
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.label = label;
  child.stderrText = () => stderr;
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

async function stop(child, timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function httpGet(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

async function waitServing(child, url) {
  await waitFor(`${child.label} to answer`, async () => {
    if (child.exitCode !== null) throw new Error(`${child.label} exited: ${child.stderrText()}`);
    return (await httpGet(url)).status === 200;
  });
}

async function startBare() {
  const port = await freePort();
  // The least a Node HTTP server can do.
  const code = `require("node:http").createServer((q, s) => { s.setHeader("content-type", "text/plain"); s.end("ok"); }).listen(${port}, "127.0.0.1");`;
  const child = start("bare", process.execPath, ["-e", code]);
  const url = `http://127.0.0.1:${port}`;
  await waitServing(child, `${url}/readyz`);
  return { url, path: "/", children: [child] };
}

async function startCeiling(kind) {
  const port = await freePort();
  const file = kind === "file" || kind === "file-pool";
  const where = file ? tempDir("ceiling") : undefined;
  const redis = file ? undefined : await startRedis();
  const child = start(`ceiling ${kind}`, process.execPath, [...profArgs(`ceiling-${kind}`), CEILING, kind, String(port), where ?? redis.url]);
  const url = `http://127.0.0.1:${port}`;
  await waitServing(child, `${url}/`);
  return { url, path: "/", children: [child, ...(redis ? [redis.child] : [])] };
}

function profArgs(label) {
  return args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${args["cpu-prof"]}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : [];
}

async function startRole(role, env, podName, label) {
  const port = await freePort();
  const child = start(`${role} ${podName}`, process.execPath, [...profArgs(label), MAIN, role], {
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    POD_NAME: podName,
    POD_IP: "127.0.0.11",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${role} ${podName} ready`, async () => {
    if (child.exitCode !== null) throw new Error(child.stderrText());
    return (await httpGet(`${url}/readyz`)).status === 200;
  });
  return { url, child };
}

async function startRedis() {
  const port = await freePort();
  const child = start("redis-server", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  await waitFor("redis-server", () =>
    new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => s.write("PING\r\n"));
      s.once("data", (d) => {
        s.destroy();
        resolve(d.toString().startsWith("+PONG"));
      });
      s.once("error", () => resolve(false));
    }),
  );
  return { url: `redis://127.0.0.1:${port}`, child };
}

function tempDir(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `statefleet-bench-${name}-`));
  tempDirs.push(dir);
  return dir;
}

/** Starts a role target; returns the URL to drive, how to read its count, and its processes. */
async function setUpRole(name, { role, state }) {
  const path_ = role === "stats" ? "/" : "/pingpong";
  const count = role === "stats" ? async (url) => JSON.parse(await okBody(`${url}/stats`)).total : async (url) => Number(await okBody(`${url}/pings`));
  if (state === "redis") {
    const redis = await startRedis();
    const s = await startRole(role, { STATE: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: `bench:${Date.now()}:` }, "bench-0", name);
    return { url: s.url, path: path_, count, children: [s.child, redis.child] };
  }
  const dir = tempDir(name);
  if (state === "pod") {
    const s = await startRole(role, { STATE: "pod", STATE_DIR: dir }, "bench-0", name);
    return { url: s.url, path: path_, count, children: [s.child] };
  }
  if (role === "pingpong") {
    // pingpong on a shared volume is one writer; a replaced pod's shard is still summed.
    writeFileSync(path.join(dir, "pingpong_counter.bench-old.txt"), "5\n");
    const s = await startRole(role, { STATE: "shared-volume", STATE_DIR: dir }, "bench-0", name);
    return { url: s.url, path: path_, count, children: [s.child] };
  }
  // Two idle peers with one hit each, so every page really merges three shards.
  const [main, ...peers] = await Promise.all(
    ["bench-0", "bench-1", "bench-2"].map((pod) => startRole(role, { STATE: "shared-volume", STATE_DIR: dir }, pod, `${name}-${pod}`)),
  );
  for (const p of peers) await httpGet(`${p.url}/`);
  return { url: main.url, path: path_, count, children: [main.child, ...peers.map((p) => p.child)] };
}

async function okBody(url) {
  const { status, body } = await httpGet(url);
  if (status !== 200) throw new Error(`GET ${url} answered ${status}: ${body}`);
  return body;
}

function setUp(name) {
  const t = TARGETS[name];
  if (t.kind === "bare") return startBare();
  if (t.kind === "ceiling") return startCeiling(t.ceiling);
  return setUpRole(name, t);
}

// ---------------------------------------------------------------------------------------
// measuring

function drive(url, connections, load) {
  const instance = autocannon({ url, connections, timeout: 10, ...load });
  // Never unbounded: give up well past the expected duration.
  const guard = setTimeout(() => instance.stop(), Math.max(3 * duration, 20) * 1000);
  return instance.then((r) => {
    clearTimeout(guard);
    return r;
  });
}

/**
 * CPU seconds (user + system) the target's processes used so far, from /proc (Linux; undefined
 * elsewhere). Per request it is the cost of the work itself, which a loaded machine changes far
 * less than it changes req/s: the table shows it next to the rates.
 */
function cpuSeconds(children) {
  let ticks = 0;
  for (const c of children) {
    try {
      // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
      const fields = readFileSync(`/proc/${c.pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }
  return ticks / 100;
}

/** Waits until the role's count stops moving: requests a warm-up abandoned still finish. */
async function settle(setup) {
  if (!setup.count) return undefined;
  let last = await setup.count(setup.url);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await setup.count(setup.url);
    if (now === last) return now;
    last = now;
  }
  throw new Error("the count kept moving after the load stopped");
}

/** One measured slice of one target: warm-up, then a fixed number of requests. */
async function slice(name, setup, connections, warmUp) {
  const url = `${setup.url}${setup.path}`;
  const warm = await drive(url, connections, { duration: warmUp });
  const warmRate = Math.max(warm.requests.average, (warm["2xx"] ?? 0) / warmUp, 1);
  const before = await settle(setup);
  const cpuBefore = cpuSeconds(setup.children);
  const run = await drive(url, connections, { amount: Math.max(connections * 5, Math.round(warmRate * duration)) });
  const seconds = (run.finish - run.start) / 1000;
  const cpuAfter = cpuSeconds(setup.children);
  const cpuUsPerReq = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / Math.max(run["2xx"], 1);
  const counted = setup.count ? (await settle(setup)) - before : undefined;
  return { cpuUsPerReq, reqPerSec: run["2xx"] / seconds, p50Ms: run.latency.p50, p99Ms: run.latency.p99, seconds, ok: run["2xx"], bad: run.non2xx + run.errors + run.timeouts, counted };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Every target of one connection count, started once and measured in ROUNDS: each round
 * drives every target in turn for a short slice, and a target's figure is its median slice.
 * On a shared, loaded machine the load drifts within seconds; interleaving keeps a role and
 * its ceiling measured under the same conditions, and the median drops a slice that hit a spike.
 */
async function measureAll(names, connections) {
  const setups = new Map();
  try {
    for (const name of names) setups.set(name, await setUp(name));
    const slices = new Map(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const s = await slice(name, setups.get(name), connections, round === 0 ? warmUpSeconds : warmUpSeconds / 2);
        slices.get(name).push(s);
        progress(`  ${name} @${connections} round ${round + 1}/${rounds}: ${s.reqPerSec.toFixed(0)} req/s\n`);
      }
    }
    return names.map((name) => {
      const list = slices.get(name);
      const mid = list.find((s) => s.reqPerSec === median(list.map((x) => x.reqPerSec)));
      const sum = (f) => list.reduce((a, s) => a + (s[f] ?? 0), 0);
      return {
        target: name,
        connections,
        reqPerSec: mid.reqPerSec,
        cpuUsPerReq: list.some((s) => s.cpuUsPerReq === undefined) ? undefined : median(list.map((s) => s.cpuUsPerReq)),
        p50Ms: mid.p50Ms,
        p99Ms: mid.p99Ms,
        seconds: sum("seconds"),
        ok: sum("ok"),
        bad: sum("bad"),
        counted: setups.get(name).count ? sum("counted") : undefined,
        exact: list.every((s) => s.counted === undefined || (s.counted === s.ok && s.bad === 0)),
      };
    });
  } finally {
    await Promise.all([...setups.values()].flatMap((s) => s.children.map((c) => stop(c))));
  }
}

/** The JSON line, exactly these fields. */
function jsonLine(row, rows) {
  const t = TARGETS[row.target];
  const bare = rows.find((r) => r.target === "bare" && r.connections === row.connections);
  const ceiling = t.kind === "role" ? rows.find((r) => r.target === t.ceiling && r.connections === row.connections) : undefined;
  const ratio = (base) => (base ? round(row.reqPerSec / base.reqPerSec, 3) : null);
  return {
    target: row.target,
    connections: row.connections,
    reqPerSec: round(row.reqPerSec, 1),
    p50Ms: row.p50Ms,
    p99Ms: row.p99Ms,
    ratioToBare: row.target === "bare" ? 1 : ratio(bare),
    ratioToCeiling: t.kind === "role" ? ratio(ceiling) : null,
    countExact: t.kind === "role" ? row.exact : null,
  };
}

const round = (x, digits) => Number(x.toFixed(digits));
const pct = (x) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);

function table(rows) {
  const header = ["target", "conns", "req/s", "p50 ms", "p99 ms", "vs bare", "vs ceiling", "ceiling", "CPU µs/req", "CPU ceiling÷role", "2xx", "non-2xx/errors", "count check"];
  const lines = rows.map((r) => {
    const j = jsonLine(r, rows);
    const t = TARGETS[r.target];
    const c = t.kind === "role" ? rows.find((x) => x.target === t.ceiling && x.connections === r.connections) : undefined;
    const cpuRatio = c?.cpuUsPerReq !== undefined && r.cpuUsPerReq ? c.cpuUsPerReq / r.cpuUsPerReq : null;
    return [
      t.kind === "role" ? `${t.role} STATE=${t.state}` : t.kind === "bare" ? "bare (node:http)" : `${r.target} (bare + ${t.ceiling})`,
      String(r.connections),
      r.reqPerSec.toFixed(0),
      String(r.p50Ms),
      String(r.p99Ms),
      pct(j.ratioToBare),
      pct(j.ratioToCeiling),
      t.kind === "role" ? t.ceiling : "-",
      r.cpuUsPerReq === undefined ? "-" : r.cpuUsPerReq.toFixed(0),
      pct(cpuRatio),
      String(r.ok),
      String(r.bad),
      j.countExact === null ? "n/a" : j.countExact ? `ok (+${r.counted})` : `MISMATCH: +${r.counted} counted vs ${r.ok} 2xx, ${r.bad} failed`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(fmt)].join("\n");
}

async function cleanup() {
  await Promise.all([...children].map((c) => stop(c, 5000)));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

let exitCode = 0;
try {
  progress(
    `stats-bench: ${connectionCounts.join(" and ")} connections, ${rounds} rounds of ~${duration}s per target, loopback, node ${process.version}, ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`,
  );
  const rows = [];
  for (const connections of connectionCounts) {
    // A ratio needs its base measured in the same run: bare and the ceilings always run.
    const needed = new Set(only);
    for (const t of only) if (TARGETS[t].kind === "role") needed.add(TARGETS[t].ceiling);
    needed.add("bare");
    const measured = await measureAll(Object.keys(TARGETS).filter((t) => needed.has(t)), connections);
    rows.push(...measured);
    for (const row of measured) {
      const line = jsonLine(row, rows);
      if (args.json) console.log(JSON.stringify(line));
      if (line.countExact === false) exitCode = 1;
    }
  }
  if (!args.json) {
    console.log(`\n${table(rows)}`);
    console.log(
      "\nvs bare = req/s ÷ the bare node:http server's; vs ceiling = req/s ÷ the same durable work done by a bare server" +
        "\n(ceiling-file: one record per request, one write + fdatasync per group commit, the write synchronous as the pod" +
        "\nstrategy's is on local disk; ceiling-file-pool: the same with the write in the thread pool, as shared-volume does on" +
        "\na network filesystem; ceiling-redis: the stats Lua script, ceiling-redis-incr: INCRBY, each one call per group of requests\nas the roles group them). Latency = autocannon's per-request time; the count check compares" +
        "\nthe role's own count (GET /stats total, GET /pings) before and after the run with the 2xx autocannon received." +
        "\nCPU µs/req = user+system CPU of the target's processes (role or ceiling, plus its redis-server and shared-volume" +
        "\npeers) per 2xx, median round: on a loaded machine it moves far less than req/s.",
    );
  }
} catch (err) {
  console.error(`stats-bench failed: ${err.stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
