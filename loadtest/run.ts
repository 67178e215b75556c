/**
 * The seed-002 load test without k6:
 *
 *   npm run loadtest -- --url http://statefleet.localhost:8080 [--scale 0.2] [--time-scale 0.1]
 *
 * Same stages (1m→1000, 2m→5000, 3m→10000, 5m hold, 2m→0), 10 s timeout, no think time,
 * thresholds and error_rate as the seed's k6 script (loadtest/api-k6.js is that script).
 * Exit code: 0 all thresholds pass, 99 a threshold failed (as k6), 1 setup failed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { SEED_STAGES, scaleStages, totalDurationS } from "./profile";
import { run } from "./runner";
import { formatSummary, thresholdsOf } from "./summary";

const USAGE = "usage: run.ts [--url BASE_URL] [--path /api/data] [--scale F] [--time-scale F]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: "string", default: process.env.BASE_URL ?? "http://localhost:8080" },
        path: { type: "string", default: "/api/data" },
        scale: { type: "string", default: "1" },
        "time-scale": { type: "string", default: "1" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scale = Number(values.scale);
  const timeScale = Number(values["time-scale"]);
  let base: URL;
  try {
    base = new URL(values.url);
    if (!["http:", "https:"].includes(base.protocol)) throw new Error("not http(s)");
  } catch {
    process.stderr.write(`--url: ${JSON.stringify(values.url)} is not an http(s) URL\n${USAGE}\n`);
    return 2;
  }
  if (!(scale > 0) || !(timeScale > 0)) {
    process.stderr.write(`--scale and --time-scale must be positive numbers\n${USAGE}\n`);
    return 2;
  }
  const stages = scaleStages(SEED_STAGES, scale, timeScale);

  // setup(): like the seed's script, refuse to start against a service that is not ready.
  try {
    const res = await fetch(new URL("/readyz", base), { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
  } catch (err) {
    process.stderr.write(`setup: GET ${new URL("/readyz", base).toString()} failed (${(err as Error).message}); is the service up?\n`);
    return 1;
  }

  process.stderr.write(
    `scenario: ${stages.map((s) => `${s.durationS.toFixed(1)}s→${s.target}`).join(", ")} (${totalDurationS(stages).toFixed(0)} s), GET ${values.path} on ${base.origin}\n`,
  );
  const result = await run({ url: base.toString(), path: values.path, stages, onProgress: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(formatSummary(result, ["ramp to " + stages[0]?.target, "ramp to " + stages[1]?.target, "ramp to " + stages[2]?.target, "hold", "ramp down"]));
  return thresholdsOf(result).every((t) => t.ok) ? 0 : 99;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
