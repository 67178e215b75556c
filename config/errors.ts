import { z } from "zod";

/** One problem in the stack config, addressed by its key path. */
export interface ConfigProblem {
  /** e.g. `statefleet:apps.stats.replicas` */
  path: string;
  message: string;
}

/** Thrown before any resource is registered; lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(public readonly problems: ConfigProblem[]) {
    super(
      `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join("\n") +
        "\nSee docs/config.md for every key, its default and allowed values.",
    );
    this.name = "ConfigError";
  }
}

/** `statefleet:` + top key, then `.key` / `[i]` for each step below it. */
export function keyPath(namespace: string, path: readonly PropertyKey[]): string {
  const [top, ...rest] = path;
  let out = `${namespace}:${String(top)}`;
  for (const step of rest) out += typeof step === "number" ? `[${step}]` : `.${String(step)}`;
  return out;
}

// zod 4 keeps its definition under `_zod.def`; we only walk wrappers and objects.
type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; in?: z.ZodType; element?: z.ZodType };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if ((d.type === "optional" || d.type === "default" || d.type === "prefault" || d.type === "nullable") && d.innerType) cur = d.innerType;
    else if (d.type === "pipe" && d.in) cur = d.in;
    else return cur;
  }
}

/** The keys an object schema at `path` accepts, for "unknown key (allowed: …)". */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let cur: z.ZodType | undefined = schema;
  for (const step of path) {
    if (!cur) return [];
    const d = defOf(unwrap(cur));
    if (d.type === "object" && d.shape) cur = d.shape[String(step)];
    else if (d.type === "array" && d.element) cur = d.element;
    else return [];
  }
  if (!cur) return [];
  const d = defOf(unwrap(cur));
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}

