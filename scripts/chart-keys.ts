/**
 * Regenerates a chart's key list (test/fixtures/chart-values/<chart>-<version>.keys.txt, read by
 * test/helm-values.test.ts) from the chart's own values.yaml at its release tag and the Helm values
 * the program sets. Run it when bumping a chart in components/platform/charts.ts:
 *
 *   npm run chart-keys -- <chart> <version> --values <source> [--values <subchart>=<source>]…
 *       [--strip <key>] [--template-key <path>]… [--used <file>] [--out <file>] [--check]
 *
 * <source>: a values.yaml on disk, or `<git dir>@<tag>:<path>` — a repository brought here with
 * `fetch` (its git directory: /work/.mirror/<owner>+<name>/repo) read at the tag, no work tree needed.
 * --values <subchart>=<source>: an umbrella chart's subchart, whose values sit under its name.
 * --strip <key>: values.yaml keeps the defaults one level down (Istio: _internal_defaults_do_not_set).
 * --template-key <path>: a value the templates read that values.yaml only shows commented out
 *   (grafana's `podAnnotations`); say which template in the commit.
 * --used <file>: the value paths to list, one per line, instead of evaluating the program
 *   (every variant of test/platform-graphs.ts) for the values it sets on this chart version.
 * --check: compare with the committed list instead of writing it.
 * A value path the program sets that the chart does not have is an error, naming it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { flattenValuePaths, keyListEntries, keysFile } from "../test/chart-keys";

interface Source {
  /** Where it came from, for the file header. */
  label: string;
  values: Record<string, unknown>;
}

