import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../loadtest/shop/local";
import { gatewayConfig, nginxArgs, NGINX_BIN, testGatewayConfig, writeGatewayConfig, type GatewayConfigArgs } from "../loadtest/shop/nginx";

/**
 * The local gateway's nginx config, checked by nginx itself (`nginx -t`) and by a real nginx
 * routing to loopback upstreams that echo what they received: the course's prefix stripping
 * (delftdata/wdm-project-template@b96f802 gateway_nginx.conf: `location /orders/ { proxy_pass
 * http://order-app/; }`), both replicas of an upstream used, and only checkout retried on the
 * next replica after the first one dropped a POST.
 */

interface Upstream {
  name: string;
  port: number;
  seen: { method: string; url: string; requestId: string }[];
  /** Paths whose connection this upstream destroys without answering (a replica dying mid-request). */
  dropPrefixes: string[];
  close: () => Promise<void>;
}

async function upstream(name: string): Promise<Upstream> {
  const u: Upstream = { name, port: 0, seen: [], dropPrefixes: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    u.seen.push({ method: req.method ?? "", url: req.url ?? "", requestId: String(req.headers["x-request-id"] ?? "") });
    if (u.dropPrefixes.some((p) => req.url?.startsWith(p))) return void req.socket.destroy();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  u.port = (server.address() as AddressInfo).port;
  u.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return u;
}

function request(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

const args = (prefix: string, port: number, ups: Record<string, Upstream[]>): GatewayConfigArgs => ({
  port,
  prefix,
  upstreams: {
    "shop-order": (ups.order ?? []).map((u) => `127.0.0.1:${u.port}`),
    "shop-payment": (ups.payment ?? []).map((u) => `127.0.0.1:${u.port}`),
    "shop-stock": (ups.stock ?? []).map((u) => `127.0.0.1:${u.port}`),
  },
});

describe("shop:local gateway (real nginx)", function () {
  this.timeout(30_000);
  let dir: string;
  let ups: Record<string, Upstream[]>;
  let nginx: ChildProcess | undefined;
  let port: number;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "statefleet-gateway-test-"));
    ups = {
      order: [await upstream("order-0"), await upstream("order-1")],
      payment: [await upstream("payment-0"), await upstream("payment-1")],
      stock: [await upstream("stock-0"), await upstream("stock-1")],
    };
    port = await freePort();
    const conf = writeGatewayConfig(args(dir, port, ups));
    nginx = spawn(NGINX_BIN, nginxArgs(dir, conf), { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await request("GET", `http://127.0.0.1:${port}/stock/`);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${(err as Error).message}\n${readFileSync(path.join(dir, "error.log"), "utf8")}`, { cause: err });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async function () {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx?.once("exit", r));
      nginx.kill("SIGTERM");
      await exited;
    }
    for (const list of Object.values(ups ?? {})) for (const u of list) await u.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(function () {
    for (const list of Object.values(ups)) for (const u of list) {
      u.seen.length = 0;
      u.dropPrefixes.length = 0;
    }
  });

  it("passes nginx's own check (nginx -t), and nginx -t rejects a broken config (the check is real)", async function () {
    const conf = path.join(dir, "nginx.conf");
    const ok = await testGatewayConfig(dir, conf);
    expect(ok.ok, ok.output).to.equal(true);
    expect(ok.output).to.match(/syntax is ok/);
    const broken = writeGatewayConfig({ ...args(path.join(dir, "broken"), port, ups) });
    writeFileSync(broken, readFileSync(broken, "utf8").replace("proxy_next_upstream error timeout http_502 non_idempotent;", "proxy_next_upstream error sometimes;"));
    const bad = await testGatewayConfig(path.join(dir, "broken"), broken);
    expect(bad.ok).to.equal(false);
    expect(bad.output).to.match(/invalid value "sometimes"/);
  });

  it("strips /orders, /payment and /stock like the course's gateway and keeps the rest of the path", async function () {
    const cases: [string, string, string][] = [
      ["POST", "/orders/create/u1", "order"],
      ["GET", "/orders/find/o-1", "order"],
      ["DELETE", "/orders/removeItem/o-1/i-2", "order"],
      ["POST", "/payment/add_funds/u1/5.0", "payment"],
      ["GET", "/payment/find_user/u1", "payment"],
      ["POST", "/stock/item/create/5", "stock"],
      ["GET", "/stock/find/i-2?x=1", "stock"],
    ];
    for (const [method, url, service] of cases) {
      const res = await request(method, `http://127.0.0.1:${port}${url}`);
      expect(res.status, url).to.equal(200);
      const body = JSON.parse(res.body) as { upstream: string; method: string; url: string };
      expect(body.upstream.startsWith(`${service}-`), `${url} reached ${body.upstream}`).to.equal(true);
      expect(body.method).to.equal(method);
      expect(body.url).to.equal(url.slice(url.indexOf("/", 1)));
    }
    // A path outside the three prefixes reaches no service.
    expect((await request("GET", `http://127.0.0.1:${port}/other/find/1`)).status).to.equal(404);
  });

  it("spreads requests over both replicas of a service (an upstream per service with every replica)", async function () {
    for (let i = 0; i < 20; i++) await request("GET", `http://127.0.0.1:${port}/payment/find_user/u${i}`);
    const [a, b] = ups.payment as [Upstream, Upstream];
    expect(a.seen.length + b.seen.length).to.equal(20);
    expect(a.seen.length).to.be.greaterThan(0);
    expect(b.seen.length).to.be.greaterThan(0);
  });

  it("sends a checkout whose replica dropped it to the other replica, but never another POST", async function () {
    const [a, b] = ups.order as [Upstream, Upstream];
    a.dropPrefixes.push("/checkout/", "/create/");
    b.dropPrefixes.push("/create/");
    // Round robin sends at least one of two checkouts to order-0 first; it drops it and order-1 answers.
    for (const id of ["o-7", "o-8"]) {
      const res = await request("POST", `http://127.0.0.1:${port}/orders/checkout/${id}`);
      expect(res.status, id).to.equal(200);
      expect(JSON.parse(res.body)).to.include({ upstream: "order-1", url: `/checkout/${id}` });
    }
    const dropped = a.seen.filter((s) => s.url.startsWith("/checkout/"));
    expect(dropped.length, "order-0 got (and dropped) a checkout").to.be.at.least(1);
    // Each resent checkout carries the request id it had on order-0, so order-1 can tell nginx's
    // retry from a second checkout of the same order; different requests have different ids.
    for (const d of dropped) {
      expect(d.requestId).to.match(/^[0-9a-f]{32}$/);
      expect(b.seen.filter((s) => s.url === d.url).map((s) => s.requestId)).to.deep.equal([d.requestId]);
    }
    const ids = b.seen.filter((s) => s.url.startsWith("/checkout/")).map((s) => s.requestId);
    expect(new Set(ids).size).to.equal(2);
    // Any other POST is not idempotent: sent once, and nginx answers 502 instead of sending it again.
    const res = await request("POST", `http://127.0.0.1:${port}/orders/create/u-9`);
    expect(res.status).to.equal(502);
    expect([...a.seen, ...b.seen].filter((s) => s.url === "/create/u-9").length).to.equal(1);
  });

  it("refuses to write a config that would route nowhere or outside loopback", function () {
    expect(() => gatewayConfig({ ...args(dir, port, ups), upstreams: { "shop-order": [], "shop-payment": ["127.0.0.1:1"], "shop-stock": ["127.0.0.1:2"] } })).to.throw(/shop-order has no replica/);
    expect(() => gatewayConfig({ ...args(dir, port, ups), upstreams: { "shop-order": ["10.0.0.1:80"], "shop-payment": ["127.0.0.1:1"], "shop-stock": ["127.0.0.1:2"] } })).to.throw(/not 127.0.0.1:<port>/);
    expect(() => gatewayConfig({ ...args(dir, 70000, ups) })).to.throw(/not a TCP port/);
  });
});
