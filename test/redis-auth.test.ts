/**
 * Redis's password stays out of its command line: it is loaded from a config include mounted
 * from the Secret. Checked twice: on the manifests of both stacks, and by starting a real
 * `redis-server` with exactly the container's arguments and the Secret's file laid out as the
 * kubelet would mount it (only the port, data directory and mount root moved to a temp dir).
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { evaluate } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { MOCK_SECRET_PREFIX } from "./harness/mocks";
import { freePort } from "../app/test/helpers/net";

const T = { sts: "kubernetes:apps/v1:StatefulSet", secret: "kubernetes:core/v1:Secret" };
const DATA_NS = "statefleet-data";

interface Mounted { file: string; mountPath: string; volume: any; secret: Res } // eslint-disable-line @typescript-eslint/no-explicit-any

const redisContainer = (g: Graph) => g.one(T.sts, "redis").inputs.spec.template.spec.containers.find((c: { name: string }) => c.name === "redis");
const password = (g: Graph): string => g.find(T.secret).find((s) => s.inputs.metadata.name === "redis-auth" && s.inputs.metadata.namespace === DATA_NS)!.inputs.stringData.password;

/** Follows every file argument of redis-server (the `--include`s) to the volume and Secret it comes from. */
function includedFiles(g: Graph): Mounted[] {
  const sts = g.one(T.sts, "redis");
  const c = redisContainer(g);
  const args: string[] = c.args;
  const files = args.flatMap((a, i) => (a === "--include" ? [args[i + 1]] : []));
  return files.map((file) => {
    const mount = c.volumeMounts.find((m: { mountPath: string }) => file.startsWith(`${m.mountPath}/`));
    expect(mount, `${file} is not on any volume mount`).to.not.equal(undefined);
    const volume = sts.inputs.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    const secret = g.find(T.secret).find((s) => s.inputs.metadata.namespace === DATA_NS && s.inputs.metadata.name === volume?.secret?.secretName);
    expect(secret, `volume ${mount.name} is not a Secret of the data namespace`).to.not.equal(undefined);
    return { file, mountPath: mount.mountPath, volume, secret: secret! };
  });
}

/** The file's bytes as the kubelet would write them: the Secret key projected at that path. */
function fileContent(m: Mounted): string {
  const rel = path.posix.relative(m.mountPath, m.file);
  const item = (m.volume.secret.items ?? []).find((i: { path: string }) => i.path === rel);
  const key = item ? item.key : rel;
  const v = m.secret.inputs.stringData?.[key];
  expect(v, `Secret ${m.secret.inputs.metadata.name} has no key ${key}`).to.be.a("string");
  return v;
}

for (const stack of ["dev", "aks"]) {
  describe(`${stack}: the Redis password is not on Redis's command line`, () => {
    let g: Graph;
    before(async () => { g = await evaluate(stack); });

    it("has no password, no $(REDIS_PASSWORD) and no --requirepass in the Redis container's command or args", () => {
      const c = redisContainer(g);
      const argv = [...(c.command ?? []), ...(c.args ?? [])].join(" ");
      expect(password(g)).to.match(new RegExp(`^${MOCK_SECRET_PREFIX}`));
      expect(argv).not.to.contain(password(g));
      expect(argv).not.to.contain("$(REDIS_PASSWORD)");
      expect(argv).not.to.contain("requirepass");
    });

    it("loads requirepass from a file mounted read-only from the Redis Secret, readable by nobody but Redis", () => {
      const files = includedFiles(g);
      expect(files, "redis-server loads an include").to.have.length.greaterThan(0);
      const withPass = files.filter((f) => /^requirepass /m.test(fileContent(f)));
      expect(withPass, "exactly one include sets requirepass").to.have.length(1);
      const [m] = withPass;
      expect(fileContent(m).trim()).to.equal(`requirepass ${password(g)}`);
      const mount = redisContainer(g).volumeMounts.find((v: { mountPath: string }) => v.mountPath === m.mountPath);
      expect(mount.readOnly, "the include's mount is read-only").to.equal(true);
      const mode: number = m.volume.secret.defaultMode;
      expect(mode & 0o007, `mode ${mode.toString(8)} lets other users read it`).to.equal(0);
      expect(mode & 0o222, `mode ${mode.toString(8)} is writable`).to.equal(0);
    });

    it("keeps handing the exporter and the apps the password from the Secret (env from secretKeyRef)", () => {
      const sts = g.one(T.sts, "redis");
      const exporter = sts.inputs.spec.template.spec.containers.find((c: { name: string }) => c.name === "exporter");
      expect(exporter.env).to.deep.include({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } });
      const apps = g.k8sObjects().filter(({ obj }) => obj.kind === "Deployment" && JSON.stringify(obj).includes('"REDIS_URL"'));
      expect(apps.length).to.be.greaterThan(0);
      for (const { obj } of apps) {
        const env = obj.spec.template.spec.containers[0].env;
        expect(env, obj.metadata?.name).to.deep.include({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } });
      }
    });
  });
}