/** Reads a values.yaml from a file, or from `<git dir>@<tag>:<path>` with its commit in the label. */
export function readSource(spec: string): Source {
  const git = /^(.+)@([^:@]+):(.+)$/.exec(spec);
  let text: string;
  let label: string;
  if (git && fs.existsSync(git[1]) && !fs.existsSync(spec)) {
    const [, dir, tag, file] = git;
    const run = (...args: string[]) => execFileSync("git", ["--git-dir", dir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
    text = run("show", `${tag}:${file}`);
    const commit = run("rev-parse", `${tag}^{commit}`).trim();
    // /work/.mirror/<owner>+<name>/repo → owner/name
    const repo = /([^/]+)\+([^/]+)\/(?:repo\/?)?$/.exec(path.resolve(dir) + "/");
    label = `${repo ? `${repo[1]}/${repo[2]}` : dir} tag ${tag} (commit ${commit}): ${file}`;
  } else {
    text = fs.readFileSync(spec, "utf8");
    label = `file ${spec}`;
  }
  const values = parseYaml(text) ?? {};
  return { label, values: values as Record<string, unknown> };
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** Helm's merge: maps merge key by key, anything else from `over` replaces. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The chart's values tree: the main values.yaml, a stripped defaults level, subcharts under their names. */
export function chartValues(main: Source, subcharts: Record<string, Source>, strip?: string): Record<string, unknown> {
  let values = main.values;
  if (strip && values[strip] && typeof values[strip] === "object") {
    const { [strip]: inner, ...rest } = values;
    values = { ...(inner as Record<string, unknown>), ...rest };
  }
  const out = { ...values };
  for (const [name, sub] of Object.entries(subcharts)) {
    // The umbrella chart's own `<subchart>:` block overrides the subchart's defaults, as in Helm.
    out[name] = deepMerge(sub.values, out[name] ?? {});
  }
  return out;
}

/** The key list file: header (sources, conventions) and one entry per line. */
export function keyListFile(chart: string, version: string, main: Source, subcharts: Record<string, Source>, strip: string | undefined, templateKeys: string[], keys: string[]): string {
  const subs = Object.entries(subcharts);
  const header = [
    `# Helm value key paths statefleet sets on chart ${chart} ${version}. Each one is in the values.yaml of`,
    `#   ${main.label}${subs.length ? "," : ""}`,
    ...(subs.length ? [`#   with its subcharts' values.yaml under their names: ${subs.map(([n, s]) => `${n} (${s.label})`).join("; ")}`] : []),
    ...(strip ? [`# (values.yaml keeps the chart defaults under ${strip}; values are set without that prefix, as listed.)`] : []),
    ...(templateKeys.length ? [`# Read by the chart's templates but only commented out in values.yaml: ${templateKeys.join(", ")}.`] : []),
    "# `x.*`: a map whose children are free-form (an empty map in values.yaml, or a Kubernetes resources /",
    "# securityContext / labels / annotations block, Istio `meshConfig`, `grafana.ini`).",
    "# A key that contains a dot is escaped (grafana\\.ini). Lists are leaves.",
    "# Generated by scripts/chart-keys.ts (npm run chart-keys); regenerate it for a new chart version.",
  ];
  return [...header, ...keys].join("\n") + "\n";
}

/** Every value path the program sets on this chart version, over every variant the tests evaluate. */
async function usedByProgram(chart: string, version: string): Promise<string[]> {
  const { graphOf, releasesOf, VARIANTS } = await import("../test/platform-graphs");
  const used = new Set<string>();
  for (const variant of Object.keys(VARIANTS) as (keyof typeof VARIANTS)[]) {
    for (const r of releasesOf(await graphOf(variant))) {
      if (r.inputs.chart === chart && r.inputs.version === version) for (const p of flattenValuePaths(r.inputs.values ?? {})) used.add(p);
    }
  }
  return [...used];
}

async function main(argv: string[]): Promise<number> {
  const [chart, version, ...rest] = argv;
  if (!chart || !version || chart.startsWith("-")) {
    console.error("usage: npm run chart-keys -- <chart> <version> --values <source> [--values <subchart>=<source>]… [--strip <key>] [--template-key <path>]… [--used <file>] [--out <file>] [--check]");
    return 2;
  }
  let main: Source | undefined;
  const subcharts: Record<string, Source> = {};
  const templateKeys: string[] = [];
  let strip: string | undefined;
  let usedFile: string | undefined;
  let out = keysFile(chart, version);
  let check = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const next = () => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--values") {
      const v = next();
      const sub = /^([A-Za-z0-9_-]+)=(.+)$/.exec(v);
      if (sub && !fs.existsSync(v)) subcharts[sub[1]] = readSource(sub[2]);
      else main = readSource(v);
    } else if (a === "--strip") strip = next();
    else if (a === "--template-key") templateKeys.push(next());
    else if (a === "--used") usedFile = next();
    else if (a === "--out") out = next();
    else if (a === "--check") check = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!main) throw new Error("--values <source> is required (the chart's own values.yaml)");

  const used = usedFile
    ? fs.readFileSync(usedFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    : await usedByProgram(chart, version);
  const isTemplateKey = (p: string) => templateKeys.some((t) => p === t || (t.endsWith(".*") && p.startsWith(`${t.slice(0, -2)}.`)));
  const { keys, missing } = keyListEntries(chartValues(main, subcharts, strip), used.filter((p) => !isTemplateKey(p)));
  if (missing.length > 0) {
    console.error(`${chart} ${version}: values the program sets that this values.yaml does not have (the chart would ignore them):\n  ${missing.join("\n  ")}`);
    return 1;
  }
  const usedTemplateKeys = templateKeys.filter((t) => used.some((p) => p === t || (t.endsWith(".*") && p.startsWith(`${t.slice(0, -2)}.`))));
  const text = keyListFile(chart, version, main, subcharts, strip, usedTemplateKeys, [...new Set([...keys, ...usedTemplateKeys])].sort());
  if (check) {
    const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), out)} differs from what the chart and the program give; run without --check to rewrite it`);
      return 1;
    }
    console.log(`${path.relative(process.cwd(), out)}: up to date (${keys.length + usedTemplateKeys.length} keys)`);
    return 0;
  }
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(process.cwd(), out)} (${keys.length + usedTemplateKeys.length} keys)`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e.message);
      process.exit(2);
    },
  );
}