const describe = (v: unknown): string => {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `"${v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
};

/**
 * YAML reads an unquoted `1.30` as the number 1.3 and `1` as the number 1; where a string is
 * wanted, say so and show what to type.
 */
const quoteHint = (n: number) =>
  Number.isInteger(n)
    ? `YAML read this as the number ${n}, but a text value is wanted: put it in quotes, "${n}"`
    : `YAML read this as the number ${n}, but a text value is wanted: put it in quotes as you meant it (YAML drops trailing zeros: an unquoted 1.30 arrives as 1.3, so write "1.30")`;

/** Turns zod issues into `<key path>: <problem> (allowed: …)` lines. */
export function problemsFromZod(namespace: string, schema: z.ZodType, input: unknown, error: z.ZodError): ConfigProblem[] {
  const valueAt = (path: readonly PropertyKey[]): unknown =>
    path.reduce<unknown>((acc, k) => (acc && typeof acc === "object" ? (acc as Record<PropertyKey, unknown>)[k] : undefined), input);
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const got = valueAt(issue.path);
    switch (issue.code) {
      case "unrecognized_keys":
        for (const k of issue.keys) {
          out.push({
            path: keyPath(namespace, [...issue.path, k]),
            message: `unknown key (allowed: ${knownKeysAt(schema, issue.path).join(", ")})`,
          });
        }
        break;
      case "invalid_value":
        if (typeof got === "number" && issue.values.includes(String(got)))
          out.push({ path: keyPath(namespace, issue.path), message: `${quoteHint(got)} (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(" | ")})` });
        else out.push({ path: keyPath(namespace, issue.path), message: `${describe(got)} is not allowed (allowed: ${issue.values.map(String).join(" | ")})` });
        break;
      case "invalid_type":
        if (got === undefined)
          out.push({ path: keyPath(namespace, issue.path), message: `missing: this key is required here (expected ${issue.expected}; docs/config.md shows every key with an example)` });
        else if (issue.expected === "string" && typeof got === "number")
          out.push({ path: keyPath(namespace, issue.path), message: quoteHint(got) });
        else out.push({ path: keyPath(namespace, issue.path), message: `expected ${issue.expected}, got ${describe(got)}` });
        break;
      case "too_small":
        out.push({ path: keyPath(namespace, issue.path), message: `${describe(got)} is too small (allowed: ${issue.origin === "array" ? "at least " + issue.minimum + " items" : (issue.inclusive ? "≥ " : "> ") + issue.minimum})` });
        break;
      case "too_big":
        out.push({ path: keyPath(namespace, issue.path), message: `${describe(got)} is too big (allowed: ${issue.origin === "array" ? "at most " + issue.maximum + " items" : issue.origin === "string" ? "at most " + issue.maximum + " characters" : (issue.inclusive ? "≤ " : "< ") + issue.maximum})` });
        break;
      case "invalid_format":
        out.push({ path: keyPath(namespace, issue.path), message: issue.message.includes("allowed") ? `${describe(got)} is ${issue.message}` : `${describe(got)} is not a valid ${issue.format} (allowed: a ${issue.format})` });
        break;
      default:
        out.push({ path: keyPath(namespace, issue.path), message: issue.message });
    }
  }
  return out;
}

type Path = readonly PropertyKey[];
const isMap = (v: unknown): v is Record<PropertyKey, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const valueAtPath = (input: unknown, path: Path): unknown => path.reduce<unknown>((acc, k) => (acc && typeof acc === "object" ? (acc as Record<PropertyKey, unknown>)[k] : undefined), input);
function removeAt(input: unknown, path: Path): void {
  const parent = valueAtPath(input, path.slice(0, -1));
  if (isMap(parent)) delete parent[path[path.length - 1]];
}

/**
 * The config with every value zod rejected set aside (removed, so its default applies), parsed,
 * for the rules across keys to run on; `setAside` names what was removed (`apps.stats.replicas`).
 * A list with a bad item goes as a whole (removing one item would renumber the rest), and so does
 * the block around a missing required key. Undefined when the rest still does not parse.
 */
export function setAsideInvalid<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, error: z.ZodError): { data: z.output<S>; setAside: string[] } | undefined {
  const input: unknown = structuredClone(raw);
  const setAside: string[] = [];
  let issues = error.issues;
  for (let round = 0; round < 8; round++) {
    for (const issue of issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          removeAt(input, [...issue.path, k]);
          setAside.push([...issue.path, k].map(String).join("."));
        }
        continue;
      }
      const firstIndex = issue.path.findIndex((k) => typeof k === "number");
      let cut = firstIndex < 0 ? [...issue.path] : issue.path.slice(0, firstIndex);
      if (valueAtPath(input, cut) === undefined) cut = cut.slice(0, -1);
      if (cut.length === 0) return undefined;
      removeAt(input, cut);
      setAside.push(cut.map(String).join("."));
    }
    const again = schema.safeParse(input);
    if (again.success) return { data: again.data, setAside };
    issues = again.error.issues;
  }
  return undefined;
}

/**
 * Whether a problem found on the repaired config may rest on a value that was set aside: it is
 * at, above or below such a key, or its message names one. Those are left out — the operator
 * already has the line for the bad value, and a rule fed a default instead would mislead.
 */
export function dependsOnSetAside(problem: ConfigProblem, setAside: readonly string[]): boolean {
  const at = problem.path.slice(problem.path.indexOf(":") + 1);
  return setAside.some(
    (s) => at === s || at.startsWith(`${s}.`) || at.startsWith(`${s}[`) || s.startsWith(`${at}.`) || problem.message.includes(s),
  );
}

/** Every leaf and object key path below a schema (`apps.stats.replicas`, …), for docs checks. */
export function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  const d = defOf(unwrap(schema));
  if (d.type !== "object" || !d.shape) return prefix ? [prefix] : [];
  const out: string[] = prefix ? [prefix] : [];
  for (const [k, child] of Object.entries(d.shape)) out.push(...keyPaths(child, prefix ? `${prefix}.${k}` : k));
  return out;
}
