import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { Graph, toRes, type Res } from "./graph";
import { makeMocks } from "./mocks";

/* eslint-disable @typescript-eslint/no-require-imports -- the program must be loaded after setMocks, fresh every time */
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
const settings = require("@pulumi/pulumi/runtime/settings");

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "statefleet";

/** The `config:` block of a real stack file, exactly as `pulumi` would read it. */
export function stackFileConfig(stack: string): Record<string, unknown> {
  const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  const doc = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
  return { ...(doc.config ?? {}) };
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => !!v && typeof v === "object" && !Array.isArray(v);

/** Deep merge for overrides: objects merge, anything else replaces, `undefined` deletes. */
export function merge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = merge(base[k], v);
  }
  return out;
}

export interface EvaluateOptions {
  /** Deep-merged over the stack file's config, keyed like the file (`statefleet:apps`). */
  overrides?: Record<string, unknown>;
  /** Replace the stack file's config entirely. */
  config?: Record<string, unknown>;
  /** Evaluate as `pulumi preview` (provider-computed values unknown). */
  preview?: boolean;
  /** Told how many resources were registered when evaluation ends, also when it throws. */
  onRegister?: (count: number) => void;
  /** Generated passwords differ with it, as after a rotation (mocks' RandomPassword result). */
  passwordSeed?: string;
}

// Parent, dependencies and additionalSecretOutputs are not in MockResourceArgs; read them off the request.
interface RegisterRequest {
  getParent(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getIgnorechangesList(): string[];
}
let current: { parent: string; dependencies: string[]; additionalSecretOutputs: string[]; ignoreChanges: string[] } | undefined;
let patched = false;
function patchMonitor() {
  if (patched) return;
  patched = true;
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (req: RegisterRequest, cb: unknown) {
    current = {
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      ignoreChanges: req.getIgnorechangesList(),
    };
    try {
      return original.call(this, req, cb); // calls mocks.newResource synchronously
    } finally {
      current = undefined;
    }
  };
}

function purgeProgramModules() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(REPO_ROOT) && !key.includes(`${path.sep}node_modules${path.sep}`) && !key.includes(`${path.sep}test${path.sep}`)) {
      delete require.cache[key];
    }
  }
}

async function settle(count: () => number) {
  const deadline = Date.now() + 20_000;
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    if (Date.now() > deadline) throw new Error("program did not finish registering resources within 20 s");
    await settings.waitForRPCs();
    await new Promise((r) => setImmediate(r));
    const n = count();
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
}

/** One evaluation under mocks: the stack it names, its config, and what the caller wants told. */
interface Session {
  stack: string;
  config: Record<string, string>;
  preview: boolean;
  passwordSeed?: string;
  onRegister?: (count: number) => void;
}

/**
 * The core of `evaluate` and `evaluateComponent`: fresh mocks (so evaluations can follow each other
 * in one mocha run), `program` run under them, every registration recorded until the count settles.
 * Throws what `program` throws (after its registrations so far have settled, so none of them lands
 * in the next evaluation) or the first unhandled rejection.
 */
async function underMocks(session: Session, program: () => unknown): Promise<Graph> {
  patchMonitor();
  const { stack, preview } = session;
  const records: Omit<Res, "inputs">[] = [];
  const errors: unknown[] = [];
  const onRejection = (e: unknown) => errors.push(e);
  process.on("unhandledRejection", onRejection);
  try {
    pulumi.runtime.setAllConfig(session.config);
    await pulumi.runtime.setMocks(
      makeMocks(preview, (a) => {
        const ctx = current ?? { parent: "", dependencies: [], additionalSecretOutputs: [], ignoreChanges: [] };
        const parentType = ctx.parent ? ctx.parent.split("::")[2].split("$").pop() + "$" : "";
        records.push({
          type: a.type,
          name: a.name,
          urn: `urn:pulumi:${stack}::${PROJECT}::${parentType}${a.type}::${a.name}`,
          custom: a.custom ?? true,
          raw: a.inputs,
          provider: a.provider,
          parent: ctx.parent,
          dependencies: ctx.dependencies,
          ignoreChanges: ctx.ignoreChanges,
          stored: {},
        });
        return { additionalSecretOutputs: ctx.additionalSecretOutputs };
      }, (state) => {
        records[records.length - 1].stored = state;
      }, session.passwordSeed),
      PROJECT,
      stack,
      preview,
    );
    let outputs: unknown;
    try {
      outputs = await program();
    } catch (e) {
      await settle(() => records.length).catch(() => undefined);
      throw e;
    }
    await settle(() => records.length);
    if (errors.length > 0) throw errors[0];
    return new Graph(records.map(toRes), { ...(outputs as Record<string, unknown> | undefined) }, preview);
  } finally {
    process.off("unhandledRejection", onRejection);
    session.onRegister?.(records.length);
  }
}

/**
 * Evaluates index.ts against a stack's real config file under mocks, in a fresh module cache,
 * and returns every resource it registered. Throws what the program throws (e.g. ConfigError).
 */
export async function evaluate(stack: string, opts: EvaluateOptions = {}): Promise<Graph> {
  const raw = opts.config ?? (merge(stackFileConfig(stack), opts.overrides ?? {}) as Record<string, unknown>);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
  const session = { stack, config, preview: opts.preview ?? false, passwordSeed: opts.passwordSeed, onRegister: opts.onRegister };
  return underMocks(session, () => {
    purgeProgramModules();
    return require(path.join(REPO_ROOT, "index.ts"));
  });
}

/** The stack name resources built by `evaluateComponent` are registered in (their URNs carry it). */
export const COMPONENT_STACK = "component";

/**
 * Registers what `build` constructs (a component of the program, imported normally by the test)
 * under fresh mocks with empty config, and returns every resource registered. Construct inside
 * each `it`: Stryker's perTest coverage then credits the code to that test. Throws what `build`
 * throws, once the resources registered before the throw have settled.
 */
export async function evaluateComponent(build: () => void | Promise<void>, opts: { preview?: boolean } = {}): Promise<Graph> {
  return underMocks({ stack: COMPONENT_STACK, config: {}, preview: opts.preview ?? false }, async () => {
    await build();
    return {};
  });
}

/** Resolves an Output in update mode; rejects (instead of hanging) when it is unknown. */
export function valueOf<T>(o: pulumi.Output<T> | T): Promise<T> {
  if (!pulumi.Output.isInstance(o)) return Promise.resolve(o as T);
  const out = o as pulumi.Output<T>;
  return new Promise<T>((resolve, reject) => {
    (out as unknown as { isKnown: Promise<boolean> }).isKnown.then((known) => {
      if (!known) reject(new Error("output is unknown (preview)"));
      else out.apply((v) => { resolve(v); return v; });
    }, reject);
  });
}

/** True when the Output is a Pulumi secret. */
export function isSecretOutput(o: unknown): Promise<boolean> {
  return (o as { isSecret: Promise<boolean> }).isSecret;
}
