/**
 * Seed 002's k6 profile (stress-test/stress-test.js of the assessment, 10,000-user version):
 * the stages, the request timeout, the thresholds and the `error_rate` check, as data that
 * the runner (runner.ts) and the k6 script (api-k6.js) both follow.
 */

/** One k6 stage: ramp linearly from the previous target to `target` VUs over `durationS`. */
export interface Stage {
  durationS: number;
  target: number;
}

export const SEED_STAGES: readonly Stage[] = [
  { durationS: 60, target: 1000 },
  { durationS: 120, target: 5000 },
  { durationS: 180, target: 10000 },
  { durationS: 300, target: 10000 },
  { durationS: 120, target: 0 },
];

/** k6's ramping-vus executor starts with `startVUs`, default 1. */
export const START_VUS = 1;
/** `http.get(url, { timeout: '10s' })`. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** k6's default gracefulStop (and gracefulRampDown): iterations running at the end may finish. */
export const GRACEFUL_STOP_MS = 30_000;
/** The seed's check `r.timings.duration < 2000`. */
export const CHECK_MAX_MS = 2000;

/** `--scale` multiplies every target (VUs), `--time-scale` every duration. */
export function scaleStages(stages: readonly Stage[], scale: number, timeScale: number): Stage[] {
  if (!(scale > 0) || !(timeScale > 0)) throw new Error("scale and time-scale must be positive numbers");
  return stages.map((s) => ({ durationS: s.durationS * timeScale, target: Math.round(s.target * scale) }));
}

export function totalDurationS(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationS, 0);
}

/** The VUs k6 runs `t` seconds in: linear within a stage, from START_VUS; 0 after the end. */
export function vusAt(stages: readonly Stage[], t: number, startVus = START_VUS): number {
  let from = startVus;
  let begin = 0;
  for (const s of stages) {
    const end = begin + s.durationS;
    if (t < end) {
      const f = s.durationS === 0 ? 1 : (t - begin) / s.durationS;
      return Math.round(from + (s.target - from) * Math.max(0, f));
    }
    from = s.target;
    begin = end;
  }
  return 0;
}

/** Which stage `t` falls in (index), or the number of stages after the end. */
export function stageAt(stages: readonly Stage[], t: number): number {
  let begin = 0;
  for (const [i, s] of stages.entries()) {
    begin += s.durationS;
    if (t < begin) return i;
  }
  return stages.length;
}

/** k6's `http_req_failed`: a transport error, a timeout, or a status outside 200–399. */
export function requestFailed(status: number | undefined): boolean {
  return status === undefined || status < 200 || status >= 400;
}

/** The seed's three checks; `error_rate` records 1 when any fails. */
export function checkFails(status: number | undefined, body: string | undefined, durationMs: number): boolean {
  if (status !== 200 || durationMs >= CHECK_MAX_MS) return true;
  try {
    return (JSON.parse(body ?? "") as { status?: unknown }).status !== "success";
  } catch {
    return true;
  }
}

export interface Measured {
  p95Ms: number;
  p99Ms: number;
  failedRate: number;
  errorRate: number;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  actual: number;
  ok: boolean;
}

/** The seed's thresholds: p(95)<2000, p(99)<5000 on http_req_duration; both rates < 1 %. */
export function evaluateThresholds(m: Measured): ThresholdResult[] {
  return [
    { metric: "http_req_duration", expression: "p(95)<2000", actual: m.p95Ms, ok: m.p95Ms < 2000 },
    { metric: "http_req_duration", expression: "p(99)<5000", actual: m.p99Ms, ok: m.p99Ms < 5000 },
    { metric: "http_req_failed", expression: "rate<0.01", actual: m.failedRate, ok: m.failedRate < 0.01 },
    { metric: "error_rate", expression: "rate<0.01", actual: m.errorRate, ok: m.errorRate < 0.01 },
  ];
}
