import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chartValues, keyListFile, readSource } from "../scripts/chart-keys";
import { keyListEntries, unknownValuePaths } from "./chart-keys";
import { REPO_ROOT } from "./harness/evaluate";

const FIXTURE = path.join(__dirname, "fixtures", "chart-keys");
const main = () => readSource(path.join(FIXTURE, "values.yaml"));
const sub = () => readSource(path.join(FIXTURE, "sub-values.yaml"));

describe("chart key lists regenerated from a chart's values.yaml (scripts/chart-keys.ts)", () => {
  it("lists a path where it ends on a value (a list is a value), and `<map>.*` below a free-form map", () => {
    const values = chartValues(main(), {});
    const { keys, missing } = keyListEntries(values, [
      "replicaCount",
      "image.tag",
      "controller.extraArgs",
      "controller.config.use-forwarded-headers", // empty map in values.yaml
      "controller.config.proxy-body-size",
      "controller.resources.limits.cpu", // `resources`: free-form, though values.yaml fills it
      "controller.podAnnotationsHint.a/b", // null: a map you may fill
      "grafana\\.ini.server.root_url", // a key with a dot: free-form, kept as one key
      "controller.service.ports.http",
    ]);
    expect(missing).to.deep.equal([]);
    expect(keys).to.deep.equal([
      "controller.config.*",
      "controller.extraArgs",
      "controller.podAnnotationsHint.*",
      "controller.resources.*",
      "controller.service.ports.http",
      "grafana\\.ini.*",
      "image.tag",
      "replicaCount",
    ]);
    // What the list is for: the values we set pass the Helm values check, a typo does not.
    expect(unknownValuePaths({ controller: { config: { "use-forwarded-headers": "true" }, service: { ports: { http: 8080 } } } }, keys)).to.deep.equal([]);
    expect(unknownValuePaths({ controller: { servce: { type: "LoadBalancer" } } }, keys)).to.deep.equal(["controller.servce.type"]);
  });

  it("names every path the chart does not have: a misspelt key, and a key below a plain value", () => {
    const { missing } = keyListEntries(chartValues(main(), {}), ["controller.replicaCont", "image.tag.major", "replicaCount"]);
    expect(missing).to.deep.equal(["controller.replicaCont", "image.tag.major"]);
  });

  it("puts subcharts under their names and lifts a stripped defaults level (Istio)", () => {
    const values = chartValues(main(), { grafana: sub() }, "_internal_defaults_do_not_set");
    const { keys, missing } = keyListEntries(values, ["pilot.replicaCount", "grafana.persistence.enabled", "grafana.labels.team"]);
    expect(missing).to.deep.equal([]);
    expect(keys).to.deep.equal(["grafana.labels.*", "grafana.persistence.enabled", "pilot.replicaCount"]);
    expect(keyListEntries(chartValues(main(), {}), ["pilot.replicaCount"]).missing, "without --strip").to.deep.equal(["pilot.replicaCount"]);
    // The umbrella's own block for a subchart merges into the subchart's values (Helm's rule), it does not replace them.
    const umbrella = { values: { grafana: { persistence: { size: "1Gi" } } }, label: "umbrella" };
    expect(keyListEntries(chartValues(umbrella, { grafana: sub() }), ["grafana.persistence.enabled", "grafana.persistence.size"]).missing).to.deep.equal([]);
  });

  it("reads values.yaml at a tag of a fetched mirror (a git directory without a work tree) and names the commit", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chart-keys-"));
    try {
      const work = path.join(tmp, "work");
      fs.mkdirSync(path.join(work, "charts", "demo"), { recursive: true });
      fs.copyFileSync(path.join(FIXTURE, "values.yaml"), path.join(work, "charts", "demo", "values.yaml"));
      const git = (...args: string[]) => execFileSync("git", ["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" });
      git("init", "-q");
      git("add", ".");
      git("commit", "-qm", "demo");
      git("tag", "demo-1.0.0");
      const commit = git("rev-parse", "HEAD").trim();
      // A mirror's layout: /…/<owner>+<name>/repo is the git directory.
      const mirror = path.join(tmp, "example+charts", "repo");
      fs.mkdirSync(path.dirname(mirror), { recursive: true });
      execFileSync("git", ["clone", "-q", "--bare", work, mirror]);
      const src = readSource(`${mirror}@demo-1.0.0:charts/demo/values.yaml`);
      expect(src.label).to.equal(`example/charts tag demo-1.0.0 (commit ${commit}): charts/demo/values.yaml`);
      expect(src.values).to.deep.equal(main().values);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("the command writes the list the Helm values test reads, and fails naming a value the chart lacks", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chart-keys-"));
    try {
      const used = path.join(tmp, "used.txt");
      const out = path.join(tmp, "demo-1.0.0.keys.txt");
      const run = () =>
        spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/chart-keys.ts", "demo", "1.0.0", "--values", path.join(FIXTURE, "values.yaml"), "--values", `grafana=${path.join(FIXTURE, "sub-values.yaml")}`, "--template-key", "controller.podAnnotations.*", "--used", used, "--out", out], { cwd: REPO_ROOT, encoding: "utf8" });
      fs.writeFileSync(used, "replicaCount\ncontroller.resources.requests.cpu\ngrafana.persistence.enabled\ncontroller.podAnnotations.checksum\n");
      const ok = run();
      expect(ok.status, ok.stderr).to.equal(0);
      const text = fs.readFileSync(out, "utf8");
      expect(text).to.equal(
        keyListFile("demo", "1.0.0", main(), { grafana: sub() }, undefined, ["controller.podAnnotations.*"], ["controller.podAnnotations.*", "controller.resources.*", "grafana.persistence.enabled", "replicaCount"]),
      );
      expect(text.split("\n").filter((l) => l && !l.startsWith("#"))).to.deep.equal(["controller.podAnnotations.*", "controller.resources.*", "grafana.persistence.enabled", "replicaCount"]);

      fs.writeFileSync(used, "replicaCount\ncontroller.replicas\n");
      const bad = run();
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.contain("demo 1.0.0: values the program sets that this values.yaml does not have").and.contain("controller.replicas");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