/** One RESP exchange on a fresh connection; returns the first reply line. */
function send(port: number, ...cmds: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const replies: string[] = [];
    let buf = "";
    sock.setTimeout(3000, () => { sock.destroy(); reject(new Error(`no reply from redis on ${port}: ${buf}`)); });
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf += d.toString();
      const lines = buf.split("\r\n");
      buf = lines.pop()!;
      replies.push(...lines);
      if (replies.length >= cmds.length) { sock.end(); resolve(replies); }
    });
    sock.on("connect", () => {
      for (const c of cmds) sock.write(`*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
    });
  });
}


describe("a real redis-server started like the container (dev stack's args and Secret file)", function () {
  this.timeout(30_000);
  let proc: ChildProcess | undefined;
  let dir: string;
  let port: number;
  let pass: string;

  before(async () => {
    const g = await evaluate("dev");
    pass = password(g);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-redis-auth-"));
    port = await freePort();
    const c = redisContainer(g);
    // The kubelet's view, moved under a temp root: each Secret file at its path, /data a directory.
    const root = path.join(dir, "root");
    for (const m of includedFiles(g)) {
      const at = path.join(root, m.file);
      fs.mkdirSync(path.dirname(at), { recursive: true });
      fs.writeFileSync(at, fileContent(m), { mode: m.volume.secret.defaultMode });
    }
    const args: string[] = [...c.args];
    for (let i = 0; i < args.length - 1; i++) {
      if (args[i] === "--include") args[i + 1] = path.join(root, args[i + 1]);
      if (args[i] === "--dir") { args[i + 1] = path.join(root, args[i + 1]); fs.mkdirSync(args[i + 1], { recursive: true }); }
      if (args[i] === "--port") args[i + 1] = String(port);
    }
    // Loopback only; no RDB snapshots from the test.
    proc = spawn(c.command[0], [...args, "--bind", "127.0.0.1", "--save", ""], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    proc.stderr!.on("data", (d) => (out += d));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}: ${out}`);
      try { await send(port, ["PING"]); break; } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses commands without the password", async () => {
    const [reply] = await send(port, ["SET", "k", "v"]);
    expect(reply).to.match(/^-NOAUTH/);
  });

  it("accepts the Secret's password and serves commands", async () => {
    expect(await send(port, ["AUTH", pass], ["INCR", "n"])).to.deep.equal(["+OK", ":1"]);
  });

  it("refuses a wrong password", async () => {
    const [reply] = await send(port, ["AUTH", `${pass}x`]);
    expect(reply).to.match(/^-(WRONGPASS|ERR invalid password)/);
  });

  it("does not show the password in its process command line (/proc/<pid>/cmdline, what ps prints)", () => {
    const cmdline = path.join("/proc", String(proc!.pid), "cmdline");
    const argv = fs.readFileSync(cmdline, "utf8").split("\0").join(" ");
    expect(argv).to.contain("redis-server");
    expect(argv).not.to.contain(pass);
  });
});
