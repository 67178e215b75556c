/**
 * .github/workflows/e2e-k3d.yml cannot run here (no Docker, no k3d), so it is checked offline:
 * its steps must be the commands README.md gives users — read from README's code blocks, so a
 * README change that the workflow does not follow fails here — plus its pins and its clean-up.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { keyPaths } from "../config/errors";
import { parseStackConfig } from "../config";
import { stackSchema } from "../config/schema";
import path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT, merge, stackFileConfig } from "./harness/evaluate";

/** A stack's `statefleet:*` values with the prefix stripped, as the program parses them. */
function stackFileRaw(stack: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) out[k.slice("statefleet:".length)] = v;
  return out;
}
/** `["sms", "flagger", "version"], "v2"` → `{ sms: { flagger: { version: "v2" } } }`. */
function setPath(keys: string[], value: unknown): Record<string, unknown> {
  return keys.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value) as Record<string, unknown>;
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  "timeout-minutes"?: number;
  "continue-on-error"?: boolean;
}
interface Job {
  "runs-on": string;
  "timeout-minutes"?: number;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");
const README = read("README.md");

/** The bash code blocks under a `## ` heading of README.md, as command lines (comments dropped, `&&` split). */
function readmeCommands(heading: string): string[] {
  const sections = README.split(/^## /m);
  const section = sections.find((s) => s.split("\n")[0]?.trim() === heading);
  if (!section) throw new Error(`README.md has no "## ${heading}" section`);
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .flatMap((b) => b.split("\n"))
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .flatMap((l) => l.split("&&").map((c) => c.trim()));
}

/** What a user runs, in order: README's "The two commands" then "After `up`: smoke test". */
const userCommands = [...readmeCommands("The two commands"), ...readmeCommands("After `up`: smoke test")];
/** `npm test` is the offline suite, which test.yml runs; the e2e workflow runs the rest. */
const stackCommands = userCommands.filter((c) => c.startsWith("npm ") && c !== "npm test");

const workflow = parse(read(".github/workflows/e2e-k3d.yml")) as Workflow;
const jobs = Object.values(workflow.jobs);
const job = jobs[0] as Job;
const steps = job.steps;
const indexOfRun = (re: RegExp) => steps.findIndex((s) => s.run !== undefined && re.test(s.run));
const stepRunning = (command: string) => steps.find((s) => s.run?.trim() === command);
const envFor = (s: Step | undefined) => ({ ...workflow.env, ...job.env, ...s?.env });

describe("e2e-k3d workflow", () => {
  it("runs on demand and nightly, one job on ubuntu-latest with a time limit", () => {
    expect(workflow.on).to.have.property("workflow_dispatch");
    const schedule = workflow.on.schedule as Array<{ cron: string }>;
    expect(schedule).to.have.length(1);
    expect(schedule[0]?.cron.trim().split(/\s+/), "cron has five fields, every day").to.have.length(5);
    expect(schedule[0]?.cron).to.match(/^\S+ \S+ \* \* \*$/);
    expect(jobs).to.have.length(1);
    expect(job["runs-on"]).to.equal("ubuntu-latest");
    expect(job["timeout-minutes"]).to.be.a("number").and.to.be.at.most(360);
  });

  it("runs, in order, exactly the npm commands README.md gives users (install, up, smoke, destroy)", () => {
    // The README must still give them (the derivation itself would otherwise prove nothing).
    expect(stackCommands.some((c) => /^npm ci\b/.test(c))).to.equal(true);
    expect(stackCommands.some((c) => /^npm run up\b/.test(c))).to.equal(true);
    expect(stackCommands.some((c) => /^npm run smoke\b/.test(c))).to.equal(true);
    expect(stackCommands.some((c) => /^npm run destroy\b/.test(c))).to.equal(true);
    const npmSteps = steps.filter((s) => s.run !== undefined && /(^|\s|;|&&)npm\s/.test(s.run)).map((s) => (s.run as string).trim());
    expect(npmSteps, "every step that calls npm is one README command on its own").to.deep.equal(stackCommands);
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const c of stackCommands.filter((x) => x.startsWith("npm run "))) {
      expect(scripts, `package.json has the script of \`${c}\``).to.have.property(c.split(/\s+/)[2] as string);
    }
    expect(userCommands, "npm test stays in README for test.yml").to.include("npm test");
    expect(read(".github/workflows/test.yml")).to.match(/run: npm test\s*$/m);
  });

  it("provides what README's bring-up block exports, before `npm run up`", () => {
    const exported = readmeCommands("The two commands")
      .filter((c) => c.startsWith("export "))
      .map((c) => (/^export ([A-Z_][A-Z0-9_]*)=/.exec(c) as RegExpExecArray)[1] as string);
    expect(exported).to.include("PULUMI_CONFIG_PASSPHRASE");
    const up = indexOfRun(/^npm run up\b/);
    for (const name of exported) {
      const inEnv = envFor(steps[up])[name] !== undefined;
      const viaGithubEnv = steps.slice(0, up).some((s) => s.run !== undefined && new RegExp(`${name}=.*>>\\s*"?\\$GITHUB_ENV`).test(s.run));
      expect(inEnv || viaGithubEnv, `${name} is set for npm run up`).to.equal(true);
    }
    // The passphrase: the repository secret when there is one, else generated — and masked in logs.
    const pass = steps.slice(0, up).find((s) => s.run?.includes("PULUMI_CONFIG_PASSPHRASE="));
    expect(JSON.stringify(pass?.env)).to.contain("secrets.PULUMI_CONFIG_PASSPHRASE");
    expect(pass?.run).to.match(/openssl rand/).and.to.match(/::add-mask::/);
  });

  it("answers Pulumi's confirmation prompt the way Pulumi documents for a non-interactive runner", () => {
    // README's `npm run up` has no --yes; `pulumi up` then refuses to run without a terminal unless
    // PULUMI_SKIP_CONFIRMATIONS is true (pulumi/pulumi: `yes = yes || skipPreview || env.SkipConfirmations.Value()`).
    const up = stackCommands.find((c) => c.startsWith("npm run up")) as string;
    if (!/--yes\b/.test(up)) expect(envFor(stepRunning(up)).PULUMI_SKIP_CONFIRMATIONS).to.equal("true");
    expect(stackCommands.find((c) => c.startsWith("npm run destroy"))).to.match(/--yes\b/);
  });

  it("pins Node to README's major, the Pulumi CLI to an exact version, k3d to an exact v5 tag", () => {
    const nodeMajor = (/\*\*Node\.js (\d+)\*\*/.exec(README) as RegExpExecArray)[1];
    const setupNode = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(String(setupNode?.with?.["node-version"])).to.equal(nodeMajor);

    const env = envFor(undefined);
    expect(env.PULUMI_VERSION).to.match(/^\d+\.\d+\.\d+$/);
    const pulumiStep = steps[indexOfRun(/get\.pulumi\.com/)];
    expect(pulumiStep?.run).to.match(/curl -fsSL https:\/\/get\.pulumi\.com \| sh -s -- --version "\$PULUMI_VERSION"/);
    expect(pulumiStep?.run).to.match(/\$HOME\/\.pulumi\/bin.*>> "\$GITHUB_PATH"/);

    const k3dMajor = (/\[k3d\]\(https:\/\/k3d\.io\) (\d+)\.x/.exec(README) as RegExpExecArray)[1];
    expect(env.K3D_VERSION).to.match(new RegExp(`^v${k3dMajor}\\.\\d+\\.\\d+$`));
    // k3d's documented install: its install.sh from the k3d-io/k3d repository, version in TAG.
    expect(steps[indexOfRun(/k3d-io\/k3d/)]?.run).to.match(
      /curl -fsSL https:\/\/raw\.githubusercontent\.com\/k3d-io\/k3d\/main\/install\.sh \| TAG="\$K3D_VERSION" bash/,
    );
    for (const s of steps.filter((x) => x.uses)) expect(s.uses, "actions pinned to a major tag").to.match(/@v\d+$/);
  });

  it("on failure, dumps pods, events and non-ready pods with the stack's kubeconfig, before destroying", () => {
    const dump = indexOfRun(/kubectl get pods -A -o wide/);
    const destroy = indexOfRun(/^npm run destroy\b/);
    const smoke = indexOfRun(/^npm run smoke\b/);
    expect(dump).to.be.greaterThan(smoke);
    expect(dump, "while the cluster still exists").to.be.lessThan(destroy);
    const step = steps[dump] as Step;
    expect(step.if).to.equal("failure()");
    expect(step["continue-on-error"]).to.equal(true);
    expect(step.run).to.contain("scripts/pulumi-dev.sh stack output kubeconfig --show-secrets >");
    expect(step.run).to.contain("kubectl get events -A --sort-by=.lastTimestamp");
    expect(step.run).to.match(/kubectl -n "\$ns" describe pod "\$pod"/);
  });

  it("always destroys, then deletes any k3d cluster and registry left over", () => {
    const destroy = indexOfRun(/^npm run destroy\b/);
    expect(steps[destroy]?.if).to.equal("always()");
    const belt = indexOfRun(/k3d cluster delete/);
    expect(belt).to.be.greaterThan(destroy);
    expect(steps[belt]?.if).to.equal("always()");
    expect(steps[belt]?.run).to.match(/k3d cluster delete --all/).and.to.match(/k3d registry delete --all/);
  });

  it("runs the scripted sms release (Flagger) after the smoke test, while the cluster exists, with its own time limit", () => {
    const release = indexOfRun(/^scripts\/sms-release\.sh$/);
    expect(release, "a step runs scripts/sms-release.sh").to.be.greaterThan(indexOfRun(/^npm run smoke\b/));
    expect(release).to.be.lessThan(indexOfRun(/^npm run destroy\b/));
    const step = steps[release] as Step;
    expect(step.if, "runs only when up and smoke passed").to.equal(undefined);
    expect(step["timeout-minutes"]).to.be.a("number");
    // Its kubectl waits (SMS_RELEASE_WAIT, default 15m) fit three times in the step's limit.
    expect(step["timeout-minutes"] as number).to.be.at.least(45);
  });

  it("the release script is valid bash, drives only keys and phases that exist, through the dev stack's own pulumi wrapper", () => {
    const script = read("scripts/sms-release.sh");
    expect(spawnSync("bash", ["-n", path.join(REPO_ROOT, "scripts/sms-release.sh")]).status, "bash -n").to.equal(0);
    expect(statSync(path.join(REPO_ROOT, "scripts/sms-release.sh")).mode & 0o111, "executable").to.not.equal(0);
    expect(script).to.match(/^set -euo pipefail$/m);
    // Config keys it edits: each one is a key of the schema, each value one it accepts.
    const edits = [...script.matchAll(/set_config "statefleet:(apps\.sms\.[a-zA-Z.]+)" (\S+)/g)].map((m) => [m[1] as string, m[2] as string]);
    expect(edits.map((e) => e[0])).to.include.members(["apps.sms.rollout", "apps.sms.flagger.version", "apps.sms.flagger.fault"]);
    const keys = keyPaths(stackSchema);
    for (const [key, value] of edits) {
      expect(keys, key).to.include(key);
      const [, ...rest] = key.split(".");
      expect(() => parseStackConfig("dev", merge(stackFileRaw("dev"), { apps: setPath(rest, value) }) as Record<string, unknown>), `${key}: ${value}`).not.to.throw();
    }
    // The phases it waits for are Flagger's (fluxcd/flagger v1.44.0 pkg/apis/flagger/v1beta1/status.go).
    const phases = [...script.matchAll(/wait_phase (\w+)/g)].map((m) => m[1]);
    expect(phases).to.deep.equal(["Initialized", "Succeeded", "Failed"]);
    expect(script).to.contain('$1 == "Progressing"');
    // Names from the program: the Canary (the app Workload's name), the apps namespace, the URL output.
    expect(script).to.match(/^NS=statefleet-apps$/m).and.to.match(/^CANARY=sms-app$/m);
    expect(read("index.ts")).to.match(/^\s*smsUrl:/m);
    expect(script).to.match(/^PULUMI=scripts\/pulumi-dev\.sh$/m);
  });

  it("the release script's stack-file edit lands at the key it names, keeps the file's comments, and the result parses", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "statefleet-release-"));
    try {
      const file = path.join(dir, "Pulumi.dev.yaml");
      copyFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), file);
      // The script's own set_config function, sourced from the script, run on a copy.
      const fn = /^set_config\(\) \{[\s\S]*?^\}$/m.exec(read("scripts/sms-release.sh"))?.[0];
      expect(fn, "set_config in the script").to.be.a("string");
      const sh = `${fn}\nsay() { :; }\nSTACK_FILE="$1"\nset_config statefleet:apps.sms.rollout flagger\nset_config statefleet:apps.sms.flagger.version v2\nset_config statefleet:apps.sms.flagger.fault http-500\n`;
      const r = spawnSync("bash", ["-c", sh, "bash", file], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
      const text = readFileSync(file, "utf8");
      expect(text, "comments kept").to.contain("# Seed 004 on the Istio gateway");
      const config = (parse(text) as { config: Record<string, unknown> }).config;
      const raw = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("statefleet:")).map(([k, v]) => [k.slice("statefleet:".length), v]));
      const sms = parseStackConfig("dev", raw).apps.sms;
      expect([sms.rollout, sms.flagger.version, sms.flagger.fault]).to.deep.equal(["flagger", "v2", "http-500"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the long steps their own limits, and the job room for all of them (destroy still runs after a slow up)", () => {
    const long = [/^npm run up\b/, /^npm run smoke\b/, /^scripts\/sms-release\.sh$/, /kubectl get pods/, /^npm run destroy\b/].map((re) => steps[indexOfRun(re)] as Step);
    const limits = long.map((s) => s["timeout-minutes"]);
    limits.forEach((l, i) => expect(l, `${long[i]?.name} has timeout-minutes`).to.be.a("number"));
    const sum = limits.reduce((a: number, b) => a + (b as number), 0);
    expect(job["timeout-minutes"] as number).to.be.greaterThan(sum);
  });
});
