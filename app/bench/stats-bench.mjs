#!/usr/bin/env node
// Throughput and latency of the stats role per state strategy, against a bare node:http
// baseline measured in the same run on the same machine. Not part of `npm test`.
//
//   npm run bench                                  # from the repo root (builds first)
//   node app/bench/stats-bench.mjs --duration 10 --connections 100 --only baseline,redis
//   BENCH_DURATION=10 BENCH_CONNECTIONS=100 BENCH_ONLY=pod node app/bench/stats-bench.mjs
//
// Every target is a separate process on loopback, driven by autocannon: a 2 s warm-up, then
// the measured run. For the exact-count check the measured run is a fixed number of requests
// (sized from the warm-up rate so it lasts about --duration seconds): a duration-bounded
// autocannon run abandons the requests in flight when time is up, and the server would
// rightly have counted some of them. The check compares the growth of GET /stats' total
// over the measured run with the 2xx autocannon received in it.

/* global AbortSignal */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, "..", "dist", "main.js");
const TARGETS = ["baseline", "pod", "shared-volume", "redis"];

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: process.env.BENCH_DURATION ?? "5" },
    connections: { type: "string", default: process.env.BENCH_CONNECTIONS ?? "50" },
    only: { type: "string", default: process.env.BENCH_ONLY ?? TARGETS.join(",") },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log("usage: stats-bench.mjs [--duration s] [--connections n] [--only baseline,pod,shared-volume,redis]");
  process.exit(0);
}
const duration = Number(args.duration);
const connections = Number(args.connections);
const only = args.only.split(",").map((s) => s.trim()).filter(Boolean);
for (const t of only) if (!TARGETS.includes(t)) fail(`unknown target ${t} (allowed: ${TARGETS.join(", ")})`);
if (!(duration > 0 && duration <= 300)) fail("--duration must be 1..300 seconds");
if (!(connections > 0 && connections <= 2000)) fail("--connections must be 1..2000");
if (!existsSync(MAIN)) fail(`${MAIN} is missing: run npm run build first`);

function fail(message) {
  console.error(`stats-bench: ${message}`);
  process.exit(2);
}

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

async function waitFor(what, check, timeoutMs = 10_000) {
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

async function startBaseline() {
  const port = await freePort();
  // The least a Node HTTP server can do: the ceiling any role on this machine can reach.
  const code = `require("node:http").createServer((q, s) => { s.setHeader("content-type", "text/plain"); s.end("ok"); }).listen(${port}, "127.0.0.1");`;
  const child = start("baseline", process.execPath, ["-e", code]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("baseline", async () => (await httpGet(url)).status === 200);
  return { url, children: [child] };
}

async function startStats(env, podName) {
  const port = await freePort();
  const child = start(`stats ${podName}`, process.execPath, [MAIN, "stats"], {
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    POD_NAME: podName,
    POD_IP: "127.0.0.11",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`stats ${podName} ready`, async () => {
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
      s.once("data", (d) => { s.destroy(); resolve(d.toString().startsWith("+PONG")); });
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

/** Starts a target; returns the URL to drive and the processes to stop afterwards. */
async function setUp(target) {
  switch (target) {
    case "baseline":
      return startBaseline();
    case "pod": {
      const s = await startStats({ STATE: "pod", STATE_DIR: tempDir("pod") }, "bench-0");
      return { url: s.url, children: [s.child] };
    }
    case "shared-volume": {
      // Two idle peers with one hit each, so every page really merges three shard files.
      const dir = tempDir("shared");
      const [main, ...peers] = await Promise.all(
        ["bench-0", "bench-1", "bench-2"].map((name) => startStats({ STATE: "shared-volume", STATE_DIR: dir }, name)),
      );
      for (const p of peers) await httpGet(`${p.url}/`);
      return { url: main.url, children: [main.child, ...peers.map((p) => p.child)] };
    }
    case "redis": {
      const redis = await startRedis();
      const s = await startStats({ STATE: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: `bench:${Date.now()}:` }, "bench-0");
      return { url: s.url, children: [s.child, redis.child] };
    }
  }
  throw new Error(`unknown target ${target}`);
}

// ---------------------------------------------------------------------------------------
// measuring

function drive(url, load) {
  const instance = autocannon({ url: `${url}/`, connections, timeout: 10, ...load });
  // Never unbounded: give up well past the expected duration.
  const guard = setTimeout(() => instance.stop(), Math.max(3 * duration, 30) * 1000);
  return instance.then((r) => {
    clearTimeout(guard);
    return r;
  });
}

async function totalOf(url) {
  const { status, body } = await httpGet(`${url}/stats`);
  if (status !== 200) throw new Error(`GET /stats answered ${status}: ${body}`);
  return JSON.parse(body).total;
}

async function measure(target) {
  const setup = await setUp(target);
  try {
    // Warm-up (JIT, connections, caches) for a fixed time; its best second calibrates the
    // rate (the first second is still compiling).
    const warm = await drive(setup.url, { duration: 2 });
    const warmRate = warm.requests.max;
    // Requests the warm-up abandoned at its deadline still finish on the server; let them.
    await new Promise((r) => setTimeout(r, 300));
    const before = target === "baseline" ? 0 : await totalOf(setup.url);
    const run = await drive(setup.url, { amount: Math.max(connections * 10, Math.round(warmRate * duration)) });
    const seconds = (run.finish - run.start) / 1000;
    const row = {
      target,
      rps: (run["2xx"] + run.non2xx) / seconds,
      p50: run.latency.p50,
      p99: run.latency.p99,
      seconds,
      ok: run["2xx"],
      bad: run.non2xx + run.errors + run.timeouts,
      check: "n/a",
    };
    if (target !== "baseline") {
      const counted = (await totalOf(setup.url)) - before;
      row.exact = counted === run["2xx"];
      row.check = row.exact ? `ok (+${counted})` : `MISMATCH: /stats +${counted} vs ${run["2xx"]} answered 2xx`;
    }
    return row;
  } finally {
    await Promise.all(setup.children.map((c) => stop(c)));
  }
}

function table(rows) {
  const base = rows.find((r) => r.target === "baseline");
  const header = ["target", "req/s", "p50 ms", "p99 ms", "vs baseline", "2xx", "non-2xx/errors", "count check"];
  const lines = rows.map((r) => [
    r.target === "baseline" ? "baseline (node:http)" : `stats STATE=${r.target}`,
    r.rps.toFixed(0),
    String(r.p50),
    String(r.p99),
    base ? `${((r.rps / base.rps) * 100).toFixed(1)}%` : "-",
    String(r.ok),
    String(r.bad),
    r.check,
  ]);
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
  console.log(
    `stats-bench: ${connections} connections, ~${duration}s per target, loopback, node ${process.version}, ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"})`,
  );
  const rows = [];
  for (const target of only) {
    process.stdout.write(`  ${target} …`);
    const row = await measure(target);
    rows.push(row);
    process.stdout.write(` ${row.rps.toFixed(0)} req/s over ${row.seconds.toFixed(1)}s\n`);
    if (row.exact === false) exitCode = 1;
  }
  console.log(`\n${table(rows)}`);
  console.log("\nlatency = autocannon's per-request time; the count check compares GET /stats with the 2xx autocannon received.");
} catch (err) {
  console.error(`stats-bench failed: ${err.stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
