import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What PromQL expressions and /metrics expositions name, for checking dashboards and rules against
 * the metrics the roles really expose; and promtool, Prometheus' own parser.
 */

/** Labels Prometheus adds to every series scraped through a ServiceMonitor. */
export const TARGET_LABELS = ["namespace", "pod", "service", "job", "endpoint", "container", "instance"];

const WORDS = new Set([
  "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2",
]);

export interface PromqlRefs {
  /** Series names selected (`foo_total`, `bar_bucket`). */
  metrics: string[];
  /** Label names in matchers, with the metric they filter. */
  matchers: { metric: string | undefined; label: string }[];
  /** Label names in `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left/right (…)`. */
  grouping: string[];
}

/** The names an expression uses (strings, ranges and Grafana's `$__…` variables are not names). */
export function promqlRefs(expr: string): PromqlRefs {
  const body = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\[[^\]]*\]/g, " ");
  const matchers: PromqlRefs["matchers"] = [];
  for (const m of body.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}/g)) {
    for (const l of (m[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)) matchers.push({ metric: m[1], label: l[1] as string });
  }
  const groupRe = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
  const grouping = [...body.matchAll(groupRe)].flatMap((m) => (m[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean));
  const stripped = body.replace(/\{[^}]*\}/g, " ").replace(groupRe, " ").replace(/\$\w+/g, " ");
  const metrics = [...stripped.matchAll(/(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((w) => !WORDS.has(w.toLowerCase()) && !/^\d/.test(w));
  return { metrics: [...new Set(metrics)], matchers, grouping: [...new Set(grouping)] };
}

/** Metric names, and every label name an expression filters or groups by. */
export function promqlNames(expr: string): { metrics: string[]; labels: string[] } {
  const r = promqlRefs(expr);
  return { metrics: r.metrics, labels: [...r.matchers.map((m) => m.label), ...r.grouping] };
}

/** Per series name of a /metrics exposition, the label names its samples carry. */
export function exposedSeries(exposition: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  const add = (name: string, labels: string[] = []) => {
    const set = series.get(name) ?? new Set<string>();
    labels.forEach((l) => set.add(l));
    series.set(name, set);
  };
  for (const line of exposition.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      // A labelled family prints its TYPE from the start, its samples only after a first observation.
      if (kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) add(`${name}${s}`);
      else if (kind === "summary") for (const s of ["", "_sum", "_count"]) add(`${name}${s}`);
      else add(name);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (sample) add(sample[1] as string, [...(sample[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)].map((m) => m[1] as string));
  }
  return series;
}

export { promtool } from "./promtool";

/** Grafana replaces these before Prometheus sees a query; promtool needs a real duration. */
export function withGrafanaIntervals(expr: string): string {
  return expr.replace(/\$__(?:rate_interval|interval|range)\b/g, "5m");
}

/**
 * What a dashboard asks of metrics nobody exports: every target must name at least one metric,
 * only metrics of `contract` (series name → its labels), and only their labels or the scrape's.
 * Returns one line per problem.
 */
export function contractProblems(dash: { panels: { title: string; targets: { expr: string }[] }[] }, contract: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const p of dash.panels) {
    for (const target of p.targets) {
      const refs = promqlNames(target.expr);
      if (refs.metrics.length === 0) out.push(`${p.title}: no metric in ${target.expr}`);
      for (const m of refs.metrics) if (!(m in contract)) out.push(`${p.title}: ${m} is not exported`);
      const allowed = new Set([...refs.metrics.flatMap((m) => contract[m] ?? []), ...TARGET_LABELS]);
      for (const l of refs.labels) if (!allowed.has(l)) out.push(`${p.title}: label ${l} in ${target.expr}`);
    }
  }
  return out;
}

/**
 * Every metric family app/src declares with prom-client (`new Counter|Histogram|Gauge|Summary({ name, …, labelNames })`),
 * with its label names. For a labelled family no scrape has observed yet (an error counter of a healthy process
 * prints only its `# TYPE` line), these are the labels its samples will carry.
 */
export function declaredMetricLabels(appSrc = path.join(__dirname, "..", "..", "app", "src")): Map<string, string[]> {
  const declared = new Map<string, string[]>();
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  for (const file of walk(appSrc)) {
    const src = fs.readFileSync(file, "utf8");
    for (const m of src.matchAll(/new (?:Counter|Histogram|Gauge|Summary)\(\{\s*name:\s*"([a-z_:][a-z0-9_:]*)"([\s\S]*?)\}\)/g)) {
      const labels = /labelNames:\s*\[([^\]]*)\]/.exec(m[2] as string);
      declared.set(m[1] as string, labels ? [...(labels[1] as string).matchAll(/"([^"]+)"/g)].map((x) => x[1] as string) : []);
    }
  }
  return declared;
}
