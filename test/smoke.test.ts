/**
 * `npm run smoke` against the roles running as real processes on loopback (a real redis-server,
 * `node app/dist/main.js <role>`): it passes when the variants behave, and catches each way they
 * can misbehave in a cluster — replicas that do not share state behind a round-robin proxy,
 * logoutput reading another counter than pingpong, an unreachable or silent entry point.
 */
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../app/test/helpers/net";
import { killAll } from "../app/test/helpers/processes";
import { RedisServer } from "../app/test/helpers/redis";
import { RoleProcess } from "../app/test/helpers/role";
import { tempDir } from "../app/test/helpers/tmp";
import { loadChecks } from "../smoke/check";
import { EXIT, runSmoke } from "../smoke/run";
import { REPO_ROOT } from "./harness/evaluate";
import { RoundRobinProxy } from "./harness/round-robin-proxy";

const scratch = mkdtempSync(path.join(os.tmpdir(), "statefleet-smoke-test-"));
let fileNo = 0;

/** A saved `pulumi stack output --json`. */
function outputsFile(outputs: Record<string, unknown>): string {
  const file = path.join(scratch, `outputs-${++fileNo}.json`);
  writeFileSync(file, JSON.stringify(outputs));
  return file;
}

/** The smoke test in this process: exit code and printed lines. */
async function smoke(...argv: string[]): Promise<{ code: number; lines: string[]; ms: number }> {
  const lines: string[] = [];
  const started = Date.now();
  const code = await runSmoke(argv, (l) => lines.push(...l.split("\n")));
  return { code, lines, ms: Date.now() - started };
}

/** `npm run smoke -- …` as a user runs it, bounded. */
function npmSmoke(argv: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 45_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "smoke", "--", ...argv], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm run smoke did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const passes = (lines: string[]) => lines.filter((l) => l.startsWith("  ✓")).map((l) => l.slice(4).split(" — ")[0]);
const failures = (lines: string[]) => lines.filter((l) => l.includes("✗"));
const FAST = ["--requests", "6", "--follow-s", "3", "--wait-s", "2", "--timeout-ms", "2000"];

