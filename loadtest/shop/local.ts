import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../app/test/helpers/net";
import { GATEWAY_ROUTES, NGINX_BIN, nginxArgs, testGatewayConfig, writeGatewayConfig, type ShopRole } from "./nginx";

/**
 * The shop without a cluster: its own store (redis-server, or FerretDB behind the serialising
 * proxy of tools/ferretdb), N replicas of each shop role on free loopback ports and a real nginx
 * as the gateway. `npm run shop:local` is the CLI over it (loadtest/shop/main.ts); tests use
 * `start()` directly to kill and restart replicas.
 *
 * Supervision: a replica that exits without being asked to (crash, OOM, a stray kill) is started
 * again on the same port after `restartDelayMs` and reported through `onEvent`, as a Deployment's
 * pod would be; `kill()` / `stop()` are asked-for exits and are not restarted. The store and nginx
 * are not restarted: the store holds the data (no persistence), so its loss is reported and
 * `failed` resolves; the CLI then stops everything and exits 1.
 */

const ROOT = path.resolve(__dirname, "..", "..");
export const APP_MAIN = path.join(ROOT, "app", "dist", "main.js");
const FERRETDB_BUILD = path.join(ROOT, "tools", "ferretdb", "build.sh");

export { freePort };

export const SHOP_ROLES: readonly ShopRole[] = GATEWAY_ROUTES.map((r) => r.role);
export type StateKind = "redis" | "mongo";

/** The Mongo database each service owns (the program uses the same names). */
export const MONGO_DATABASES: Record<ShopRole, string> = { "shop-order": "shop_order", "shop-payment": "shop_payment", "shop-stock": "shop_stock" };

export interface StartOptions {
  /** Gateway port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  state?: StateKind;
  /** Replicas per service (≥ 1; default 2). */
  replicas?: number;
  /** Extra environment for every role (e.g. LOG_LEVEL, SHOP_SAGA_LEASE_MS). */
  env?: Record<string, string>;
  /** Delay before a replica that died on its own is started again; default 500 ms. */
  restartDelayMs?: number;
  /** How long to wait for everything to be ready; default 30 s. */
  readyTimeoutMs?: number;
  /** Lifecycle events (replica restarted, store died, …), one line each. */
  onEvent?: (line: string) => void;
  /**
   * The app role each replica runs; default the shop role itself. Only the runner's own lifecycle
   * test changes it (to a role that needs no shop code).
   */
  appRole?: (role: ShopRole) => string;
  /** The app's entry point; default app/dist/main.js of this checkout. */
  appMain?: string;
  /** Every output line of every child, labelled; default: kept (last 200 per child) for `logs()`. */
  onLog?: (label: string, line: string) => void;
}

export interface Replica {
  role: ShopRole;
  index: number;
  port: number;
  url: string;
  /** The running process' pid, undefined while it is down. */
  pid: number | undefined;
}

export interface ShopLocal {
  /** The gateway, e.g. http://127.0.0.1:8000 (routes under /orders, /payment, /stock). */
  url: string;
  state: StateKind;
  replicas: Record<ShopRole, Replica[]>;
  /** The temporary directory holding nginx's config, pid, temp files and error log. */
  dir: string;
  /** kill -9 one replica (no restart until `restart`). */
  kill(role: ShopRole, index: number): Promise<void>;
  /** Starts a killed replica again on its port and waits until its /readyz answers 200. */
  restart(role: ShopRole, index: number): Promise<void>;
  /** Recent output of every child, for a failure dump. */
  logs(): string;
  /** Resolves with a reason when the store or nginx died on its own (the shop is unusable). */
  failed: Promise<string>;
  /** Stops every child (SIGTERM, then SIGKILL after 5 s) and removes the temporary directories. */
  stop(): Promise<void>;
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GET with a short timeout on a fresh connection; the status, or 0 when nothing answered. */
async function statusOf(url: string, timeoutMs = 1000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: "close" } });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

interface Child {
  label: string;
  proc: ChildProcess;
  exited: boolean;
  exit: Promise<void>;
  /** Set before an asked-for stop, so the supervisor does not restart it. */
  wanted: boolean;
  lines: string[];
}

function spawnChild(label: string, command: string, args: string[], env: NodeJS.ProcessEnv, onLog: StartOptions["onLog"]): Child {
  // Own process group: a Ctrl-C in the terminal reaches only the runner, which then stops the
  // children in order (gateway, roles, store) instead of all of them at once.
  const proc = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const child: Child = { label, proc, exited: false, wanted: true, lines: [], exit: Promise.resolve() };
  child.exit = new Promise((resolve) => {
    proc.once("exit", () => {
      child.exited = true;
      resolve();
    });
    proc.once("error", (err) => {
      child.lines.push(`spawn failed: ${err.message}`);
      child.exited = true;
      resolve();
    });
  });
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      if (onLog) onLog(label, line);
      child.lines.push(line);
      if (child.lines.length > 200) child.lines.shift();
    }
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return child;
}

