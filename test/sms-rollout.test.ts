/**
 * `apps.sms.rollout: flagger` (issue #16), proven offline: the pinned Flagger chart and its
 * values, the Canary and MetricTemplates against Flagger 1.44.0's own CRD schema (checked-in copy
 * of the chart's crds/crd.yaml), labels and policies that hold for Flagger's primary copy too
 * (modelled on Flagger's own label code), and the Canary's queries through promtool and against
 * a real Prometheus scraping real sms-app processes — a healthy canary passes both checks, the
 * bad version (SMS_FAULT=http-500) fails the success rate while its primary stays healthy.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { CHARTS } from "../components/platform/charts";
import { PROMETHEUS_URL } from "../components/platform/monitoring";
import { METRIC_QUERIES } from "../components/variants/sms-rollout";
import { RELEASE_ALERT_NAME, dashboardExpressions } from "../components/variants/sms-monitoring";
import { PrometheusServer } from "../app/test/helpers/prometheus";
import { crdSchemaFor } from "./harness/manifests";
import { schemaProblems, type JsonSchema } from "./harness/crd-schema";
import { RunningRole, request } from "./harness/app-roles";
import { promtool } from "./harness/promtool";
import { evaluate } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { graphOf } from "./platform-graphs";

const NS = "statefleet-apps";
const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
  canary: "kubernetes:flagger.app/v1beta1:Canary",
  metricTemplate: "kubernetes:flagger.app/v1beta1:MetricTemplate",
  release: "kubernetes:helm.sh/v3:Release",
  namespace: "kubernetes:core/v1:Namespace",
};

/** Flagger's `-selector-labels` default (fluxcd/flagger v1.44.0 cmd/flagger/main.go). */
const FLAGGER_SELECTOR_LABELS = ["app", "name", "app.kubernetes.io/name"];
/** Which label Flagger renames for the primary: the first of its list in the target's selector (pkg/canary/deployment_controller.go). */
function flaggerSelectorLabel(selector: Record<string, string>): string | undefined {
  return FLAGGER_SELECTOR_LABELS.find((l) => l in selector);
}
/** Flagger's makePrimaryLabels (pkg/canary/util.go): every label copied, the selector label set to `<value>-primary`. */
function primaryLabels(labels: Record<string, string>, label: string, value: string): Record<string, string> {
  return { ...Object.fromEntries(Object.entries(labels).filter(([k]) => k !== label && !k.includes("toolkit.fluxcd.io"))), [label]: value };
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Go text/template as Flagger renders a MetricTemplate query (pkg/metrics/observers/render.go: functions, missingkey=error). */
function renderQuery(template: string, model: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (_m, fn: string) => {
    if (!(fn in model)) throw new Error(`template: function "${fn}" not defined`);
    return model[fn] as string;
  });
}


