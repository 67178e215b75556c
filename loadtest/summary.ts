import { evaluateThresholds, type ThresholdResult } from "./profile";
import type { RunResult } from "./runner";

export function thresholdsOf(r: RunResult): ThresholdResult[] {
  return evaluateThresholds({
    p95Ms: r.latency.p95,
    p99Ms: r.latency.p99,
    failedRate: r.requests === 0 ? Number.NaN : r.failed / r.requests,
    errorRate: r.requests === 0 ? Number.NaN : r.checkFailures / r.requests,
  });
}

const ms = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(2)}ms`);
const pct = (v: number): string => (Number.isNaN(v) ? "n/a" : `${(v * 100).toFixed(2)}%`);
const row = (name: string, value: string): string => `    ${`${name}`.padEnd(28, ".")}: ${value}`;

/** A summary in k6's end-of-test layout: metrics, then every threshold with ✓ or ✗. */
export function formatSummary(r: RunResult, stageNames: string[] = []): string {
  const l = r.latency;
  const n = r.requests;
  const lines = [
    "",
    row("http_req_duration", `avg=${ms(l.avg)} min=${ms(l.min)} med=${ms(l.med)} max=${ms(l.max)} p(90)=${ms(l.p90)} p(95)=${ms(l.p95)} p(99)=${ms(l.p99)}`),
    row("http_req_failed", `${pct(n ? r.failed / n : Number.NaN)}  ✓ ${r.failed}  ✗ ${n - r.failed}`),
    row("http_reqs", `${n}  ${(n / r.durationS).toFixed(1)}/s`),
    row("error_rate", `${pct(n ? r.checkFailures / n : Number.NaN)}  ✓ ${r.checkFailures}  ✗ ${n - r.checkFailures}`),
    row("iterations", `${n}  ${(n / r.durationS).toFixed(1)}/s`),
    row("vus_max", String(r.vusMax)),
    "",
    "    per stage:",
    ...r.perStage.map(
      (s, i) =>
        `      ${(stageNames[i] ?? `stage ${i + 1}`).padEnd(22)} ${String(s.requests).padStart(8)} requests, error_rate ${pct(s.requests ? s.errors / s.requests : Number.NaN)}, cached ${pct(s.requests ? s.cached / s.requests : Number.NaN)}`,
    ),
    "",
    "    thresholds:",
    ...thresholdsOf(r).map((t) => `      ${t.ok ? "✓" : "✗"} ${t.metric} ${t.expression}  (actual ${t.metric === "http_req_duration" ? ms(t.actual) : pct(t.actual)})`),
  ];
  if (r.errorSamples.length > 0) lines.push("", "    first transport errors:", ...r.errorSamples.map((e) => `      ${e}`));
  return `${lines.join("\n")}\n`;
}
