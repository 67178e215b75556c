import * as pulumi from "@pulumi/pulumi";
import { aksSchema, k3dSchema, resolveImagePlatform } from "./cluster";
import { ConfigError, type ConfigProblem, dependsOnSetAside, problemsFromZod, setAsideInvalid } from "./errors";
import { crossFieldProblems } from "./rules";
import { stackSchema, type ParsedStack } from "./schema";
import { normaliseShop } from "./shop";
import { normaliseSms } from "./sms";
import type { Scaling, StackConfig } from "./types";

export * from "./types";
export { ConfigError } from "./errors";
export type { ConfigProblem } from "./errors";

/** The Pulumi project name: every key of ours is `statefleet:<key>`. */
export const NAMESPACE = "statefleet";

/**
 * Validates raw config values (top key → parsed YAML value) and resolves defaults.
 * Throws ConfigError listing every problem; pure apart from reading the host's architecture
 * (`hostArch`, for `cluster.image.platform: auto`), so tests call it directly.
 */
export function parseStackConfig(stack: string, raw: Record<string, unknown>, hostArch: string = process.arch): StackConfig {
  const result = stackSchema.safeParse(raw);
  if (!result.success) {
    // One run lists every problem: the rules across keys still run, on the config with the bad
    // values set aside, and report what does not depend on a value that was set aside.
    const problems = problemsFromZod(NAMESPACE, stackSchema, raw, result.error);
    const repaired = setAsideInvalid(stackSchema, raw, result.error);
    if (repaired) problems.push(...crossFieldProblems(repaired.data).filter((p) => !dependsOnSetAside(p, repaired.setAside)));
    throw new ConfigError(problems);
  }
  const problems = crossFieldProblems(result.data);
  if (problems.length > 0) throw new ConfigError(problems);
  let imagePlatform: string;
  try {
    imagePlatform = resolveImagePlatform(result.data.cluster.provider, result.data.cluster.image.platform, hostArch);
  } catch (e) {
    throw new ConfigError([{ path: `${NAMESPACE}:cluster.image.platform`, message: `${(e as Error).message} (allowed: set it explicitly, e.g. linux/amd64 or linux/arm64)` }]);
  }
  return normalise(stack, result.data, imagePlatform);
}

function scaling(app: { replicas?: number; autoscale?: { min: number; max: number; cpuPercent: number } }): Scaling {
  return app.autoscale ? { kind: "autoscale", ...app.autoscale } : { kind: "fixed", replicas: app.replicas ?? 1 };
}

function withScaling<T extends { replicas?: number; autoscale?: { min: number; max: number; cpuPercent: number } }>(app: T) {
  const { replicas: _r, autoscale: _a, ...rest } = app;
  return { ...rest, scaling: scaling(app) };
}

function normalise(stack: string, cfg: ParsedStack, imagePlatform: string): StackConfig {
  const { cluster } = cfg;
  return {
    stack,
    cluster:
      cluster.provider === "k3d"
        ? { provider: "k3d", name: cluster.name, imagePlatform, k3d: k3dSchema.parse(cluster.k3d ?? {}) }
        : { provider: "aks", name: cluster.name, imagePlatform, aks: aksSchema.parse(cluster.aks ?? {}) },
    ingress: cfg.ingress,
    istio: cfg.istio,
    storage: cfg.storage,
    redis: cfg.redis,
    mongo: cfg.mongo,
    monitoring: cfg.monitoring,
    apps: { stats: withScaling(cfg.apps.stats), pingpong: withScaling(cfg.apps.pingpong), api: withScaling(cfg.apps.api), sms: normaliseSms(cfg.apps.sms), shop: normaliseShop(cfg.apps.shop) },
  };
}

/** Structured YAML reaches the program as JSON strings; scalars as plain strings. */
function decode(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * The namespaces a key of this stack may rightly have: the project's and the providers' and
 * Pulumi's own. Pulumi hands a key of any other namespace to nobody and says nothing, so a
 * misspelt `statefeet:apps` would silently leave every app on its defaults.
 */
export const KNOWN_NAMESPACES = [NAMESPACE, "pulumi", "kubernetes", "azure-native", "random", "command", "docker-build"] as const;

/** Damerau-Levenshtein distance (optimal string alignment): a swapped pair of letters counts once. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known namespace `ns` is a typo of, if any (a different spelling within 1–2 edits, or another case). */
export function nearMissNamespace(ns: string): string | undefined {
  if ((KNOWN_NAMESPACES as readonly string[]).includes(ns)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_NAMESPACES) {
    const distance = editDistance(ns.toLowerCase(), known);
    const allowed = known.length >= 6 ? 2 : 1;
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/**
 * Validates every config key of a stack as Pulumi hands them over (`<namespace>:<key>` → string)
 * and resolves defaults: the `statefleet:*` keys through the schema, and a key whose namespace is
 * a typo of a known one as a problem of its own. Throws ConfigError listing every problem.
 */
export function parseAllConfig(stack: string, all: Record<string, string>, hostArch: string = process.arch): StackConfig {
  const raw: Record<string, unknown> = {};
  const strays: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(all)) {
    const [ns, ...rest] = key.split(":");
    if (ns !== NAMESPACE) {
      const near = nearMissNamespace(ns);
      const name = rest[rest.length - 1];
      if (near)
        strays.push({
          path: key,
          message: `unknown namespace "${ns}": did you mean "${near}:${name}"? A key in a namespace nobody reads is ignored without a word (allowed: ${near}:${name}; this project's keys are ${NAMESPACE}:<key>)`,
        });
      continue;
    }
    // Pulumi's legacy form `statefleet:config:key` normalises to `statefleet:key`.
    raw[rest[rest.length - 1]] = decode(value);
  }
  try {
    const cfg = parseStackConfig(stack, raw, hostArch);
    if (strays.length > 0) throw new ConfigError(strays);
    return cfg;
  } catch (e) {
    if (e instanceof ConfigError && strays.length > 0 && e.problems !== strays) throw new ConfigError([...strays, ...e.problems]);
    throw e;
  }
}

/** Reads every config key of the current stack. The only reader of pulumi.Config. */
export function loadStackConfig(): StackConfig {
  return parseAllConfig(pulumi.getStack(), pulumi.runtime.allConfig());
}
