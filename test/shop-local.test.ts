import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, start, type ShopLocal } from "../loadtest/shop/local";

/**
 * The local runner's process lifecycle, with a role that needs no shop code (stats on the same
 * Redis) behind the real nginx: ready only when every replica and every gateway route answers,
 * kill -9 / restart of one replica, a replica dying on its own restarted by the supervisor, and
 * stop() leaving no process, no listening port and no temporary directory behind.
 */

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url, { headers: { connection: "close" }, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

describe("shop:local runner lifecycle (real redis-server, role processes, nginx)", function () {
  this.timeout(60_000);
  let shop: ShopLocal | undefined;
  const events: string[] = [];

  after(async function () {
    await shop?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && shop) process.stderr.write(`${shop.logs()}\n`);
  });

  it("starts 2 replicas per service behind nginx and is ready only when every route answers", async function () {
    shop = await start({ replicas: 2, appRole: () => "stats", restartDelayMs: 200, onEvent: (l) => events.push(l) });
    expect(shop.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const role of ["shop-order", "shop-payment", "shop-stock"] as const) {
      expect(shop.replicas[role]).to.have.length(2);
      for (const r of shop.replicas[role]) expect(await statusOf(`${r.url}/readyz`)).to.equal(200);
    }
    for (const prefix of ["/orders", "/payment", "/stock"]) expect(await statusOf(`${shop.url}${prefix}/readyz`)).to.equal(200);
    expect(existsSync(`${shop.dir}/nginx.pid`)).to.equal(true);
  });

  it("kill -9 takes one replica down (not restarted), the gateway keeps answering, restart brings it back", async function () {
    const s = shop as ShopLocal;
    const victim = s.replicas["shop-payment"][0] as (typeof s.replicas)["shop-payment"][number];
    const pid = victim.pid as number;
    await s.kill("shop-payment", 0);
    expect(alive(pid)).to.equal(false);
    expect(victim.pid).to.equal(undefined);
    await new Promise((r) => setTimeout(r, 600)); // longer than restartDelayMs: an asked-for kill stays down
    expect(await listening(victim.port)).to.equal(false);
    for (let i = 0; i < 6; i++) expect(await statusOf(`${s.url}/payment/readyz`)).to.equal(200);
    await s.restart("shop-payment", 0);
    expect(victim.pid).to.be.a("number").and.not.equal(pid);
    expect(await statusOf(`${victim.url}/readyz`)).to.equal(200);
    expect(events).to.deep.equal([]);
  });

  it("restarts a replica that died without being asked to, and says so", async function () {
    const s = shop as ShopLocal;
    const victim = s.replicas["shop-stock"][1] as (typeof s.replicas)["shop-stock"][number];
    const pid = victim.pid as number;
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(victim.pid && victim.pid !== pid && (await statusOf(`${victim.url}/readyz`).catch(() => 0)) === 200)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(victim.pid).to.be.a("number").and.not.equal(pid);
    expect(events.some((e) => /shop-stock-1 exited unexpectedly .*signal SIGKILL.*restarting/.test(e)), events.join("\n")).to.equal(true);
  });

  it("stop() ends every process it started, frees every port and removes its directory", async function () {
    const s = shop as ShopLocal;
    const replicas = Object.values(s.replicas).flat();
    const pids = replicas.map((r) => r.pid as number);
    const gatewayPort = Number(new URL(s.url).port);
    await s.stop();
    shop = undefined;
    expect(pids.filter(alive)).to.deep.equal([]);
    for (const r of replicas) expect(await listening(r.port), r.url).to.equal(false);
    expect(await listening(gatewayPort)).to.equal(false);
    expect(existsSync(s.dir)).to.equal(false);
  });

  it("refuses a port already in use and a replica count it cannot run, naming what to fix", async function () {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await start({ port, appRole: () => "stats" }).then(
        () => expect.fail("started on a taken port"),
        (err: Error) => expect(err.message).to.match(new RegExp(`port ${port} on 127.0.0.1 is already in use; choose another with --port`)),
      );
    } finally {
      server.close();
    }
    await start({ replicas: 0 }).then(
      () => expect.fail("started with 0 replicas"),
      (err: Error) => expect(err.message).to.match(/replicas 0: give a whole number from 1 to 16/),
    );
  });
});

/** `npm run shop:local` without the build step: the CLI as a user runs it. */
function cli(args: string[], onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void) {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "loadtest/shop/main.ts", ...args], { cwd: path.resolve(__dirname, "..") });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
    onStdout?.(stdout, (sig) => child.kill(sig));
  });
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("npm run shop:local (the CLI)", function () {
  this.timeout(90_000);

  it("rejects bad flags with exit 2, naming the flag", async function () {
    for (const [flags, message] of [
      [["--port", "http"], /--port: "http" is not a TCP port/],
      [["--state", "postgres"], /--state: "postgres" is not a store; use redis or mongo/],
      [["--replicas", "0"], /--replicas: "0" is not a whole number from 1 to 16/],
    ] as const) {
      const res = await cli([...flags]);
      expect(res.code, res.stderr).to.equal(2);
      expect(res.stderr).to.match(message);
    }
  });

  it("prints the gateway URL once the shop answers through it, and SIGTERM stops everything with exit 0", async function () {
    const port = await freePort();
    const before = new Set(readdirSync(os.tmpdir()).filter((d) => d.startsWith("statefleet-shop-local-")));
    let answered = 0;
    const res = await cli(["--port", String(port)], (stdout, kill) => {
      if (!stdout.includes(`gateway ready: http://127.0.0.1:${port}\n`) || answered) return;
      answered = -1;
      void (async () => {
        const r = await fetch(`http://127.0.0.1:${port}/payment/create_user`, { method: "POST" });
        const body = (await r.json()) as { user_id?: unknown };
        answered = r.status === 200 && typeof body.user_id === "string" ? 1 : -2;
        kill("SIGTERM");
      })();
    });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.equal(`gateway ready: http://127.0.0.1:${port}\n`);
    expect(answered, "POST /payment/create_user through the gateway answered a user_id").to.equal(1);
    expect(res.stderr).to.match(/SIGTERM: stopping/);
    const ports = [...res.stderr.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).to.be.greaterThan(5);
    for (const p of [port, ...ports]) expect(await listening(p), `port ${p}`).to.equal(false);
    const left = readdirSync(os.tmpdir()).filter((d) => d.startsWith("statefleet-shop-local-") && !before.has(d));
    expect(left).to.deep.equal([]);
  });
});