describe("sms released by Flagger (apps.sms.rollout: flagger)", function () {
  let g: Graph;
  let canary: Res;
  let target: Res;
  before(async () => {
    g = await graphOf("devFlagger");
    canary = g.one(T.canary, "sms-app");
    target = g.one(T.deployment, "sms-app");
  });

  it("installs the pinned Flagger chart in its own restricted namespace, on Istio, reading our Prometheus, after Istio and monitoring", () => {
    const r = g.one(T.release, "flagger");
    expect(r.inputs).to.deep.include({ chart: "flagger", version: "1.44.0", namespace: "flagger", createNamespace: false });
    expect(r.inputs.repositoryOpts).to.deep.equal({ repo: "https://flagger.app" });
    expect(r.inputs.values).to.deep.include({ meshProvider: "istio", metricsServer: "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090", namespace: NS });
    expect(r.inputs.values.image).to.deep.equal({ tag: CHARTS.flagger.version });
    expect(r.inputs.values.securityContext.context).to.deep.include({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(r.inputs.values.podMonitor).to.deep.include({ enabled: true, additionalLabels: { "statefleet.io/monitor": "true" } });
    expect(g.one(T.namespace, "flagger").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).to.equal("restricted");
    expect(g.dependsOn(r, g.one(T.release, "istio-istiod")), "Istio's CRDs first").to.equal(true);
    expect(g.dependsOn(r, g.one(T.release, "monitoring-release")), "the PodMonitor CRD first").to.equal(true);
    // Flagger's CRDs come with its chart: every Canary and MetricTemplate waits for it.
    for (const cr of [canary, ...g.find(T.metricTemplate, /.*/)]) expect(g.dependsOn(cr, r), cr.name).to.equal(true);
    expect(g.find(T.release, /flagger/), "no Flagger in the static stack").to.have.length(1);
  });

  it("the static stack has no Flagger, no Canary, and keeps the v1/v2 Deployments", async () => {
    const s = await graphOf("dev");
    expect(s.find(T.release, /flagger/)).to.deep.equal([]);
    expect(s.find(T.canary, /.*/)).to.deep.equal([]);
    expect(s.find(T.deployment, /^sms-app-v[12]$/)).to.have.length(2);
  });

  it("replaces v1/v2 with one target Deployment; the app's Services, DestinationRules and VirtualService are left to Flagger", () => {
    expect(g.find(T.deployment, /^sms-app-v[12]$/)).to.deep.equal([]);
    const env = Object.fromEntries((target.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env).to.deep.include({ APP_VERSION: "v1", SMS_FAULT: "none", MODEL_HOST: "http://sms-model.statefleet-apps.svc.cluster.local" });
    expect(target.inputs.spec.template.metadata.labels).to.deep.include({ app: "sms-app", version: "v1" });
    // Flagger owns these names; a second owner would fight it on every reconcile.
    expect(g.find(T.service, /^sms-app(-primary|-canary)?$/)).to.deep.equal([]);
    expect(g.find(T.virtualService, /^sms-app$/)).to.deep.equal([]);
    expect(g.find(T.destinationRule, /^sms-app$/)).to.deep.equal([]);
    expect(g.one(T.service, "sms-app-pods").inputs.spec.clusterIP, "ours is headless, for scraping only").to.equal("None");
    // The model side is the static one: version-consistent routing and the shadow mirror.
    const modelVs = g.one(T.virtualService, "sms-model").inputs.spec;
    expect(modelVs.http.map((h: { name: string }) => h.name)).to.deep.equal(["from-app-v1", "from-app-v2", "default"]);
    expect(modelVs.http[0].mirror.subset).to.equal("v3");
  });

  it("the Canary: target, gateway and host, steps, threshold, sticky cookies for canary and primary, both checks on our MetricTemplates", () => {
    const s = canary.inputs.spec;
    expect(s.targetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "sms-app" });
    expect(s.service).to.deep.include({ port: 80, targetPort: 8080, gateways: ["istio-ingress/statefleet-gateway", "mesh"], hosts: ["sms-checker.localhost"] });
    expect(s.analysis).to.deep.include({ interval: "30s", threshold: 5, stepWeight: 10, maxWeight: 50 });
    expect(s.analysis.sessionAffinity).to.deep.equal({ cookieName: "sms-canary", primaryCookieName: "sms-primary", maxAge: 3600 });
    const templates = new Map(g.find(T.metricTemplate, /.*/).map((m) => [m.inputs.metadata.name as string, m.inputs.spec]));
    expect(s.analysis.metrics.map((m: { name: string; thresholdRange: object }) => [m.name, m.thresholdRange])).to.deep.equal([
      ["success-rate", { min: 99 }],
      ["latency-p99", { max: 1000 }],
    ]);
    for (const m of s.analysis.metrics as { templateRef: { name: string; namespace: string }; interval: string }[]) {
      expect(m.templateRef.namespace).to.equal(NS);
      expect(templates.get(m.templateRef.name), m.templateRef.name).to.deep.include({ provider: { type: "prometheus", address: PROMETHEUS_URL } });
      expect(m.interval).to.equal("1m");
    }
  });

  it("every field of the Canary and the MetricTemplates exists in Flagger 1.44.0's CRD schema (sessionAffinity.primaryCookieName included)", () => {
    const objects = [canary, ...g.find(T.metricTemplate, /.*/)].map((r) => r.inputs);
    expect(objects).to.have.length(3);
    for (const o of objects) expect(schemaProblems(o, crdSchemaFor(o.apiVersion, o.kind) as JsonSchema), `${o.kind} ${o.metadata.name}`).to.deep.equal([]);
    const affinity = (crdSchemaFor("flagger.app/v1beta1", "Canary") as JsonSchema).properties?.spec?.properties?.analysis?.properties?.sessionAffinity;
    expect(Object.keys(affinity?.properties ?? {})).to.include.members(["cookieName", "primaryCookieName", "maxAge"]);
  });

  it("the schema check catches a misspelled field, a wrong type and a missing required field (it can fail)", () => {
    const schema = crdSchemaFor("flagger.app/v1beta1", "Canary") as JsonSchema;
    const broken = structuredClone(canary.inputs);
    broken.spec.analysis.sessionAffinity = { cookieName: "a", primaryCookiName: "b" };
    broken.spec.analysis.stepWeight = "10";
    delete broken.spec.targetRef.name;
    broken.spec.service.trafficPolicy.connectionPool.tcp = { maxConnections: 100 };
    expect(schemaProblems(broken, schema).sort()).to.deep.equal([
      "spec.analysis.sessionAffinity.primaryCookiName: unknown field (the API server would drop it)",
      "spec.analysis.stepWeight: string where the schema wants number",
      // Istio's DestinationRule has it, Flagger's Canary does not: the copy would silently lose it.
      "spec.service.trafficPolicy.connectionPool.tcp: unknown field (the API server would drop it)",
      "spec.targetRef.name: required",
    ]);
  });

  it("policies, PDB and scraping select Flagger's primary copy too; the target's own selector does not", () => {
    const sel = target.inputs.spec.selector.matchLabels as Record<string, string>;
    const pods = target.inputs.spec.template.metadata.labels as Record<string, string>;
    const label = flaggerSelectorLabel(sel);
    expect(label, "Flagger finds a selector label").to.equal("app.kubernetes.io/name");
    const primary = primaryLabels(pods, label as string, "sms-app-primary");
    expect(matches(sel, primary), "the primary is a distinct set of pods").to.equal(false);
    const selectors: [string, Record<string, string>][] = [
      ["NetworkPolicy sms-app", g.one(T.networkPolicy, "sms-app").inputs.spec.podSelector.matchLabels],
      ["NetworkPolicy sms-app-from-gateway", g.one(T.networkPolicy, "sms-app-from-gateway").inputs.spec.podSelector.matchLabels],
      ["model's callers", g.one(T.networkPolicy, "sms-model-v1").inputs.spec.ingress[0].from.find((f: { podSelector?: unknown }) => f.podSelector).podSelector.matchLabels],
      ["Service sms-app-pods", g.one(T.service, "sms-app-pods").inputs.spec.selector],
    ];
    for (const [what, s] of selectors) {
      expect(matches(s, pods), `${what} selects the canary`).to.equal(true);
      expect(matches(s, primary), `${what} selects the primary`).to.equal(true);
    }
    // App → model version consistency for both copies: the model routes by `app` and `version`, which Flagger keeps.
    const fromV1 = g.one(T.virtualService, "sms-model").inputs.spec.http[0].match[0].sourceLabels;
    expect(matches(fromV1, primary)).to.equal(true);
    // Prometheus admits Flagger's queries.
    const prom = g.one(T.networkPolicy, "monitoring-allow-prometheus").inputs.spec;
    expect(prom.ingress).to.deep.equal([{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "flagger" } } }], ports: [{ protocol: "TCP", port: 9090 }] }]);
  });

  it("a release is one config change: version v2 (and the fault switch) change only the target's pod template", async () => {
    const v2 = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { rollout: "flagger", flagger: { version: "v2", fault: "http-500" } } } } });
    const d = v2.one(T.deployment, "sms-app");
    const env = Object.fromEntries((d.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env).to.deep.include({ APP_VERSION: "v2", SMS_FAULT: "http-500" });
    expect(d.inputs.spec.template.metadata.labels.version).to.equal("v2");
    expect(v2.one(T.canary, "sms-app").inputs.spec).to.deep.equal(canary.inputs.spec);
  });
});

