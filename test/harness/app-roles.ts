/**
 * The built app's roles (app/dist) as real processes for program tests that need what the real
 * code does (the cookie sms-app sets, the metric names it exposes). Loopback only; always stopped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { REPO_ROOT } from "./evaluate";
import { freePort } from "../../app/test/helpers/net";

export interface RoleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(url: string, method = "GET", body?: string): Promise<RoleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A role of app/dist/main.js listening on a free loopback port. */
export class RunningRole {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  static async start(role: string, env: Record<string, string>): Promise<RunningRole> {
    const port = await freePort();
    const main = path.join(REPO_ROOT, "app", "dist", "main.js");
    const child = spawn(process.execPath, [main, role], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const r = new RunningRole(`http://127.0.0.1:${port}`, child, () => out);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${role} exited (${child.exitCode}): ${out} — is the app built (npm run build)?`);
      try {
        if ((await request(`${r.url}/readyz`)).status === 200) return r;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await r.stop();
        throw new Error(`${role} not ready within 15 s: ${out}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  get log(): string {
    return this.output();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((res) => this.child.once("exit", res));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
