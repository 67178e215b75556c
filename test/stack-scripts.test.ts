/**
 * scripts/pulumi-stack.sh and scripts/pulumi-dev.sh: the committed Pulumi.<stack>.yaml is never
 * handed to pulumi as a file it may write. No Pulumi CLI installs here, so these tests put a
 * stand-in `pulumi` first on PATH that behaves like the real one where it matters — `stack init`
 * writes Pulumi.<stack>.yaml (with an encryptionsalt) into its working directory, and every
 * command that takes --config-file writes the secrets settings into that file — and records what
 * it was asked. The real CLI runs the same flow in scripts/engine-preview.sh (docs/testing.md §5).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

const FAKE_PULUMI = `#!/usr/bin/env bash
# stand-in for the pulumi CLI (see the test file's header)
set -euo pipefail
log="$FAKE_DIR/calls.jsonl"
node -e 'const [cwd, ...args] = process.argv.slice(1); require("fs").appendFileSync(process.env.FAKE_DIR + "/calls.jsonl", JSON.stringify({ cwd, args, backend: process.env.PULUMI_BACKEND_URL }) + "\\n")' "$PWD" "$@"
stacks="$FAKE_DIR/stacks"; touch "$stacks"
if [ "$1" = stack ] && [ "$2" = ls ]; then
  node -e 'const n = require("fs").readFileSync(process.argv[1], "utf8").split("\\n").filter(Boolean); console.log(JSON.stringify(n.map((name) => ({ name }))))' "$stacks"; exit 0
fi
if [ "$1" = stack ] && [ "$2" = init ]; then
  echo "$3" >> "$stacks"
  # the real CLI rewrites/creates Pulumi.<stack>.yaml in the project directory (= its cwd here)
  printf 'secretsprovider: passphrase\\nencryptionsalt: v1:fake\\n' > "Pulumi.$3.yaml"; exit 0
fi
cfg=""; prev=""
for a in "$@"; do [ "$prev" = --config-file ] && cfg="$a"; prev="$a"; done
# the real CLI saves the secrets settings it fell back to into the stack file it was given
# (commands without --config-file here, such as stack output, read only the state)
if [ -n "$cfg" ]; then printf '\\nencryptionsalt: v1:fake\\n' >> "$cfg"; fi
echo "ran: $*"
`;

interface Call { cwd: string; args: string[]; backend?: string }

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-scripts-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
  const env = {
    ...process.env,
    PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
    FAKE_DIR: dir,
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    STATEFLEET_WORK_DIR: path.join(dir, "work"),
    PULUMI_CONFIG_PASSPHRASE: "test",
  };
  delete (env as Record<string, string | undefined>).STATEFLEET_SECRETS_PROVIDER;
  /** `extra` values of undefined remove the variable from the script's environment. */
  const run = (script: string, args: string[], extra: Record<string, string | undefined> = {}) => {
    const e: Record<string, string | undefined> = { ...env, ...extra };
    for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
    return spawnSync(path.join(ROOT, "scripts", script), args, { env: e as NodeJS.ProcessEnv, encoding: "utf8", timeout: 30_000 });
  };
  const calls = (): Call[] =>
    fs.existsSync(path.join(dir, "calls.jsonl"))
      ? fs.readFileSync(path.join(dir, "calls.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Call)
      : [];
  return { dir, run, calls, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const committed = (stack: string) => fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");

describe("pulumi through scripts/pulumi-stack.sh: the committed stack file stays as committed", () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => { t = setup(); });
  afterEach(() => t.cleanup());

  it("creates a missing dev stack from a scratch directory, so stack init cannot rewrite Pulumi.dev.yaml", () => {
    const before = committed("dev");
    const r = t.run("pulumi-stack.sh", ["dev", "preview", "--diff"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(committed("dev")).to.equal(before);
    const init = t.calls().find((c) => c.args[0] === "stack" && c.args[1] === "init");
    expect(init, "stack init was run").to.not.equal(undefined);
    expect(init!.args).to.include.members(["dev", "--secrets-provider", "passphrase"]);
    expect(path.resolve(init!.cwd)).to.not.equal(ROOT);
    expect(fs.existsSync(init!.cwd), "the scratch directory is removed").to.equal(false);
  });

  it("hands preview/up a working copy of the committed file via --config-file, never the committed file", () => {
    const before = committed("dev");
    for (const cmd of ["preview", "up", "destroy", "refresh"]) {
      const r = t.run("pulumi-stack.sh", ["dev", cmd, "--yes"]);
      expect(r.status, r.stderr).to.equal(0);
    }
    const ops = t.calls().filter((c) => ["preview", "up", "destroy", "refresh"].includes(c.args[0]));
    expect(ops.map((c) => c.args[0])).to.deep.equal(["preview", "up", "destroy", "refresh"]);
    for (const c of ops) {
      const i = c.args.indexOf("--config-file");
      expect(i, `${c.args[0]} gets --config-file`).to.be.greaterThan(-1);
      expect(path.resolve(c.args[i + 1])).to.equal(path.join(t.dir, "work", "Pulumi.dev.yaml"));
      expect(c.args).to.include.members(["--stack", "dev"]);
    }
    expect(committed("dev")).to.equal(before);
    // Each run starts from the committed file again (what pulumi appended last time is gone, then re-added once).
    const work = fs.readFileSync(path.join(t.dir, "work", "Pulumi.dev.yaml"), "utf8");
    expect(work.startsWith(before)).to.equal(true);
    expect(work.match(/encryptionsalt/g)).to.have.length(1);
  });

  it("passes read-only commands through with --stack dev (npm run pulumi -- stack output --json)", () => {
    const r = t.run("pulumi-dev.sh", ["stack", "output", "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    const out = t.calls().find((c) => c.args[0] === "stack" && c.args[1] === "output");
    expect(out!.args).to.deep.equal(["stack", "output", "--json", "--stack", "dev"]);
    expect(path.resolve(out!.cwd)).to.equal(ROOT);
  });

  it("uses the local file backend for dev unless PULUMI_BACKEND_URL is set", () => {
    const r = t.run("pulumi-stack.sh", ["dev", "stack", "output"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.existsSync(path.join(t.dir, "state")), "the file backend's directory is created").to.equal(true);
    expect(t.calls().every((c) => c.backend === `file://${path.join(t.dir, "state")}`)).to.equal(true);
    // Unset: the repository's .pulumi-state/ (git-ignored), whatever the user is logged in to.
    const d = t.run("pulumi-stack.sh", ["dev", "stack", "output"], { PULUMI_BACKEND_URL: undefined });
    expect(d.status, d.stderr).to.equal(0);
    expect(t.calls().at(-1)!.backend).to.equal(`file://${path.join(ROOT, ".pulumi-state")}`);
  });

  it("refuses `config set`, which would write to the throw-away copy, and says to edit the stack file", () => {
    const r = t.run("pulumi-dev.sh", ["config", "set", "statefleet:x", "1"]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain("edit Pulumi.dev.yaml instead");
    expect(t.calls()).to.deep.equal([]);
  });

  it("refuses --stack and --config-file from the caller instead of running on another stack or file", () => {
    for (const bad of [["--stack", "aks"], ["--stack=aks"], ["--config-file", "x.yaml"]]) {
      const r = t.run("pulumi-stack.sh", ["dev", "preview", ...bad]);
      expect(r.status, bad.join(" ")).to.equal(2);
    }
    expect(t.calls()).to.deep.equal([]);
  });

  it("does not create an aks stack without a chosen secrets provider, and says how to choose one", () => {
    const r = t.run("pulumi-stack.sh", ["aks", "preview"]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain("STATEFLEET_SECRETS_PROVIDER");
    expect(t.calls().some((c) => c.args[1] === "init")).to.equal(false);
  });

  it("creates an aks stack with the chosen provider, again without touching Pulumi.aks.yaml", () => {
    const before = committed("aks");
    const r = t.run("pulumi-stack.sh", ["aks", "preview"], { STATEFLEET_SECRETS_PROVIDER: "azurekeyvault://v.vault.azure.net/keys/k" });
    expect(r.status, r.stderr).to.equal(0);
    const init = t.calls().find((c) => c.args[1] === "init")!;
    expect(init.args).to.include.members(["aks", "--secrets-provider", "azurekeyvault://v.vault.azure.net/keys/k"]);
    expect(committed("aks")).to.equal(before);
  });

  it("names the stacks that exist when asked for one without a stack file", () => {
    const r = t.run("pulumi-stack.sh", ["prod", "up"]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/no Pulumi\.prod\.yaml.*aks.*dev/);
  });
});