/**
 * Flagger's own series, as its recorder names them (fluxcd/flagger v1.44.0 pkg/metrics/recorder.go:
 * subsystem "flagger", labels name/namespace, weight by workload, analysis by metric).
 */
const FLAGGER_SERIES = ["flagger_canary_weight", "flagger_canary_status", "flagger_canary_metric_analysis", "flagger_canary_duration_seconds_bucket", "flagger_canary_total", "flagger_info"];

describe("the release on Grafana and Alertmanager", function () {
  this.timeout(120_000);
  let g: Graph;
  let dir: string;
  before(async () => {
    g = await graphOf("devFlagger");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-release-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const board = () => JSON.parse(g.one("kubernetes:core/v1:ConfigMap", "sms-dashboard-release").inputs.data["sms-release.json"]) as object;
  const rules = () => g.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "sms-alerts").inputs.spec;

  it("a release dashboard (weights, status, each check, success rate and p99 by version) only when Flagger releases sms", async () => {
    const exprs = dashboardExpressions({ "sms-release.json": board() });
    expect(exprs.join("\n")).to.contain("flagger_canary_weight").and.to.contain("flagger_canary_status").and.to.contain("flagger_canary_metric_analysis");
    const names = exprs.flatMap((e) => [...e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] as string));
    const ours = ["http_requests_total", "request_duration_seconds_bucket", "sms_requests_total"];
    expect(names.filter((n) => !FLAGGER_SERIES.includes(n) && !ours.includes(n))).to.deep.equal([]);
    for (const e of exprs) expect(e).to.contain('namespace="statefleet-apps"');
    const file = { groups: [{ name: "release", rules: exprs.map((expr, i) => ({ record: `statefleet:sms_release_expr_${i}`, expr })) }] };
    fs.writeFileSync(path.join(dir, "release.yml"), YAML.stringify(file));
    const r = promtool(["check", "rules", "release.yml"], dir);
    expect(r.code, r.out).to.equal(0);
    const s = await graphOf("dev");
    expect(s.find("kubernetes:core/v1:ConfigMap", /^sms-dashboard-release$/)).to.deep.equal([]);
    expect(s.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "sms-alerts").inputs.spec.groups[0].rules.map((x: { alert: string }) => x.alert)).to.deep.equal(["HighRequestRate"]);
  });

  it(`${RELEASE_ALERT_NAME} fires when Flagger marks the release failed (status 2), not while it runs (0) or after a success (1)`, () => {
    fs.writeFileSync(path.join(dir, "rules.yml"), YAML.stringify(rules()));
    expect(promtool(["check", "rules", "rules.yml"], dir).out).to.match(/SUCCESS: 2 rules found/);
    const rule = (rules().groups[0].rules as { alert: string; labels: object; annotations: object }[]).find((x) => x.alert === RELEASE_ALERT_NAME);
    const series = 'flagger_canary_status{namespace="statefleet-apps",name="sms-app",pod="flagger-abc"}';
    const unit = (values: string, at: string[], firing: boolean[]) => ({
      rule_files: ["rules.yml"],
      evaluation_interval: "15s",
      tests: [{ interval: "15s", input_series: [{ series, values }], alert_rule_test: at.map((t, i) => ({ eval_time: t, alertname: RELEASE_ALERT_NAME, exp_alerts: firing[i] ? [{ exp_labels: rule?.labels, exp_annotations: rule?.annotations }] : [] })) }],
    });
    const run = (name: string, test: object) => {
      fs.writeFileSync(path.join(dir, `${name}.yml`), YAML.stringify(test));
      return promtool(["test", "rules", `${name}.yml`], dir);
    };
    // Running for a minute, then failed.
    const failed = run("failed", unit("0x4 2x8", ["30s", "2m"], [false, true]));
    expect(failed.code, failed.out).to.equal(0);
    const ok = run("ok", unit("0x4 1x8", ["30s", "2m"], [false, false]));
    expect(ok.code, ok.out).to.equal(0);
    expect(run("wrong", unit("0x4 1x8", ["2m"], [true])).code, "the unit test can fail").to.not.equal(0);
  });

  it("Flagger's PodMonitor keeps the Canary's namespace label, which the dashboard and alert select on", () => {
    expect(g.one(T.release, "flagger").inputs.values.podMonitor).to.deep.include({ honorLabels: true });
  });
});

