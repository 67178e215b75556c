/**
 * Checks Helm values against the value keys of the pinned chart version.
 *
 * test/fixtures/chart-values/<chart>-<version>.keys.txt lists, one per line, the value key paths
 * we rely on, each taken from the chart's values.yaml at the release tag (the file header says
 * which repository, tag and commit). Paths are dotted; a `.` inside a key is escaped (`grafana\.ini`);
 * `path.*` means "a map whose children are free-form" (annotations, a Kubernetes resources or
 * securityContext block, nginx's `config`, Istio's `meshConfig`): anything below it is accepted.
 * Lists are leaves. No chart code is checked in, only these key lists.
 *
 * Bumping a chart: `fetch` its repository, `git show <tag>:<chart dir>/values.yaml` (Istio: drop the
 * `_internal_defaults_do_not_set.` level; umbrella charts: add each subchart's values.yaml under
 * its name), flatten it the same way (`x.*` for empty maps and for resources, securityContext,
 * labels, annotations, meshConfig, grafana.ini), and write the new file with the paths our values
 * use — a path that is not there is a value the new chart would silently ignore.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const KEYS_DIR = path.resolve(__dirname, "fixtures", "chart-values");

const escapeKey = (k: string) => k.replace(/\./g, "\\.");

/** Every leaf of a values object as a dotted path (lists and empty maps are leaves). */
export function flattenValuePaths(values: unknown, prefix = ""): string[] {
  if (!values || typeof values !== "object" || Array.isArray(values)) return prefix ? [prefix] : [];
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) return prefix ? [prefix] : [];
  return entries.flatMap(([k, v]) => flattenValuePaths(v, prefix ? `${prefix}.${escapeKey(k)}` : escapeKey(k)));
}

/** Splits a dotted path at unescaped dots. */
function segments(p: string): string[] {
  return p.split(/(?<!\\)\./);
}

/** The paths of `values` that the key list does not allow, in order. */
export function unknownValuePaths(values: unknown, keys: readonly string[]): string[] {
  const exact = new Set(keys.filter((k) => !k.endsWith(".*")));
  const open = new Set(keys.filter((k) => k.endsWith(".*")).map((k) => k.slice(0, -2)));
  return flattenValuePaths(values).filter((p) => {
    if (exact.has(p)) return false;
    const segs = segments(p);
    for (let i = segs.length; i > 0; i--) if (open.has(segs.slice(0, i).join("."))) return false;
    return true;
  });
}

/** The key list file of a chart version. */
export function keysFile(chart: string, version: string): string {
  return path.join(KEYS_DIR, `${chart}-${version}.keys.txt`);
}

/** Reads a key list (`#` lines are comments). Throws when the chart version has none. */
export function loadChartKeys(chart: string, version: string): string[] {
  const file = keysFile(chart, version);
  if (!fs.existsSync(file)) {
    throw new Error(`no key list for chart ${chart} ${version}: generate ${path.relative(process.cwd(), file)} from that tag's values.yaml`);
  }
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
