import { expect } from "chai";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SEED_STAGES, checkFails, evaluateThresholds, scaleStages, totalDurationS, vusAt } from "../loadtest/profile";

const ROOT = path.resolve(__dirname, "..");

/** Runs the load runner's CLI as a user would; bounded by the scaled profile (a few seconds). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "loadtest/run.ts", ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback server: ready, and /api/data answering per `answer(n)`. */
async function server(answer: (n: number) => { status: number; body: string; delayMs?: number }): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let n = 0;
  const s = http.createServer((req, res) => {
    if (req.url === "/readyz") return void res.end('{"status":"ready"}');
    const a = answer(n++);
    setTimeout(() => {
      res.writeHead(a.status, { "content-type": "application/json" });
      res.end(a.body);
    }, a.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}

const OK = JSON.stringify({ status: "success", writes: [], reads: [], timestamp: "x", cached: false });

describe("load runner (seed-002 k6 profile)", function () {
  this.timeout(60_000);

  it("follows the seed's stages like k6's ramping-vus: from 1 VU, linear, 13 minutes", function () {
    expect(totalDurationS(SEED_STAGES)).to.equal(13 * 60);
    const at = (t: number) => vusAt(SEED_STAGES, t);
    expect([at(0), at(60), at(120), at(180), at(270), at(360), at(500), at(659), at(720), at(780)]).to.deep.equal([
      1, 1000, 3000, 5000, 7500, 10000, 10000, 10000, 5000, 0,
    ]);
    expect(at(30)).to.be.within(500, 501);
  });

  it("scales users with --scale and durations with --time-scale", function () {
    expect(scaleStages(SEED_STAGES, 0.2, 0.1)).to.deep.equal([
      { durationS: 6, target: 200 },
      { durationS: 12, target: 1000 },
      { durationS: 18, target: 2000 },
      { durationS: 30, target: 2000 },
      { durationS: 12, target: 0 },
    ]);
    expect(() => scaleStages(SEED_STAGES, 0, 1)).to.throw(/positive/);
  });

  it("applies the seed's thresholds as strict bounds (k6's '<')", function () {
    const pass = { p95Ms: 1999, p99Ms: 4999, failedRate: 0.0099, errorRate: 0.0099 };
    expect(evaluateThresholds(pass).every((t) => t.ok)).to.equal(true);
    const fails = (m: Partial<typeof pass>) => evaluateThresholds({ ...pass, ...m }).filter((t) => !t.ok).map((t) => `${t.metric} ${t.expression}`);
    expect(fails({ p95Ms: 2000 })).to.deep.equal(["http_req_duration p(95)<2000"]);
    expect(fails({ p99Ms: 5000 })).to.deep.equal(["http_req_duration p(99)<5000"]);
    expect(fails({ failedRate: 0.01 })).to.deep.equal(["http_req_failed rate<0.01"]);
    expect(fails({ errorRate: 0.01 })).to.deep.equal(["error_rate rate<0.01"]);
    expect(fails({ errorRate: Number.NaN }), "no requests at all is not a pass").to.deep.equal(["error_rate rate<0.01"]);
  });

  it("counts an error exactly as the seed's checks do: not 200, not status success, or 2 s and slower", function () {
    expect(checkFails(200, OK, 1999)).to.equal(false);
    expect(checkFails(200, OK, 2000)).to.equal(true);
    expect(checkFails(503, OK, 5)).to.equal(true);
    expect(checkFails(200, '{"status":"error"}', 5)).to.equal(true);
    expect(checkFails(200, "<html>", 5)).to.equal(true);
    expect(checkFails(undefined, undefined, 10_000)).to.equal(true);
  });

  it("passes (exit 0) against a healthy server and ramps to the scaled peak", async function () {
    const s = await server(() => ({ status: 200, body: OK }));
    try {
      const r = await cli(["--url", s.url, "--scale", "0.005", "--time-scale", "0.005"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/vus_max\.+: 50\n/);
      const reqs = Number(/http_reqs\.+: (\d+)/.exec(r.stdout)?.[1]);
      expect(reqs, "every request the runner counted reached the server").to.equal(s.hits());
      expect(r.stdout).to.match(/✓ error_rate rate<0.01/);
    } finally {
      await s.close();
    }
  });

  it("exits 99 and marks the threshold ✗ when a server fails 5 % of requests", async function () {
    const s = await server((n) => (n % 20 === 7 ? { status: 500, body: '{"detail":"boom"}' } : { status: 200, body: OK }));
    try {
      const r = await cli(["--url", s.url, "--scale", "0.005", "--time-scale", "0.005"]);
      expect(r.code, r.stderr).to.equal(99);
      expect(r.stdout).to.match(/✗ http_req_failed rate<0.01 {2}\(actual [45]\.\d\d%\)/);
      expect(r.stdout).to.match(/✗ error_rate rate<0.01/);
      expect(r.stdout).to.match(/✓ http_req_duration p\(95\)<2000/);
    } finally {
      await s.close();
    }
  });

  it("refuses to start (exit 1) when /readyz is not 200, and rejects a bad --url (exit 2)", async function () {
    const s = http.createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    try {
      const r = await cli(["--url", `http://127.0.0.1:${(s.address() as AddressInfo).port}`, "--scale", "0.005", "--time-scale", "0.005"]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/setup: GET .*\/readyz failed \(answered 503\)/);
    } finally {
      s.close();
    }
    const bad = await cli(["--url", "ftp://x"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--url: "ftp:\/\/x" is not an http\(s\) URL/);
  });
});
