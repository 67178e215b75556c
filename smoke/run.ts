/**
 * `npm run smoke -- --stack dev | --outputs FILE.json | --url VARIANT=URL …`: checks every enabled
 * variant through its real entry point, prints ✓/✗ per check, exit 0 only when all pass.
 */
import { parseArgs } from "node:util";
import { loadChecks, type CheckContext, type Outputs, type SmokeSettings, type VariantCheck } from "./check";
import { HttpClient } from "./http";
import { readOutputsFile, readStackOutputs, SetupError } from "./outputs";

export const EXIT = { ok: 0, failed: 1, setup: 2 } as const;

const USAGE = `usage: npm run smoke -- (--stack NAME | --outputs FILE.json | --url VARIANT=URL …) [options]
  --stack NAME          read \`pulumi stack output --json\` of stack NAME (dev: through scripts/pulumi-dev.sh)
  --outputs FILE.json   read a saved \`pulumi stack output --json\`
  --url VARIANT=URL     check VARIANT at URL (repeatable); with --stack/--outputs it replaces that output
  --requests N          counted requests per repeated check (default 10)
  --timeout-ms MS       deadline of one request (default 5000)
  --wait-s S            how long to wait while an entry point answers 502/503 (default 60)
  --follow-s S          how long logoutput may take to show pingpong's count (default 20)`;

interface Parsed {
  stack?: string;
  outputs?: string;
  urls: Map<string, string>;
  settings: SmokeSettings;
  timeoutMs: number;
  waitMs: number;
}

function positiveInt(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new SetupError(`${flag}: "${value}" is not a whole number from 1 to ${max}`);
  return n;
}

/** The parsed command line; undefined for --help. */
export function parse(argv: string[], variants: Map<string, VariantCheck>): Parsed | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        url: { type: "string", multiple: true },
        requests: { type: "string" },
        "timeout-ms": { type: "string" },
        "wait-s": { type: "string" },
        "follow-s": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new SetupError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return undefined;
  if (values.stack !== undefined && values.outputs !== undefined) throw new SetupError("--stack and --outputs: give one of them");
  const urls = new Map<string, string>();
  for (const pair of values.url ?? []) {
    const eq = pair.indexOf("=");
    const variant = eq > 0 ? pair.slice(0, eq) : "";
    if (!variants.has(variant)) {
      throw new SetupError(`--url ${pair}: expected VARIANT=URL with VARIANT one of ${[...variants.keys()].join(", ")} (each entry point has its own URL)`);
    }
    urls.set(variant, pair.slice(eq + 1));
  }
  if (values.stack === undefined && values.outputs === undefined && urls.size === 0) throw new SetupError(`nothing to check: give --stack, --outputs or --url\n${USAGE}`);
  return {
    stack: values.stack,
    outputs: values.outputs,
    urls,
    timeoutMs: positiveInt("--timeout-ms", values["timeout-ms"], 5000, 600_000),
    waitMs: positiveInt("--wait-s", values["wait-s"], 60, 3600) * 1000,
    settings: {
      requests: positiveInt("--requests", values.requests, 10, 1000),
      followMs: positiveInt("--follow-s", values["follow-s"], 20, 3600) * 1000,
      maxLineAgeMs: 30_000,
    },
  };
}

/** A variant to check and where, or why it cannot be. */
type Target = { check: VariantCheck; url: string } | { variant: string; problem: string; fatal: boolean };

/**
 * Which variants to check: every variant the `enabledVariants` output lists (one without a check
 * module is a failure: add smoke/variants/<variant>.ts), and every check module whose URL output
 * or --url is present.
 */
export function targets(outputs: Outputs, urls: Map<string, string>, checks: Map<string, VariantCheck>): Target[] {
  const enabled = Array.isArray(outputs.enabledVariants) ? outputs.enabledVariants.map(String) : [];
  const out: Target[] = [];
  for (const variant of enabled) {
    if (!checks.has(variant)) out.push({ variant, problem: `enabled, but there is no smoke check for it: add smoke/variants/${variant}.ts`, fatal: true });
  }
  for (const check of checks.values()) {
    const url = urls.get(check.variant) ?? outputs[check.output];
    if (typeof url === "string" && url !== "") out.push({ check, url });
    else if (enabled.includes(check.variant)) out.push({ variant: check.variant, problem: `enabled but not exposed (no ${check.output} output): not checked`, fatal: false });
  }
  return out;
}

export async function runSmoke(argv: string[], print: (line: string) => void): Promise<number> {
  const checks = loadChecks();
  let parsed: Parsed;
  let outputs: Outputs = {};
  try {
    const p = parse(argv, checks);
    if (!p) {
      print(USAGE);
      return EXIT.ok;
    }
    parsed = p;
    if (parsed.stack !== undefined) outputs = await readStackOutputs(parsed.stack);
    if (parsed.outputs !== undefined) outputs = readOutputsFile(parsed.outputs);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    print(`smoke: ${err.message}`);
    return EXIT.setup;
  }
  const source = parsed.stack !== undefined ? `stack ${parsed.stack}` : parsed.outputs !== undefined ? parsed.outputs : "--url";
  print(`statefleet smoke test — ${source}`);

  const http = new HttpClient({ timeoutMs: parsed.timeoutMs, connectRetries: 2, waitMs: parsed.waitMs });
  let passed = 0;
  let failed = 0;
  const urlOf = (variant: string): string | undefined => {
    const c = checks.get(variant);
    const url = parsed.urls.get(variant) ?? (c ? outputs[c.output] : undefined);
    return typeof url === "string" && url !== "" ? url : undefined;
  };
  const list = targets(outputs, parsed.urls, checks);
  try {
    for (const t of list) {
      if (!("check" in t)) {
        print(`${t.variant}`);
        print(`  ${t.fatal ? "✗" : "–"} ${t.problem}`);
        if (t.fatal) failed++;
        continue;
      }
      print(`${t.check.variant}  ${t.url}`);
      const ctx: CheckContext = {
        url: t.url,
        urlOf,
        http,
        settings: parsed.settings,
        note: (text) => print(`  – ${text}`),
        check: async (name, fn) => {
          try {
            const seen = await fn();
            passed++;
            print(`  ✓ ${name} — ${seen}`);
            return true;
          } catch (err) {
            failed++;
            print(`  ✗ ${name} — ${(err as Error).message}`);
            return false;
          }
        },
      };
      if (!validUrl(t.url)) {
        await ctx.check("URL", async () => {
          throw new Error(`"${t.url}" is not an http(s) URL${t.url.includes("<") ? " (a placeholder: read the address with the command in ingressNginxEntry/istioGatewayEntry and pass --url " + t.check.variant + "=URL)" : ""}`);
        });
        continue;
      }
      await t.check.run(ctx);
    }
  } finally {
    await http.close();
  }
  if (passed + failed === 0) {
    print("✗ nothing was checked: the outputs name no variant URL (is any variant enabled and exposed?)");
    return EXIT.failed;
  }
  print(`${passed + failed} checks: ${passed} passed, ${failed} failed`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
