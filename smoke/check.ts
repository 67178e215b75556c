/**
 * The extension point: one module per variant in smoke/variants/, each exporting
 * `check: VariantCheck`. A new variant (api, sms, shop) adds one file; nothing else changes.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import type { HttpClient, Reply } from "./http";

/** `pulumi stack output --json`: output name → value (secrets show as "[secret]"). */
export type Outputs = Record<string, unknown>;

export interface SmokeSettings {
  /** Counted requests each repeated-request check sends. */
  requests: number;
  /** How long logoutput may take to show a count pingpong has reached. */
  followMs: number;
  /** Oldest logoutput line that still counts as fresh. */
  maxLineAgeMs: number;
}

export interface CheckContext {
  /** This variant's URL (its stack output, or --url). */
  url: string;
  /** The URL of another variant, by variant name (undefined when it is off or not exposed). */
  urlOf(variant: string): string | undefined;
  http: HttpClient;
  settings: SmokeSettings;
  /**
   * Runs one named check and prints ✓ or ✗. `fn` returns what it saw (printed after ✓) or
   * throws an Error whose message is the reason (printed after ✗). Resolves to whether it passed.
   */
  check(name: string, fn: () => Promise<string>): Promise<boolean>;
  /** Prints a line that is neither a pass nor a failure (something that could not be checked). */
  note(text: string): void;
}

export interface VariantCheck {
  /** The variant's name, as listed in the `enabledVariants` stack output. */
  variant: string;
  /** The stack output holding the variant's URL. */
  output: string;
  run(ctx: CheckContext): Promise<void>;
}

const VARIANTS_DIR = path.join(__dirname, "variants");

/** Every module in smoke/variants/, by variant name; a module that breaks the contract is an error. */
export function loadChecks(dir = VARIANTS_DIR): Map<string, VariantCheck> {
  const checks = new Map<string, VariantCheck>();
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as { check?: Partial<VariantCheck> };
    const c = mod.check;
    if (!c || typeof c.variant !== "string" || typeof c.output !== "string" || typeof c.run !== "function") {
      throw new Error(`${path.join("smoke/variants", file)} must export \`check: VariantCheck\` ({ variant, output, run })`);
    }
    if (checks.has(c.variant)) throw new Error(`two check modules for variant "${c.variant}" in smoke/variants/`);
    checks.set(c.variant, c as VariantCheck);
  }
  return checks;
}

/** A check's reason for failing. */
export function fail(reason: string): never {
  throw new Error(reason);
}

/** A 200 reply's body as a JSON object, or a failure naming `what` answered instead. */
export function jsonObject(reply: Reply, what: string, ok: (status: number) => boolean = (s) => s === 200): Record<string, unknown> {
  if (!ok(reply.status)) fail(`${what} answered ${reply.status}: ${reply.body.slice(0, 160)}`);
  try {
    const v = JSON.parse(reply.body) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`${what} answered ${reply.body.slice(0, 80)}, expected a JSON object`);
    return v as Record<string, unknown>;
  } catch {
    return fail(`${what} answered ${JSON.stringify(reply.body.slice(0, 80))}, expected JSON`);
  }
}
