/**
 * `npm run bench:api` (not part of `npm test`): the seed's original against the design that
 * wins, in one run, against ONE Mongo-protocol server (FerretDB + serialising proxy, see
 * tools/ferretdb) and one redis-server, all on loopback:
 *
 *   original:  API_WRITES=direct  API_WORKERS=1 API_CACHE=none   (5 inserts + 5 reads per request)
 *   optimised: API_WRITES=batched API_WORKERS=2 API_CACHE=redis  (group commit + TTL cache)
 *
 * Both get the same scaled seed profile (default --scale 0.2: peak 2,000 VUs; --time-scale
 * 0.05: 39 s). MongoDB operations per /api/data request come from the role's own driver
 * command monitoring (api_mongo_operations_total), not from an estimate.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { metricValue as metric } from "../app/test/helpers/prom-text";
import { SEED_STAGES, scaleStages, totalDurationS } from "./profile";
import { run, type RunResult } from "./runner";
import { thresholdsOf } from "./summary";

const ROOT = path.resolve(__dirname, "..");
const MAIN = path.join(ROOT, "app", "dist", "main.js");

interface Target {
  name: string;
  env: Record<string, string>;
}

const TARGETS: Target[] = [
  { name: "original (direct, 1 worker, no cache)", env: { API_WRITES: "direct", API_WORKERS: "1", API_CACHE: "none" } },
  { name: "optimised (batched, 2 workers, redis cache)", env: { API_WRITES: "batched", API_WORKERS: "2", API_CACHE: "redis" } },
];

const children: ChildProcess[] = [];
/** Requests sent before the measured run, so the reads have documents to find. */
const SEEDED = 5;
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL")));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function startProcess(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.resume();
  child.stderr?.on("data", (c: Buffer) => process.stderr.write(`[${path.basename(command)}] ${c.toString()}`));
  children.push(child);
  return child;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

interface Row {
  name: string;
  result: RunResult;
  opsPerRequest: number;
  opsByKind: Record<string, number>;
  hitRatio: number | undefined;
  holdHitRatio: number | undefined;
  totalDocuments: number;
  ok200: number;
}

