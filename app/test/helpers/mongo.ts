import { execFileSync } from "node:child_process";
import path from "node:path";
import { MongoClient } from "mongodb";
import { freePort, waitFor } from "./net";
import { spawnTracked, stopTracked, type Tracked } from "./processes";
import { tempDir } from "./tmp";

const BUILD_SCRIPT = path.resolve(__dirname, "..", "..", "..", "tools", "ferretdb", "build.sh");
let binary: string | undefined;

/**
 * The test server's binary: STATEFLEET_FERRETDB when set (CI sets it), otherwise whatever
 * tools/ferretdb/build.sh prints — instant when the cached build matches the sources (the
 * app's `pretest` script runs it first, so a first build never happens inside a test hook).
 */
export function ferretdbBinary(): string {
  binary ??= process.env.STATEFLEET_FERRETDB || execFileSync(BUILD_SCRIPT, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  return binary;
}

/**
 * A real Mongo-protocol server on loopback: FerretDB v1 (SQLite) behind the serialising proxy
 * of tools/ferretdb, so single-document updates are atomic as on MongoDB. Its own temporary
 * data directory, kept across `restart()` and deleted by `remove()`.
 */
export class MongoServer {
  private readonly data = tempDir("ferretdb");

  private constructor(
    readonly port: number,
    private proc: Tracked,
  ) {}

  /** The connection string the roles get, with `database` in its path. */
  url(database: string): string {
    return `mongodb://127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<MongoServer> {
    const port = await freePort();
    const server = new MongoServer(port, undefined as unknown as Tracked);
    await server.spawn();
    return server;
  }

  private async spawn(): Promise<void> {
    const proc = spawnTracked(`ferretdb :${this.port}`, ferretdbBinary(), ["-listen", `127.0.0.1:${this.port}`, "-data-dir", this.data.path], {});
    this.proc = proc;
    await waitFor(`ferretdb on ${this.port}`, async () => {
      if (proc.exited) throw new Error(`ferretdb exited: ${proc.stdout}${proc.stderr}`);
      return proc.stdout.includes(`mongodb://127.0.0.1:${this.port}/`);
    }, 10_000, 20);
  }

  /** A driver connection for checks behind the roles' back; close it after use. */
  async client(): Promise<MongoClient> {
    return new MongoClient(`mongodb://127.0.0.1:${this.port}/`, { serverSelectionTimeoutMS: 2000, retryWrites: false }).connect();
  }

  async stop(): Promise<void> {
    await stopTracked(this.proc, "SIGTERM", 5000);
  }

  /** SIGSTOP: the server hangs with connections open (a stuck disk, a long GC), until resume(). */
  pause(): void {
    this.proc.child.kill("SIGSTOP");
  }

  resume(): void {
    this.proc.child.kill("SIGCONT");
  }

  /** Same port, same data. */
  async restart(): Promise<void> {
    await this.spawn();
  }

  /** Stops it (if running) and deletes its data directory. */
  async remove(): Promise<void> {
    if (!this.proc.exited) await this.stop().catch(() => undefined);
    this.data.remove();
  }
}
