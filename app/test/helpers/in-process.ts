import path from "node:path";
import { Writable } from "node:stream";
import { loadConfig, type AppConfig, type Role } from "../../src/lib/config";
import { createLogger } from "../../src/lib/logger";
import { createMetrics, type Metrics } from "../../src/lib/metrics";
import type { RoleHandle } from "../../src/lib/service";
import { startRole } from "../../src/roles/start";
import { freePort, get, waitFor, type Res } from "./net";
import { inProcessHooks } from "./processes";
import { MAIN, RoleProcess, type Env } from "./role";

/** One log line as the role wrote it (pino's JSON object). */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

const live = new Set<InProcessRole>();

/** The models `npm run build` trains next to main.js (the default MODEL_DIR is relative to dist/). */
const MODELS: Env = { MODEL_DIR: path.join(path.dirname(MAIN), "models") };

/**
 * A role started inside the test process, the way main.ts starts it (loadConfig, startRole), on a
 * free loopback port, with its logs captured. The mutation scope `roles-contract` runs these tests:
 * the code under test runs in this process, so per-test coverage applies (a child process hides it).
 * What needs a real process (exit codes, signals, kill -9) stays in the RoleProcess tests.
 */
export class InProcessRole {
  readonly logs: LogLine[] = [];
  private handle!: RoleHandle;
  private closed = false;

  private constructor(
    readonly config: AppConfig,
    readonly metrics: Metrics,
    readonly env: Env,
  ) {}

  /**
   * The environment main.ts would see (loopback, a free port, info logs, plus `env`); waits until
   * /readyz answers 200 unless `waitReady` is false, as RoleProcess.start does.
   */
  static async start(role: Role, env: Env = {}, options: { waitReady?: boolean } = {}): Promise<InProcessRole> {
    const port = env.PORT ?? String(await freePort());
    const fullEnv: Env = { HOST: "127.0.0.1", PORT: port, LOG_LEVEL: "info", POD_NAME: `${role}-${port}`, POD_IP: "127.0.0.1", ...MODELS, ...env };
    const config = loadConfig(role, fullEnv);
    const r = new InProcessRole(config, createMetrics(), fullEnv);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) r.logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    r.handle = await startRole(config, { logger: createLogger(config, sink), metrics: r.metrics });
    live.add(r);
    recent = [...recent.slice(-5), r];
    if (options.waitReady ?? true) await r.waitReady();
    return r;
  }

  get url(): string {
    return this.handle.url;
  }

  get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<Res> {
    return get(`${this.url}${pathAndQuery}`, { headers });
  }

  async waitReady(timeoutMs = 5000): Promise<void> {
    await waitFor(`${this.config.role} to be ready`, async () => (await this.get("/readyz")).status === 200, timeoutMs);
  }

  /** Log lines whose message matches. */
  logged(msg: RegExp): LogLine[] {
    return this.logs.filter((l) => msg.test(l.msg));
  }

  /** Resolves 0 once closed, the exit code a clean shutdown gives; rejects when closing fails. */
  async stop(): Promise<number> {
    await this.close();
    return 0;
  }

  /** What SIGTERM leads to after the delay: stop listening, finish requests, close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    await this.handle.close();
  }

  /** A new instance with the same port and environment, plus `overrides` (closes this one first). */
  async restart(overrides: Env = {}): Promise<InProcessRole> {
    await this.close();
    return InProcessRole.start(this.config.role, { ...this.env, ...overrides });
  }
}

/** The roles started last, closed or not: a describe's own afterEach may close them before the root hook dumps. */
let recent: InProcessRole[] = [];

/** Printed when a test fails (root hook): the last log lines of the roles started last. */
export function dumpInProcess(): void {
  for (const r of recent) {
    process.stderr.write(`\n----- in-process ${r.config.role} ${r.url} (last ${Math.min(r.logs.length, 40)} log lines) -----\n`);
    process.stderr.write(`${r.logs.slice(-40).map((l) => JSON.stringify(l)).join("\n")}\n`);
  }
}

/** Closes every role a test left running (the root afterAll hook). */
export async function closeAllInProcess(): Promise<void> {
  await Promise.all([...live].map((r) => r.close().catch(() => undefined)));
}

inProcessHooks.dump = dumpInProcess;
inProcessHooks.closeAll = closeAllInProcess;

/** What the tests that run both ways use of a role: HTTP, readiness, a graceful stop and restart. */
export interface RunningRole {
  readonly url: string;
  /** The environment it was started with (the defaults included). */
  readonly env: Env;
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<Res>;
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
  restart(overrides?: Env): Promise<RunningRole>;
}

/**
 * The two ways a test can run a role. `process` is what a pod runs (the built dist/main.js);
 * `in-process` runs the same sources in the test process, for the mutation scope `roles-contract`
 * (its mocha grep is "in-process"). A test that needs a real process (kill -9, exit codes) is
 * declared for `process` only.
 */
export interface Runner {
  name: "process" | "in-process";
  start(role: Role, env?: Env, options?: { waitReady?: boolean }): Promise<RunningRole>;
}

export const RUNNERS: readonly Runner[] = [
  { name: "process", start: (role, env, options) => RoleProcess.start(role, env, options) },
  { name: "in-process", start: (role, env, options) => InProcessRole.start(role, env, options) },
];
