import * as hdr from "hdr-histogram-js";
import { Agent, request } from "undici";
import { GRACEFUL_STOP_MS, REQUEST_TIMEOUT_MS, checkFails, requestFailed, stageAt, totalDurationS, vusAt, type Stage } from "./profile";

/**
 * A closed-model virtual-user runner, like k6's ramping-vus executor: each VU loops
 * "send GET, wait for the whole answer, repeat" with no think time; the number of VUs follows
 * the stages linearly; a VU ramped down finishes its current request first. undici does the
 * HTTP (keep-alive connections, one per busy VU), hdr-histogram-js the latency percentiles.
 */
export interface RunOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 or http://assessment.local. */
  url: string;
  /** Path each iteration requests; the seed's is /api/data. */
  path: string;
  stages: readonly Stage[];
  timeoutMs?: number;
  gracefulStopMs?: number;
  /** Called about every `progressEveryMs` with a one-line status (k6's "running (…)" line). */
  onProgress?: (line: string) => void;
  progressEveryMs?: number;
}

export interface StageStats {
  requests: number;
  errors: number;
  /** Answers whose JSON had `cached: true` (the api role's cache hits). */
  cached: number;
}

export interface RunResult {
  durationS: number;
  requests: number;
  failed: number;
  checkFailures: number;
  vusMax: number;
  /** Latency percentiles and extremes in milliseconds (all answered or timed-out requests). */
  latency: { avg: number; min: number; med: number; max: number; p90: number; p95: number; p99: number };
  perStage: StageStats[];
  /** The first few transport errors, for the summary. */
  errorSamples: string[];
}

interface Vu {
  stop: boolean;
  done: Promise<void>;
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const total = totalDurationS(opts.stages);
  const url = new URL(opts.path, opts.url).toString();
  // Connections: as many as there are VUs at once (null = unlimited), kept alive between iterations.
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const perStage: StageStats[] = opts.stages.map(() => ({ requests: 0, errors: 0, cached: 0 }));
  const errorSamples: string[] = [];
  const interrupt = new AbortController();
  let requests = 0;
  let failed = 0;
  let checkFailures = 0;
  let vusMax = 0;
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;

  const iteration = async (): Promise<void> => {
    const t0 = performance.now();
    const stage = Math.min(stageAt(opts.stages, elapsedS()), opts.stages.length - 1);
    let status: number | undefined;
    let body: string | undefined;
    try {
      const res = await request(url, {
        dispatcher: agent,
        method: "GET",
        headers: { accept: "application/json" },
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), interrupt.signal]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      body = await res.body.text();
    } catch (err) {
      if (interrupt.signal.aborted) return; // interrupted after gracefulStop: not a sample, as in k6
      if (errorSamples.length < 5) errorSamples.push(`${(err as Error).name}: ${(err as Error).message}`);
    }
    const ms = performance.now() - t0;
    histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    requests++;
    const s = perStage[Math.max(0, stage)] as StageStats;
    s.requests++;
    if (requestFailed(status)) failed++;
    if (checkFails(status, body, ms)) {
      checkFailures++;
      s.errors++;
    }
    if (status === 200 && body?.includes('"cached":true')) s.cached++;
  };

  const vus: Vu[] = [];
  const startVu = (): Vu => {
    const vu: Vu = { stop: false, done: Promise.resolve() };
    vu.done = (async () => {
      while (!vu.stop && !interrupt.signal.aborted) await iteration();
    })();
    return vu;
  };

  let lastProgress = 0;
  const progressEvery = opts.progressEveryMs ?? 5000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = elapsedS();
      const active = vus.filter((v) => !v.stop);
      const target = t >= total ? 0 : vusAt(opts.stages, t);
      for (let i = active.length; i < target; i++) vus.push(startVu());
      // Ramp down: the newest VUs stop after their current request.
      for (let i = active.length - 1; i >= target; i--) (active[i] as Vu).stop = true;
      vusMax = Math.max(vusMax, Math.min(target, vus.filter((v) => !v.stop).length));
      if (opts.onProgress && performance.now() - lastProgress >= progressEvery) {
        lastProgress = performance.now();
        opts.onProgress(`running (${t.toFixed(1)}s), ${String(target).padStart(5, "0")}/${String(vusMax).padStart(5, "0")} VUs, ${requests} complete iterations`);
      }
      if (t >= total) return resolve();
      setTimeout(tick, 50);
    };
    tick();
  });

  // gracefulStop: iterations still running may finish for this long, then are interrupted.
  const stopTimer = setTimeout(() => interrupt.abort(), opts.gracefulStopMs ?? GRACEFUL_STOP_MS);
  await Promise.all(vus.map((v) => v.done));
  clearTimeout(stopTimer);
  await agent.close();

  const toMs = (us: number) => us / 1000;
  return {
    durationS: elapsedS(),
    requests,
    failed,
    checkFailures,
    vusMax,
    latency: {
      avg: toMs(histogram.mean),
      min: toMs(histogram.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : histogram.minNonZeroValue),
      med: toMs(histogram.getValueAtPercentile(50)),
      max: toMs(histogram.maxValue),
      p90: toMs(histogram.getValueAtPercentile(90)),
      p95: toMs(histogram.getValueAtPercentile(95)),
      p99: toMs(histogram.getValueAtPercentile(99)),
    },
    perStage,
    errorSamples,
  };
}