describe("the Canary's metric queries: promtool, and a real Prometheus scraping real sms-app processes", function () {
  this.timeout(120_000);
  const model = { namespace: NS, target: "sms-app", interval: "1m", name: "sms-app", service: "sms-app" };

  it("render (as Flagger does) to PromQL that promtool accepts; an unknown template function is an error", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-flagger-"));
    try {
      const rules = { groups: [{ name: "canary", rules: Object.entries(METRIC_QUERIES).map(([k, q]) => ({ record: `statefleet:canary_${k}`, expr: renderQuery(q, model) })) }] };
      fs.writeFileSync(path.join(dir, "canary.yml"), YAML.stringify(rules));
      const r = promtool(["check", "rules", "canary.yml"], dir);
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/SUCCESS: 2 rules found/);
      fs.writeFileSync(path.join(dir, "raw.yml"), YAML.stringify({ groups: [{ name: "raw", rules: [{ record: "x", expr: METRIC_QUERIES.successRate }] }] }));
      expect(promtool(["check", "rules", "raw.yml"], dir).code, "the unrendered template is not PromQL").to.not.equal(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => renderQuery("{{ nmespace }}", model)).to.throw(/"nmespace" not defined/);
  });

  describe("against real roles", function () {
    let modelRole: RunningRole;
    const roles: RunningRole[] = [];
    let prometheus: PrometheusServer;
    /** Pod names as the kubelet makes them: target `<deploy>-<rs hash>-<pod hash>`, primary `<deploy>-primary-…`. */
    const pods = {
      goodCanary: { ns: "good", pod: "sms-app-5d8f7c9b6-x7k2p", version: "v2", fault: "none" },
      goodPrimary: { ns: "good", pod: "sms-app-primary-6c9d8b7f5-q4w8z", version: "v1", fault: "none" },
      badCanary: { ns: "bad", pod: "sms-app-7f6e5d4c3-m2n3b", version: "v2", fault: "http-500" },
      badPrimary: { ns: "bad", pod: "sms-app-primary-6c9d8b7f5-r5t6y", version: "v1", fault: "none" },
    };
    const checks = (ns: string) => ({ ...model, namespace: ns });
    /** Flagger's verdict (pkg/controller/scheduler_metrics.go, providers/prometheus.go): no value or NaN fails the check. */
    async function value(q: string, ns: string): Promise<number> {
      const r = await prometheus.query(renderQuery(q, checks(ns)));
      if (r.length === 0) return NaN;
      return Number(r[0]?.value[1]);
    }

    before(async function () {
      modelRole = await RunningRole.start("sms-model", { MODEL_VERSION: "v1" });
      const targets: Record<string, { target: string; labels: Record<string, string> }> = {};
      for (const [key, p] of Object.entries(pods)) {
        const role = await RunningRole.start("sms-app", { MODEL_HOST: modelRole.url, APP_VERSION: p.version, SMS_FAULT: p.fault });
        roles.push(role);
        // The target labels the prometheus-operator gives a ServiceMonitor's targets.
        targets[key] = { target: role.url.replace("http://", ""), labels: { namespace: p.ns, pod: p.pod, version: p.version } };
      }
      prometheus = await PrometheusServer.start(targets);
      // A first scrape with the zero counters, then traffic, then later scrapes: rate() sees the increase.
      const up = async () => (await prometheus.query("up == 1")).length;
      for (let t = Date.now(); (await up()) < 4; ) { if (Date.now() - t > 20_000) throw new Error("targets not up"); await new Promise((r) => setTimeout(r, 250)); }
      // Traffic keeps coming while we wait, as it does for Flagger: a labelled series is born at its
      // first observation, so rate() needs two scrapes of it with an increase in between; one burst
      // that fits between two scrapes (a quick machine) would leave every rate at 0 and the ratio NaN.
      let i = 0;
      const round = async () => {
        for (const role of roles) {
          await request(`${role.url}/sms/`, "POST", JSON.stringify({ sms: i % 2 ? "WINNER! claim your free prize now" : "lunch at noon?", guess: "ham" }));
          await request(`${role.url}/sms/`);
        }
        i++;
      };
      for (let t = Date.now(); Number.isNaN(await value(METRIC_QUERIES.successRate, "bad")) || Number.isNaN(await value(METRIC_QUERIES.latencyP99, "good")); ) {
        if (Date.now() - t > 45_000) throw new Error("no rate after 45 s");
        await round();
        await new Promise((r) => setTimeout(r, 500));
      }
    });
    after(async function () {
      await prometheus?.stop();
      for (const r of roles) await r.stop();
      await modelRole?.stop();
    });

    it("a healthy canary passes both checks: success rate 100 % ≥ 99, p99 latency within the bound", async () => {
      expect(await value(METRIC_QUERIES.successRate, "good")).to.equal(100);
      const p99 = await value(METRIC_QUERIES.latencyP99, "good");
      expect(p99).to.be.greaterThan(0).and.at.most(1000);
    });

    it("without traffic the success rate has no value (Flagger halts, it does not judge)", async () => {
      expect(Number.isNaN(await value(METRIC_QUERIES.successRate, "nobody"))).to.equal(true);
    });

    it("the bad version (SMS_FAULT=http-500) fails the success rate — 0 %, its healthy primary is not counted — and has no latency value (also a failed check)", async () => {
      expect(await value(METRIC_QUERIES.successRate, "bad")).to.equal(0);
      expect(Number.isNaN(await value(METRIC_QUERIES.latencyP99, "bad"))).to.equal(true);
      // The primary's traffic is there, just excluded by the canary pod regex.
      const all = await prometheus.query('sum(rate(http_requests_total{namespace="bad",route="/sms/"}[1m]))');
      expect(Number(all[0]?.value[1])).to.be.greaterThan(0);
    });
  });
});