async function stopChild(child: Child, signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<void> {
  child.wanted = false;
  if (child.exited) return;
  child.proc.kill(signal);
  const done = await Promise.race([child.exit.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.proc.kill("SIGKILL");
    await child.exit;
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, failFast?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fatal = failFast?.();
    if (fatal) throw new Error(`${what}: ${fatal}`);
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The FerretDB test server's binary (STATEFLEET_FERRETDB, or built/cached by tools/ferretdb/build.sh). */
function ferretdbBinary(): string {
  return process.env.STATEFLEET_FERRETDB || execFileSync(FERRETDB_BUILD, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Starts the store, the replicas and the gateway; resolves once every /readyz (direct and through nginx) is 200. */
export async function start(options: StartOptions = {}): Promise<ShopLocal> {
  const state = options.state ?? "redis";
  if (state !== "redis" && state !== "mongo") throw new Error(`state ${JSON.stringify(state)}: use redis or mongo`);
  const replicaCount = options.replicas ?? 2;
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 16) throw new Error(`replicas ${replicaCount}: give a whole number from 1 to 16`);
  const appMain = options.appMain ?? APP_MAIN;
  if (!existsSync(appMain)) throw new Error(`${appMain} is missing: build the app first (npm run build)`);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const restartDelayMs = options.restartDelayMs ?? 500;
  const event = options.onEvent ?? (() => undefined);
  const port = options.port || (await freePort());
  if (await portTaken(port)) throw new Error(`port ${port} on 127.0.0.1 is already in use; choose another with --port`);

  const dir = mkdtempSync(path.join(os.tmpdir(), "statefleet-shop-local-"));
  const children: Child[] = [];
  let stopping = false;
  /** While true (first start), a replica that exits fails start() with its output instead of being restarted. */
  let starting = true;
  let reportFailure: (reason: string) => void = () => undefined;
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));
  const replicas = Object.fromEntries(SHOP_ROLES.map((r) => [r, [] as Replica[]])) as unknown as Record<ShopRole, Replica[]>;
  const procs = new Map<Replica, Child>();
  const restartTimers = new Set<NodeJS.Timeout>();

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const t of restartTimers) clearTimeout(t);
    // The gateway first (no new requests), then the roles, then the store they write to.
    for (const group of [children.filter((c) => c.label === "nginx"), [...procs.values()], children.filter((c) => c.label !== "nginx")]) {
      await Promise.all(group.map((c) => stopChild(c)));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  /** A store or gateway process: its unexpected exit makes the whole shop unusable. */
  const essential = (child: Child): Child => {
    children.push(child);
    void child.exit.then(() => {
      if (stopping || !child.wanted) return;
      const reason = `${child.label} exited unexpectedly (code ${String(child.proc.exitCode)}, signal ${String(child.proc.signalCode)}): ${child.lines.slice(-5).join(" | ")}`;
      event(reason);
      reportFailure(reason);
    });
    return child;
  };

  try {
    // The store.
    const storePort = await freePort();
    let storeEnv: (role: ShopRole) => Record<string, string>;
    if (state === "redis") {
      essential(spawnChild("redis-server", "redis-server", ["--port", String(storePort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { PATH: process.env.PATH }, options.onLog));
      storeEnv = () => ({ STATE: "redis", REDIS_URL: `redis://127.0.0.1:${storePort}` });
    } else {
      const data = path.join(dir, "ferretdb");
      const bin = ferretdbBinary();
      essential(spawnChild("ferretdb", bin, ["-listen", `127.0.0.1:${storePort}`, "-data-dir", data], { PATH: process.env.PATH }, options.onLog));
      storeEnv = (role) => ({ STATE: "mongo", MONGO_URL: `mongodb://127.0.0.1:${storePort}/${MONGO_DATABASES[role]}` });
    }
    const storeChild = children[0] as Child;
    await waitUntil(`${storeChild.label} on 127.0.0.1:${storePort}`, async () => portTaken(storePort), 15_000, () => (storeChild.exited ? `exited: ${storeChild.lines.join(" | ")}` : undefined));

    // The replicas' ports first: order replicas get the payment and stock replicas' URLs.
    for (const role of SHOP_ROLES) {
      for (let i = 0; i < replicaCount; i++) {
        const p = await freePort();
        replicas[role].push({ role, index: i, port: p, url: `http://127.0.0.1:${p}`, pid: undefined });
      }
    }
    const list = (role: ShopRole) => replicas[role].map((r) => r.url).join(",");

    const launch = (r: Replica): Child => {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOST: "127.0.0.1",
        PORT: String(r.port),
        POD_NAME: `${r.role}-${r.index}`,
        POD_IP: "127.0.0.1",
        LOG_LEVEL: "warn",
        ...storeEnv(r.role),
        ...(r.role === "shop-order" ? { SHOP_PAYMENT_URL: list("shop-payment"), SHOP_STOCK_URL: list("shop-stock") } : {}),
        ...(options.env ?? {}),
      };
      const child = spawnChild(`${r.role}-${r.index}`, process.execPath, [appMain, options.appRole?.(r.role) ?? r.role], env, options.onLog);
      procs.set(r, child);
      r.pid = child.proc.pid;
      void child.exit.then(() => {
        if (procs.get(r) === child) r.pid = undefined;
        if (stopping || starting || !child.wanted || procs.get(r) !== child) return;
        // Not asked for: restart like a Deployment would, after a short delay.
        event(`${child.label} exited unexpectedly (code ${String(child.proc.exitCode)}, signal ${String(child.proc.signalCode)}); restarting in ${restartDelayMs} ms`);
        const timer = setTimeout(() => {
          restartTimers.delete(timer);
          if (!stopping && procs.get(r) === child) launch(r);
        }, restartDelayMs);
        restartTimers.add(timer);
      });
      return child;
    };

    const waitReady = async (r: Replica): Promise<void> => {
      await waitUntil(`${r.role}-${r.index} /readyz on ${r.url}`, async () => (await statusOf(`${r.url}/readyz`)) === 200, readyTimeoutMs, () => {
        const c = procs.get(r);
        if (c?.exited && !c.wanted) return "it was killed";
        return c?.exited && starting ? `it exited (code ${String(c.proc.exitCode)}): ${c.lines.slice(-8).join(" | ")}` : undefined;
      });
    };

    for (const role of SHOP_ROLES) for (const r of replicas[role]) launch(r);

    // The gateway.
    const conf = writeGatewayConfig({ port, prefix: dir, upstreams: Object.fromEntries(SHOP_ROLES.map((role) => [role, replicas[role].map((r) => `127.0.0.1:${r.port}`)])) as Record<ShopRole, string[]> });
    const checked = await testGatewayConfig(dir, conf);
    if (!checked.ok) throw new Error(`nginx -t rejected the generated gateway config ${conf}:\n${checked.output}`);
    const nginx = essential(spawnChild("nginx", NGINX_BIN, nginxArgs(dir, conf), { PATH: process.env.PATH }, options.onLog));

    await Promise.all(SHOP_ROLES.flatMap((role) => replicas[role].map(waitReady)));
    for (const { prefix } of GATEWAY_ROUTES) {
      await waitUntil(`nginx on 127.0.0.1:${port} routing ${prefix}readyz`, async () => (await statusOf(`http://127.0.0.1:${port}${prefix}readyz`)) === 200, readyTimeoutMs, () =>
        nginx.exited ? `nginx exited: ${nginx.lines.join(" | ")}` : undefined,
      );
    }

    starting = false;
    const find = (role: ShopRole, index: number): Replica => {
      const r = replicas[role]?.[index];
      if (!r) throw new Error(`no replica ${role} #${index} (there are ${replicas[role]?.length ?? 0})`);
      return r;
    };

    return {
      url: `http://127.0.0.1:${port}`,
      state,
      replicas,
      dir,
      failed,
      async kill(role, index) {
        const c = procs.get(find(role, index));
        if (c) await stopChild(c, "SIGKILL");
      },
      async restart(role, index) {
        const r = find(role, index);
        const c = procs.get(r);
        if (c && !c.exited) throw new Error(`${role} #${index} is running (pid ${String(c.proc.pid)}); kill it first`);
        launch(r);
        await waitReady(r);
      },
      logs() {
        let gatewayLog: string;
        try {
          gatewayLog = readFileSync(path.join(dir, "error.log"), "utf8").split("\n").slice(-40).join("\n");
        } catch {
          gatewayLog = "(no error.log)";
        }
        return [...[...children, ...procs.values()].map((c) => `----- ${c.label}\n${c.lines.slice(-40).join("\n")}`), `----- nginx error.log\n${gatewayLog}`].join("\n");
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