async function bench(target: Target, mongoUrl: string, redisUrl: string, stages: ReturnType<typeof scaleStages>): Promise<Row> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const db = `bench_${target.env.API_WRITES}_${Date.now()}`;
  const app = startProcess(process.execPath, [MAIN, "api"], {
    ...target.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "error",
    MONGO_URL: `${mongoUrl}${db}`,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `${db}:`,
  });
  await waitFor(`${target.name} ready`, async () => (await fetch(`${url}/readyz`)).status === 200);
  // Seed some documents so the reads have something to find, as in a running system.
  for (let i = 0; i < SEEDED; i++) await fetch(`${url}/api/data`);
  const before = await scrape(url);

  process.stderr.write(`\n=== ${target.name}\n`);
  const result = await run({ url, path: "/api/data", stages, onProgress: (l) => process.stderr.write(`${l}\n`) });

  // Requests the runner gave up on (10 s timeouts) keep running in the role, which does not
  // cancel a started write: wait until no MongoDB command has been sent for 2 s.
  let after = await scrape(url);
  for (let quiet = 0, i = 0; quiet < 2 && i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = await scrape(url);
    quiet = metric(next, "api_mongo_operations_total") === metric(after, "api_mongo_operations_total") ? quiet + 1 : 0;
    after = next;
  }
  const kinds = new Set([...after.matchAll(/^api_mongo_operations_total\{op="([^"]+)"\}/gm)].map((m) => m[1] as string));
  const opsByKind: Record<string, number> = {};
  for (const op of kinds) opsByKind[op] = metric(after, "api_mongo_operations_total", { op }) - metric(before, "api_mongo_operations_total", { op });
  const ops = Object.values(opsByKind).reduce((a, b) => a + b, 0);
  const ok200 = metric(after, "http_requests_total", { route: "/api/data", status: "200" });
  const hits = metric(after, "api_cache_lookups_total", { result: "hit" }) - metric(before, "api_cache_lookups_total", { result: "hit" });
  const misses = metric(after, "api_cache_lookups_total", { result: "miss" }) - metric(before, "api_cache_lookups_total", { result: "miss" });
  const hold = result.perStage[3];
  const totalDocuments = ((await (await fetch(`${url}/api/stats`)).json()) as { total_documents: number }).total_documents;
  // Requests whose writes the role completed (5 documents each), answered or not.
  const processed = (totalDocuments - SEEDED * 5) / 5;
  await stop(app);
  return {
    name: target.name,
    result,
    opsPerRequest: processed > 0 ? ops / processed : Number.NaN,
    opsByKind,
    hitRatio: target.env.API_CACHE === "redis" && hits + misses > 0 ? hits / (hits + misses) : undefined,
    holdHitRatio: target.env.API_CACHE === "redis" && hold && hold.requests > 0 ? hold.cached / hold.requests : undefined,
    totalDocuments,
    ok200,
  };
}

function table(rows: Row[]): string {
  const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "—" : `${(v * 100).toFixed(2)} %`);
  const header = ["config", "RPS", "p95", "p99", "failed", "error_rate", "Mongo ops/req", "cache hits (hold)", "thresholds", "total_documents vs 5 × 200s"];
  const lines = rows.map((r) => {
    const n = r.result.requests;
    const t = thresholdsOf(r.result);
    return [
      r.name,
      (n / r.result.durationS).toFixed(0),
      `${r.result.latency.p95.toFixed(0)} ms`,
      `${r.result.latency.p99.toFixed(0)} ms`,
      pct(r.result.failed / n),
      pct(r.result.checkFailures / n),
      r.opsPerRequest.toFixed(3),
      r.hitRatio === undefined ? "—" : `${pct(r.hitRatio)} (${pct(r.holdHitRatio)})`,
      t.every((x) => x.ok) ? "all pass" : `fail: ${t.filter((x) => !x.ok).map((x) => `${x.metric} ${x.expression}`).join(", ")}`,
      r.totalDocuments === 5 * r.ok200 ? `= (${r.totalDocuments})` : `${r.totalDocuments} vs ${5 * r.ok200} (writes of requests the client gave up on)`,
    ];
  });
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] as string).length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(fmt)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: process.env.BENCH_SCALE ?? "0.2" },
      "time-scale": { type: "string", default: process.env.BENCH_TIME_SCALE ?? "0.05" },
    },
  });
  const stages = scaleStages(SEED_STAGES, Number(values.scale), Number(values["time-scale"]));
  const ferretdb = process.env.STATEFLEET_FERRETDB || execFileSync(path.join(ROOT, "tools", "ferretdb", "build.sh"), { encoding: "utf8" }).trim();
  const data = mkdtempSync(path.join(os.tmpdir(), "statefleet-bench-api-"));
  try {
    const [mongoPort, redisPort] = [await freePort(), await freePort()];
    const mongo = startProcess(ferretdb, ["-listen", `127.0.0.1:${mongoPort}`, "-data-dir", data], {});
    const redis = startProcess("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {});
    await waitFor("ferretdb", async () => new Promise((resolve) => net.connect(mongoPort, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); resolve(true); }).once("error", () => resolve(false))));
    await waitFor("redis", async () => new Promise((resolve) => net.connect(redisPort, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); resolve(true); }).once("error", () => resolve(false))));
    process.stderr.write(
      `profile: ${stages.map((s) => `${s.durationS}s→${s.target}`).join(", ")} (${totalDurationS(stages)} s each), peak ${Math.max(...stages.map((s) => s.target))} VUs; ${os.cpus().length} CPUs\n`,
    );
    const rows: Row[] = [];
    for (const t of TARGETS) rows.push(await bench(t, `mongodb://127.0.0.1:${mongoPort}/`, `redis://127.0.0.1:${redisPort}`, stages));
    process.stdout.write(`\n${table(rows)}\n\n`);
    for (const r of rows) process.stdout.write(`${r.name}: MongoDB commands by kind ${JSON.stringify(r.opsByKind)}\n`);
    await Promise.all([stop(mongo), stop(redis)]);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
