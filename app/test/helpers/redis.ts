import Redis from "ioredis";
import { freePort, waitFor } from "./net";
import { spawnTracked, stopTracked, type Tracked } from "./processes";

export interface RedisOptions {
  port?: number;
  /** Keep data across a restart (AOF, fsync always) in this directory. */
  persistDir?: string;
}

/** A real redis-server on loopback, no persistence unless asked (tests restart it on purpose). */
export class RedisServer {
  private constructor(
    readonly port: number,
    private readonly options: RedisOptions,
    private proc: Tracked,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const persistence = options.persistDir
      ? ["--dir", options.persistDir, "--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"];
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence];
    const proc = spawnTracked(`redis-server :${port}`, "redis-server", args, {});
    const server = new RedisServer(port, options, proc);
    await waitFor(`redis-server on ${port}`, async () => {
      if (proc.exited) throw new Error(`redis-server exited: ${proc.stdout}${proc.stderr}`);
      return (await server.command("PING")) === "PONG";
    }, 5000);
    return server;
  }

  /** One command on a short-lived connection. */
  async command(...args: string[]): Promise<unknown> {
    const client = new Redis({ port: this.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const [name, ...rest] = args as [string, ...string[]];
      return await client.call(name, ...rest);
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    await stopTracked(this.proc, "SIGTERM", 5000);
  }

  /** Same port, same data directory. */
  async restart(): Promise<void> {
    const next = await RedisServer.start({ ...this.options, port: this.port });
    this.proc = next.proc;
  }
}
