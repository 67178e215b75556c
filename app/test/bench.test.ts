import { expect } from "chai";
import path from "node:path";
import { spawnTracked } from "./helpers/processes";

const BENCH = path.resolve(__dirname, "..", "bench", "stats-bench.mjs");
const FIELDS = ["target", "connections", "reqPerSec", "p50Ms", "p99Ms", "ratioToBare", "ratioToCeiling", "countExact"];

/**
 * `npm run bench --quick --json` as a smoke: the benchmark starts every kind of target (bare,
 * a file and a Redis ceiling, the role on a file store and on Redis), prints one line per
 * target in the documented fields, and the roles' counts match the 2xx exactly. No speed is
 * asserted: the numbers depend on the machine; the ratios are for people.
 */
describe("stats benchmark (--quick smoke)", function () {
  this.timeout(120_000);

  it("prints one JSON line per target with the documented fields, ratios against bare and the ceiling, exact counts", async function () {
    const run = spawnTracked("stats-bench --quick", process.execPath, [BENCH, "--quick", "--json"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    const { code } = await run.exit;
    expect(code, run.stderr).to.equal(0);
    const rows = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.target)).to.deep.equal(["bare", "ceiling-file", "pod", "ceiling-redis", "redis"]);
    for (const r of rows) {
      expect(Object.keys(r), String(r.target)).to.deep.equal(FIELDS);
      for (const f of ["connections", "reqPerSec", "p50Ms", "p99Ms", "ratioToBare"]) expect(r[f], `${r.target}.${f}`).to.be.a("number");
      expect(r.reqPerSec as number, `${r.target} served requests`).to.be.greaterThan(0);
    }
    const byName = new Map(rows.map((r) => [r.target, r]));
    for (const baseline of ["bare", "ceiling-file", "ceiling-redis"]) {
      expect(byName.get(baseline)?.ratioToCeiling, baseline).to.equal(null);
      expect(byName.get(baseline)?.countExact, baseline).to.equal(null);
    }
    expect(byName.get("bare")?.ratioToBare).to.equal(1);
    for (const [role, ceiling] of [["pod", "ceiling-file"], ["redis", "ceiling-redis"]] as const) {
      const r = byName.get(role) as Record<string, number | boolean>;
      const c = byName.get(ceiling) as Record<string, number>;
      expect(r.countExact, `${role}: /stats grew by exactly the 2xx`).to.equal(true);
      expect(r.ratioToCeiling as number, `${role} ÷ ${ceiling}`).to.be.closeTo((r.reqPerSec as number) / (c.reqPerSec as number), 0.01);
    }
  });
});