describe("npm run smoke (against the roles as real processes)", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let statsProxy: RoundRobinProxy;
  let pingpong: RoleProcess;
  let logoutput: RoleProcess;
  const dirs: Array<{ remove: () => void }> = [];
  const proxies: RoundRobinProxy[] = [];

  /** Two replicas of `role` behind a round-robin proxy. */
  async function twoReplicas(role: string, env: (i: number) => Record<string, string>): Promise<RoundRobinProxy> {
    const replicas = await Promise.all([0, 1].map((i) => RoleProcess.start(role, { POD_IP: `10.0.0.${i + 1}`, ...env(i) })));
    const proxy = await RoundRobinProxy.start(replicas.map((r) => r.url));
    proxies.push(proxy);
    return proxy;
  }
  function dir(prefix: string): string {
    const d = tempDir(prefix);
    dirs.push(d);
    return d.path;
  }

  before(async () => {
    redis = await RedisServer.start();
    // The dev stack's shape: stats on Redis with 2 replicas, pingpong + logoutput on one volume.
    statsProxy = await twoReplicas("stats", () => ({ STATE: "redis", REDIS_URL: redis.url }));
    const shared = dir("smoke-pingpong");
    pingpong = await RoleProcess.start("pingpong", { STATE: "shared-volume", STATE_DIR: shared });
    logoutput = await RoleProcess.start("logoutput", { STATE: "shared-volume", STATE_DIR: shared, LOG_INTERVAL_MS: "200" });
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await killAll();
    dirs.forEach((d) => d.remove());
  });

  const good = () => ({
    enabledVariants: ["stats", "pingpong", "logoutput"],
    // *.localhost is loopback (RFC 6761), however the system resolver treats it: the k3d URLs use it.
    statsUrl: `http://statefleet.localhost:${new URL(statsProxy.url).port}/`,
    pingpongUrl: `${pingpong.url}/pingpong`,
    logoutputUrl: `${logoutput.url}/`,
    kubeconfig: "[secret]",
  });

  it("passes, exit 0, with a ✓ per check of every variant, when the variants behave (npm run smoke -- --outputs)", async () => {
    const { code, out } = await npmSmoke(["--outputs", outputsFile(good()), "--requests", "8", "--follow-s", "5"]);
    const lines = out.split("\n");
    expect(failures(lines), out).to.deep.equal([]);
    expect(code, out).to.equal(EXIT.ok);
    expect(passes(lines)).to.have.members([
      "status format", "line is fresh", "follows pingpong",
      "answers pong N", "increments by one over 8 calls",
      "page lines", "JSON view", "exact counts over 8 requests", "a 404 is not counted",
    ]);
    // Both replicas answered, and the counts still rose one by one: that is what Redis state buys.
    expect(out).to.match(/answered by 2 replica\(s\): 10\.0\.0\.[12], 10\.0\.0\.[12]/);
    expect(statsProxy.hits.every((h) => h >= 4), `proxy hits ${statsProxy.hits}`).to.equal(true);
  });

  it("fails exact counts when two `pod`-state stats replicas sit behind a round-robin proxy", async () => {
    const podStats = await twoReplicas("stats", () => ({ STATE: "pod", STATE_DIR: dir("smoke-stats-pod") }));
    const { code, lines } = await smoke("--outputs", outputsFile({ ...good(), statsUrl: `${podStats.url}/` }), ...FAST);
    expect(code).to.equal(EXIT.failed);
    const bad = failures(lines);
    expect(bad, lines.join("\n")).to.have.length(1);
    expect(bad[0]).to.match(/✗ exact counts over 6 requests — request \d \((page|JSON), replica 10\.0\.0\.\d\) shows \d+ requests from you, expected \d+; answers came from 2 replicas/);
    expect(lines.at(-1)).to.match(/checks: \d+ passed, 1 failed$/);
  });

  it("passes with `pod`-state stats replicas behind cookie affinity: it keeps cookies, as a browser does", async () => {
    // affinity: cookie is one of the fixes: each user stays on one replica and sees exact counts.
    const replicas = await Promise.all([1, 2].map((i) => RoleProcess.start("stats", { POD_IP: `10.0.0.${i}`, STATE: "pod", STATE_DIR: dir("smoke-sticky") })));
    const sticky = await RoundRobinProxy.start(replicas.map((r) => r.url), { stickyCookie: "STATEFLEET_AFFINITY" });
    proxies.push(sticky);
    const { code, lines } = await smoke("--outputs", outputsFile({ statsUrl: `${sticky.url}/` }), ...FAST);
    expect(failures(lines), lines.join("\n")).to.deep.equal([]);
    expect(code).to.equal(EXIT.ok);
    expect(lines.join("\n")).to.match(/answered by 1 replica\(s\): 10\.0\.0\.1/);
    expect(sticky.hits).to.deep.equal([sticky.hits[0], 0]);
  });

  it("fails when pingpong does not go up by exactly one per call (two `pod`-state replicas)", async () => {
    const podPingpong = await twoReplicas("pingpong", () => ({ STATE: "pod", STATE_DIR: dir("smoke-pingpong-pod") }));
    const { code, lines } = await smoke("--outputs", outputsFile({ statsUrl: undefined, pingpongUrl: `${podPingpong.url}/pingpong` }), ...FAST);
    expect(code).to.equal(EXIT.failed);
    expect(failures(lines), lines.join("\n")).to.have.length(1);
    expect(failures(lines)[0]).to.match(/✗ increments by one over 6 calls — call \d answered pong (\d+) after pong \1, expected pong \d+ — the answers do not share one counter/);
  });

  it("fails when logoutput shows another count than the one pingpong reached", async () => {
    // logoutput reading a volume pingpong does not write: a well-formed line, but stuck at 0.
    const stray = await RoleProcess.start("logoutput", { STATE: "shared-volume", STATE_DIR: dir("smoke-stray"), LOG_INTERVAL_MS: "200" });
    const { code, lines } = await smoke("--outputs", outputsFile({ pingpongUrl: `${pingpong.url}/pingpong`, logoutputUrl: `${stray.url}/` }), ...FAST);
    expect(code).to.equal(EXIT.failed);
    expect(passes(lines)).to.include.members(["status format", "line is fresh", "answers pong N"]);
    expect(failures(lines)).to.have.length(1);
    expect(failures(lines)[0]).to.match(/✗ follows pingpong — pingpong answered pong \d+ \(count now \d+\); logoutput shows still 0 after 3 s/);
  });

  it("fails fast with a clear message when a URL is unreachable", async () => {
    const port = await freePort();
    const { code, lines, ms } = await smoke("--outputs", outputsFile({ enabledVariants: ["pingpong"], pingpongUrl: `http://127.0.0.1:${port}/pingpong` }));
    expect(code).to.equal(EXIT.failed);
    expect(failures(lines)).to.deep.equal([`  ✗ answers pong N — GET http://127.0.0.1:${port}/pingpong: connection refused — nothing listens on 127.0.0.1:${port} (is the cluster up? k3d: \`k3d cluster list\`)`]);
    expect(ms, "two quick retries, not the 60 s readiness wait").to.be.below(5000);
  });

  it("never hangs on an entry point that accepts connections and never answers", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const { code, lines, ms } = await smoke("--outputs", outputsFile({ statsUrl: `http://127.0.0.1:${port}/` }), "--timeout-ms", "400");
      expect(code).to.equal(EXIT.failed);
      expect(failures(lines)).to.deep.equal([`  ✗ page lines — GET http://127.0.0.1:${port}/: no answer within 400 ms (raise --timeout-ms if the cluster is slow)`]);
      expect(ms).to.be.below(3000);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it("waits while the entry point answers 502/503 (pods not ready), then checks", async () => {
    // ingress-nginx answers 503 until the Service has a ready endpoint; those requests were not counted.
    const late = await RoundRobinProxy.start([`http://127.0.0.1:${await freePort()}`]);
    proxies.push(late);
    const fresh = await RoleProcess.start("pingpong", { STATE: "pod", STATE_DIR: dir("smoke-late") });
    // Answers 502 (bad gateway) for ~1.5 s, then pingpong is "ready" behind the same address.
    const timer = setTimeout(() => late.retarget([fresh.url]), 1500);
    const { code, lines } = await smoke("--outputs", outputsFile({ pingpongUrl: `${late.url}/pingpong` }), "--wait-s", "10", "--requests", "3");
    clearTimeout(timer);
    expect(failures(lines), lines.join("\n")).to.deep.equal([]);
    expect(code).to.equal(EXIT.ok);
    expect(lines).to.include("  ✓ answers pong N — pong 0");
  });

  it("fails for an enabled variant that has no check module, and notes one that is not exposed", async () => {
    const { code, lines } = await smoke("--outputs", outputsFile({ enabledVariants: ["stats", "teapot"], pingpongUrl: `${pingpong.url}/pingpong` }), ...FAST);
    expect(code).to.equal(EXIT.failed);
    expect(lines).to.include("  ✗ enabled, but there is no smoke check for it: add smoke/variants/teapot.ts");
    expect(lines).to.include("  – enabled but not exposed (no statsUrl output): not checked");
    expect(passes(lines)).to.include("answers pong N");
  });

  it("refuses a check module that breaks the contract, naming the file", () => {
    const variants = mkdtempSync(path.join(scratch, "variants-"));
    writeFileSync(path.join(variants, "api.js"), "exports.check = { variant: 'api', run: async () => {} };\n");
    expect(() => loadChecks(variants)).to.throw("smoke/variants/api.js must export `check: VariantCheck` ({ variant, output, run })");
    const twice = mkdtempSync(path.join(scratch, "variants-"));
    for (const file of ["api.js", "api-v2.js"]) writeFileSync(path.join(twice, file), "exports.check = { variant: 'api', output: 'apiUrl', run: async () => {} };\n");
    expect(() => loadChecks(twice)).to.throw('two check modules for variant "api"');
  });

  it("fails when nothing at all can be checked", async () => {
    const { code, lines } = await smoke("--outputs", outputsFile({ enabledVariants: [], kubeconfig: "[secret]" }));
    expect(code).to.equal(EXIT.failed);
    expect(lines.at(-1)).to.match(/✗ nothing was checked/);
  });

  it("--url VARIANT=URL replaces that variant's output (e.g. an AKS <EXTERNAL-IP> placeholder)", async () => {
    const file = outputsFile({ pingpongUrl: "http://<EXTERNAL-IP>/pingpong" });
    const placeholder = await smoke("--outputs", file, ...FAST);
    expect(placeholder.code).to.equal(EXIT.failed);
    expect(failures(placeholder.lines)[0]).to.match(/✗ URL — "http:\/\/<EXTERNAL-IP>\/pingpong" is not an http\(s\) URL \(a placeholder: .* pass --url pingpong=URL\)/);
    const fixed = await smoke("--outputs", file, "--url", `pingpong=${pingpong.url}/pingpong`, ...FAST);
    expect(fixed.code, fixed.lines.join("\n")).to.equal(EXIT.ok);
  });

  it("stops with exit 2 and what to fix when it cannot even start", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /nothing to check: give --stack, --outputs or --url/],
      [["--outputs", path.join(scratch, "missing.json")], /cannot read --outputs .*missing\.json/],
      [["--outputs", (writeFileSync(path.join(scratch, "bad.json"), "Current stack outputs (3):"), path.join(scratch, "bad.json"))], /is not JSON \(save it with `pulumi stack output --json > FILE.json`\)/],
      [["--url", "http://127.0.0.1:1/"], /--url http:\/\/127\.0\.0\.1:1\/: expected VARIANT=URL with VARIANT one of api, logoutput, pingpong, shop, sms, stats/],
      [["--stack", "dev", "--outputs", "x.json"], /give one of them/],
      [["--outputs", "x.json", "--requests", "0"], /--requests: "0" is not a whole number from 1 to 1000/],
      [["--colour"], /Unknown option '--colour'/],
    ];
    for (const [argv, message] of cases) {
      const { code, lines } = await smoke(...argv);
      expect(code, argv.join(" ")).to.equal(EXIT.setup);
      expect(lines.join("\n"), argv.join(" ")).to.match(message);
    }
    const help = await smoke("--help");
    expect(help.code).to.equal(EXIT.ok);
    expect(help.lines[0]).to.match(/^usage: npm run smoke -- /);
  });

  describe("--stack NAME without the Pulumi CLI on PATH stops at once and says so", () => {
    // A PATH with only what the scripts need before they look for pulumi (node by absolute path),
    // so no pulumi on this machine is found and nothing is created in a backend.
    let bin: string;
    before(() => {
      bin = mkdtempSync(path.join(scratch, "bin-"));
      for (const tool of ["bash", "env", "dirname"]) {
        const found = execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
        symlinkSync(found, path.join(bin, tool));
      }
    });
    const cases: Array<[string, RegExp]> = [
      // dev: through scripts/pulumi-dev.sh (the local backend), whose message is passed on.
      ["dev", /^smoke: `scripts\/pulumi-dev\.sh stack output --json` failed \(exit 1\): missing on PATH: pulumi \(see README\.md, Prerequisites\)$/m],
      // a committed stack file: through scripts/pulumi-stack.sh, like every command on that stack.
      ["aks", /^smoke: `scripts\/pulumi-stack\.sh aks stack output --json` failed \(exit 1\): missing on PATH: pulumi/m],
      // any other stack: plain pulumi on the caller's backend.
      ["staging", /^smoke: pulumi not found: install the Pulumi CLI \(README\.md, Prerequisites\), or pass --outputs FILE\.json$/m],
    ];
    for (const [stack, message] of cases) {
      it(`--stack ${stack}`, async () => {
        const started = Date.now();
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "smoke/main.ts", "--stack", stack], { cwd: REPO_ROOT, env: { ...process.env, PATH: bin } });
        let out = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (out += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
        expect(code, out).to.equal(EXIT.setup);
        expect(out).to.match(message);
        expect(Date.now() - started).to.be.below(20_000);
      });
    }
  });
});
