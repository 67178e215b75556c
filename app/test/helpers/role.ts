import { existsSync } from "node:fs";
import path from "node:path";
import { freePort, get, waitFor } from "./net";
import { sleep, spawnTracked, stopTracked, type Tracked } from "./processes";

const APP_DIR = path.resolve(__dirname, "..", "..");
export const MAIN = path.join(APP_DIR, "dist", "main.js");

function assertBuilt(): void {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: build the app first (cd <repo> && npm run build -w app)`);
  }
}

export type Env = Record<string, string>;

/**
 * A role running as a real process on loopback. The environment is built from scratch
 * (PATH + what the test passes), so a developer's shell variables never leak into a test.
 */
export class RoleProcess {
  private constructor(
    readonly role: string,
    readonly port: number,
    readonly env: Env,
    readonly proc: Tracked,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the role and waits until /readyz answers 200 (unless `waitReady` is false). */
  static async start(role: string, env: Env = {}, options: { port?: number; waitReady?: boolean } = {}): Promise<RoleProcess> {
    assertBuilt();
    const port = options.port ?? (await freePort());
    const fullEnv: Env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      POD_NAME: `${role}-${port}`,
      POD_IP: "127.0.0.1",
      ...env,
    };
    const proc = spawnTracked(`${role} ${fullEnv.POD_NAME} :${port}`, process.execPath, [MAIN, role], { env: fullEnv });
    const rp = new RoleProcess(role, port, fullEnv, proc);
    if (options.waitReady ?? true) await rp.waitReady();
    return rp;
  }

  /** A new process with the same role, port and environment (plus `overrides`). */
  restart(overrides: Env = {}, options: { waitReady?: boolean } = {}): Promise<RoleProcess> {
    return RoleProcess.start(this.role, { ...this.env, ...overrides }, { port: this.port, ...options });
  }

  async waitReady(timeoutMs = 10_000): Promise<void> {
    await waitFor(
      `${this.proc.label} to be ready`,
      async () => {
        if (this.proc.exited) throw new Error(`exited early:\n${this.proc.stderr}${this.proc.stdout}`);
        return (await get(`${this.url}/readyz`, { timeoutMs: 1000 })).status === 200;
      },
      timeoutMs,
    );
  }

  get(pathAndQuery: string, headers: Record<string, string> = {}) {
    return get(`${this.url}${pathAndQuery}`, { headers });
  }

  /** SIGTERM and wait; returns the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    return (await stopTracked(this.proc, "SIGTERM", timeoutMs)).code;
  }

  /** kill -9: no chance to flush or answer anything. */
  async kill(): Promise<void> {
    await stopTracked(this.proc, "SIGKILL", 5000);
  }

  get exited(): boolean {
    return this.proc.exited;
  }

  get exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.proc.exit;
  }
}

/** Runs a role that is expected to exit by itself (bad config); bounded. */
export async function runToExit(role: string, env: Env, timeoutMs = 5000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  assertBuilt();
  const proc = spawnTracked(`${role} (expected to exit)`, process.execPath, [MAIN, role], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST: "127.0.0.1", PORT: String(await freePort()), ...env },
  });
  const result = await Promise.race([proc.exit, sleep(timeoutMs).then(() => undefined)]);
  if (!result) {
    await stopTracked(proc, "SIGKILL", 2000);
    throw new Error(`${role} kept running with ${JSON.stringify(env)}; expected it to exit`);
  }
  return { code: result.code, stderr: proc.stderr, stdout: proc.stdout };
}
