import * as pulumi from "@pulumi/pulumi";
import { aksSchema, k3dSchema, resolveImagePlatform } from "./cluster";
import { ConfigError, problemsFromZod } from "./errors";
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
  if (!result.success) throw new ConfigError(problemsFromZod(NAMESPACE, stackSchema, raw, result.error));
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

/** Reads every `statefleet:*` key of the current stack. The only reader of pulumi.Config. */
export function loadStackConfig(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, ...rest] = key.split(":");
    if (ns !== NAMESPACE) continue;
    // Pulumi's legacy form `statefleet:config:key` normalises to `statefleet:key`.
    raw[rest[rest.length - 1]] = decode(value);
  }
  return parseStackConfig(pulumi.getStack(), raw);
}
