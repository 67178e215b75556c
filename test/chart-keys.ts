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
 * Bumping a chart: `scripts/chart-keys.ts` (`npm run chart-keys`) writes the list from the chart's
 * values.yaml at the new tag and the values the program sets (docs/operations.md, "Upgrading a
 * pinned chart"); a path that is not in the new values.yaml — a value the new chart would silently
 * ignore — makes it fail, naming the path.
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

/**
 * Maps whose children are free-form rather than chart values (Kubernetes resources, security
 * contexts, labels and annotations, Istio's meshConfig, Grafana's ini file): a path below one is
 * listed as `<map>.*`. Empty maps in values.yaml are free-form too.
 */
export const FREE_FORM_KEYS: ReadonlySet<string> = new Set([
  "resources",
  "securityContext",
  "containerSecurityContext",
  "podSecurityContext",
  "labels",
  "podLabels",
  "additionalLabels",
  "commonLabels",
  "annotations",
  "podAnnotations",
  "meshConfig",
  "grafana.ini",
]);

const unescapeKey = (k: string) => k.replace(/\\\./g, ".");
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The key list entries for the value paths `used` (dotted, escaped as flattenValuePaths writes
 * them), resolved against a chart's values tree: the path itself where it ends on a value, or
 * `<map>.*` where it goes below a free-form map. `missing`: paths the values tree does not have.
 */
export function keyListEntries(values: unknown, used: readonly string[]): { keys: string[]; missing: string[] } {
  const keys = new Set<string>();
  const missing: string[] = [];
  for (const p of used) {
    const segs = segments(p);
    let node: unknown = values;
    for (let i = 0; i < segs.length; i++) {
      const key = unescapeKey(segs[i]);
      if (!isMap(node) || !(key in node)) {
        missing.push(p);
        break;
      }
      const child = node[key];
      const here = segs.slice(0, i + 1).join(".");
      if (i === segs.length - 1) {
        keys.add(here);
        break;
      }
      // null stands for "a map you may fill" as often as {} does in values.yaml files.
      if (child === null || (isMap(child) && (Object.keys(child).length === 0 || FREE_FORM_KEYS.has(key)))) {
        keys.add(`${here}.*`);
        break;
      }
      node = child;
    }
  }
  return { keys: [...keys].sort(), missing };
}
