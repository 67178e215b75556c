/**
 * The alert and the dashboards, checked by Prometheus' own promtool (Debian package `prometheus`,
 * installed by .ci/run): the generated PrometheusRule passes `check rules`, a `test rules` unit
 * test shows HighRequestRate firing at 20 requests/minute and staying quiet at 10, and every
 * dashboard expression parses and uses only metric names the real roles expose.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { dashboardExpressions } from "../components/variants/sms-monitoring";
import { RunningRole, request } from "./harness/app-roles";
import { evaluate } from "./harness/evaluate";
import { exposedSeries, promqlRefs, promtool } from "./harness/promql";
import { graphOf } from "./platform-graphs";
import type { Graph } from "./harness/graph";

const NS = "statefleet-apps";

/** Metric names a PromQL expression selects. */
const metricNames = (expr: string): string[] => promqlRefs(expr).metrics;

/** Every sample name a /metrics exposition can produce (histograms: _bucket, _sum, _count). */
const exposedNames = (exposition: string): Set<string> => new Set(exposedSeries(exposition).keys());

describe("sms alert and dashboards (promtool, real metric names)", function () {
  this.timeout(120_000);
  let g: Graph;
  let dir: string;
  let rules: { groups: { name: string; rules: { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] };
  let dashboards: Record<string, object>;

  before(async () => {
    g = await graphOf("dev");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-promtool-"));
    rules = g.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "sms-alerts").inputs.spec;
    dashboards = Object.fromEntries(
      g.find("kubernetes:core/v1:ConfigMap", /^sms-dashboard-/).map((c) => {
        const [file, json] = Object.entries(c.inputs.data as Record<string, string>)[0] as [string, string];
        return [file, JSON.parse(json) as object];
      }),
    );
    fs.writeFileSync(path.join(dir, "rules.yml"), YAML.stringify(rules));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("promtool check rules accepts the generated PrometheusRule", () => {
    const r = promtool(["check", "rules", "rules.yml"], dir);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/SUCCESS: 1 rules found/);
  });

  it("promtool check rules rejects a broken expression (the check can fail)", () => {
    const broken = structuredClone(rules);
    (broken.groups[0] as { rules: { expr: string }[] }).rules[0]!.expr = "sum(rate(sms_requests_total[1m]) * 60 >";
    fs.writeFileSync(path.join(dir, "broken.yml"), YAML.stringify(broken));
    expect(promtool(["check", "rules", "broken.yml"], dir).code).to.not.equal(0);
  });

  /** A `promtool test rules` file: input series every 15 s, alerts expected at each time. */
  function unitTest(series: Record<string, string>, expectations: { at: string; firing: boolean; value?: string }[]) {
    const rule = rules.groups[0]!.rules[0]!;
    return {
      rule_files: ["rules.yml"],
      evaluation_interval: "15s",
      tests: [
        {
          interval: "15s",
          input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
          alert_rule_test: expectations.map((e) => ({
            eval_time: e.at,
            alertname: "HighRequestRate",
            exp_alerts: e.firing
              ? [{ exp_labels: rule.labels, exp_annotations: { ...rule.annotations, description: rule.annotations.description!.replace(/\{\{ \$value \| printf "%\.1f" \}\}/, e.value ?? "") } }]
              : [],
          })),
        },
      ],
    };
  }

  function runUnitTest(name: string, test: object): { code: number; out: string } {
    fs.writeFileSync(path.join(dir, `${name}.yml`), YAML.stringify(test));
    return promtool(["test", "rules", `${name}.yml`], dir);
  }

  const pod = (p: string) => `sms_requests_total{namespace="${NS}",pod="${p}",endpoint="/sms",version="v1"}`;

  it("fires HighRequestRate after 20 requests/minute for 3 minutes (not before `for: 2m` has passed)", () => {
    // 5 requests every 15 s = 20 per minute, for 4 minutes.
    const r = runUnitTest("fires", unitTest({ [pod("a")]: "0+5x16" }, [
      { at: "1m", firing: false },
      { at: "3m", firing: true, value: "20.0" },
    ]));
    expect(r.code, r.out).to.equal(0);
  });

  it("adds up every app pod: two pods at 10/minute each fire it too (the seed's per-pod rule would not)", () => {
    const r = runUnitTest("sum", unitTest({ [pod("a")]: "0+2.5x16", [pod("b")]: "0+2.5x16" }, [{ at: "3m", firing: true, value: "20.0" }]));
    expect(r.code, r.out).to.equal(0);
  });

  it("stays inactive at 10 requests/minute", () => {
    const r = runUnitTest("quiet", unitTest({ [pod("a")]: "0+2.5x24" }, [{ at: "3m", firing: false }, { at: "5m", firing: false }]));
    expect(r.code, r.out).to.equal(0);
  });

  it("the unit test itself can fail: expecting 10/minute to fire is reported as a failure", () => {
    const r = runUnitTest("wrong", unitTest({ [pod("a")]: "0+2.5x16" }, [{ at: "3m", firing: true, value: "10.0" }]));
    expect(r.code, r.out).to.not.equal(0);
  });

  it("follows the configured threshold (requests per minute)", async () => {
    const g30 = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { alert: { requestsPerMinute: 30 } } } } });
    const expr = g30.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "sms-alerts").inputs.spec.groups[0].rules[0].expr as string;
    expect(expr).to.equal(`sum(rate(sms_requests_total{namespace="${NS}"}[1m])) * 60 > 30`);
  });

  it("every dashboard expression passes promtool's parser", () => {
    const exprs = dashboardExpressions(dashboards);
    expect(exprs.length).to.be.at.least(16);
    const file = { groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `statefleet:sms_dashboard_expr_${i}`, expr })) }] };
    fs.writeFileSync(path.join(dir, "dashboards.yml"), YAML.stringify(file));
    const r = promtool(["check", "rules", "dashboards.yml"], dir);
    expect(r.code, r.out).to.equal(0);
  });

  it("dashboards and alert use only metric names that the running sms-app and sms-model expose", async () => {
    const model = await RunningRole.start("sms-model", { MODEL_VERSION: "v1" });
    const app = await RunningRole.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v1" });
    let exposed: Set<string>;
    try {
      // One prediction, so histograms with a `result` label have series too.
      expect((await request(`${app.url}/sms/`, "POST", JSON.stringify({ sms: "free prize", guess: "spam" }))).status).to.equal(200);
      exposed = new Set([...exposedNames((await request(`${app.url}/metrics`)).body), ...exposedNames((await request(`${model.url}/metrics`)).body)]);
    } finally {
      await app.stop();
      await model.stop();
    }
    const used = new Set([...dashboardExpressions(dashboards), rules.groups[0]!.rules[0]!.expr].flatMap(metricNames));
    expect([...used].filter((n) => !exposed.has(n))).to.deep.equal([]);
    // The panels cover the five app families and both model families.
    for (const n of ["sms_requests_total", "predictions_result_total", "active_users", "request_duration_seconds_bucket", "sms_length_bucket", "model_predictions_total", "model_prediction_latency_seconds_bucket"]) {
      expect([...used], n).to.include(n);
    }
  });

  it("dashboards are valid Grafana JSON on a Prometheus datasource variable, for the apps namespace", () => {
    for (const [file, d] of Object.entries(dashboards) as [string, { uid: string; panels: { datasource: { uid: string }; targets: { expr: string }[] }[]; templating: { list: { type: string; query: string }[] } }][]) {
      expect(d.uid, file).to.match(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(d.templating.list[0]).to.include({ type: "datasource", query: "prometheus" });
      for (const p of d.panels) {
        expect(p.datasource.uid).to.equal("${datasource}");
        for (const t of p.targets) if (metricNames(t.expr).length > 0) expect(t.expr, file).to.include(`namespace="${NS}"`);
      }
    }
  });
});
