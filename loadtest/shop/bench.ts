/**
 * The course's 2022 stress mix against the local shop (or any gateway):
 *
 *   npm run bench:shop -- [--users 100,1000] [--duration 30] [--state redis|mongo] [--replicas 2]
 *                         [--url http://127.0.0.1:8000] [--wait 1,3] [--json]
 *
 * Without --url it starts `shop:local` itself (own store, replicas, nginx) on a free port and stops
 * it afterwards. For each user count: a bounded run of the mix (loadtest/shop/mix.ts), then every
 * item, user and checked-out order the run touched read back and checked (consistency figures).
 * Prints a table, or with --json one JSON line per user count. Exit 0 when every run had no
 * inconsistency, 99 when one had, 1 when the shop could not start, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { replicasFlag, runCli, stateFlag, UsageError } from "./cli";
import { start, type ShopLocal } from "./local";
import { runMix, verifyLedger, type Consistency, type MixResult } from "./mix";

const USAGE = "usage: npm run bench:shop -- [--users 100,1000] [--duration 30] [--state redis|mongo] [--replicas 2] [--url URL] [--wait MIN,MAX] [--json]";

export interface BenchLine {
  users: number;
  durationS: number;
  requests: number;
  unexpectedFailures: number;
  unexpectedFailureRate: number;
  courseFailures: number;
  courseFailureRate: number;
  meanMs: number;
  p95Ms: number;
  p99Ms: number;
  requestsPerS: number;
  checkouts: number;
  checkoutsPerS: number;
  mustFailChecked: number;
  consistency: Omit<Consistency, "samples">;
  inconsistencies: number;
  samples: string[];
}

export function benchLine(r: MixResult, c: Consistency): BenchLine {
  const { samples, ...consistency } = c;
  return {
    users: r.users,
    durationS: round(r.durationS, 1),
    requests: r.requests,
    unexpectedFailures: r.unexpected,
    unexpectedFailureRate: r.requests ? r.unexpected / r.requests : 0,
    courseFailures: r.courseFailures,
    courseFailureRate: r.requests ? r.courseFailures / r.requests : 0,
    meanMs: round(r.latency.mean, 1),
    p95Ms: round(r.latency.p95, 1),
    p99Ms: round(r.latency.p99, 1),
    requestsPerS: round(r.requests / r.durationS, 1),
    checkouts: r.checkouts,
    checkoutsPerS: round(r.checkouts / r.durationS, 2),
    mustFailChecked: r.mustFailChecked,
    consistency,
    inconsistencies: c.stockMismatches + c.negativeStock + c.creditMismatches + c.answerMismatches,
    samples: [...r.errorSamples, ...samples],
  };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

function table(lines: BenchLine[]): string {
  const rows: [string, (l: BenchLine) => string][] = [
    ["users", (l) => String(l.users)],
    ["duration", (l) => `${l.durationS} s`],
    ["requests", (l) => String(l.requests)],
    ["unexpected failure rate", (l) => `${pct(l.unexpectedFailureRate)} (${l.unexpectedFailures})`],
    ["course (Locust) failure rate", (l) => `${pct(l.courseFailureRate)} (${l.courseFailures})`],
    ["mean latency", (l) => `${l.meanMs} ms`],
    ["p95 latency", (l) => `${l.p95Ms} ms`],
    ["requests/s", (l) => String(l.requestsPerS)],
    ["checkouts/s (2xx)", (l) => `${l.checkoutsPerS} (${l.checkouts})`],
    ["must-fail checkouts", (l) => String(l.mustFailChecked)],
    ["checked: items/users/orders", (l) => `${l.consistency.itemsChecked}/${l.consistency.usersChecked}/${l.consistency.ordersChecked}`],
    ["inconsistencies", (l) => `${l.inconsistencies} (stock ${l.consistency.stockMismatches}, negative ${l.consistency.negativeStock}, credit ${l.consistency.creditMismatches}, answer≠paid ${l.consistency.answerMismatches})`],
  ];
  const w = Math.max(...rows.map(([h]) => h.length));
  return rows.map(([h, f]) => `${h.padEnd(w)}  ${lines.map(f).join("  |  ")}`).join("\n") + "\n";
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      users: { type: "string", default: "100,1000" },
      duration: { type: "string", default: "30" },
      state: { type: "string", default: "redis" },
      replicas: { type: "string", default: "2" },
      url: { type: "string" },
      wait: { type: "string", default: "1,3" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const users = values.users.split(",").map(Number);
  const duration = Number(values.duration);
  const [waitMin, waitMax] = values.wait.split(",").map(Number) as [number, number];
  if (users.some((u) => !Number.isInteger(u) || u < 1 || u > 5000)) throw new UsageError(`--users: ${JSON.stringify(values.users)} must be whole numbers from 1 to 5000, comma-separated`);
  if (!(duration > 0 && duration <= 600)) throw new UsageError(`--duration: ${JSON.stringify(values.duration)} must be seconds, more than 0 and at most 600`);
  if (!(waitMin >= 0 && waitMax >= waitMin)) throw new UsageError(`--wait: ${JSON.stringify(values.wait)} must be MIN,MAX seconds with 0 ≤ MIN ≤ MAX`);
  const state = stateFlag(values.state);
  const replicas = replicasFlag(values.replicas);

  let shop: ShopLocal | undefined;
  let url = values.url;
  if (!url) {
    try {
      shop = await start({ state, replicas, onEvent: (l) => process.stderr.write(`shop:local: ${l}\n`) });
    } catch (err) {
      process.stderr.write(`bench:shop: could not start the local shop: ${(err as Error).message}\n`);
      return 1;
    }
    url = shop.url;
    process.stderr.write(`bench:shop: local shop (${state}, ${replicas} replicas per service) at ${url}\n`);
  }
  const lines: BenchLine[] = [];
  try {
    for (const u of users) {
      process.stderr.write(`bench:shop: ${u} users for ${duration} s (wait ${waitMin}-${waitMax} s between steps)…\n`);
      const result = await runMix({ url, users: u, durationS: duration, waitMinS: waitMin, waitMaxS: waitMax });
      process.stderr.write(`bench:shop: checking ${result.ledger.items.size} items, ${result.ledger.users.size} users, ${result.ledger.checkouts.length} orders…\n`);
      const line = benchLine(result, await verifyLedger(url, result.ledger));
      lines.push(line);
      if (values.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await shop?.stop();
  }
  if (!values.json) {
    process.stdout.write(table(lines));
    for (const l of lines) for (const s of l.samples) process.stdout.write(`  ${l.users} users: ${s}\n`);
  }
  return lines.every((l) => l.inconsistencies === 0) ? 0 : 99;
}

if (require.main === module) runCli(USAGE, main);
