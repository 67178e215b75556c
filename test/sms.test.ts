/**
 * The sms variant (seed 004) as the program builds it from the real stack files: versions as
 * Workloads with `app`/`version` labels, one Service per role, routing, alert and dashboards,
 * schema-valid and policy-clean; and the config errors an operator can make.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseStackConfig, ConfigError } from "../config";
import { evaluate, stackFileConfig, valueOf } from "./harness/evaluate";
import { graphOf } from "./platform-graphs";
import type { Graph, Res } from "./harness/graph";
import { validateManifests } from "./harness/manifests";
import { policyViolations } from "./harness/policies";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  sms: "statefleet:variants:SmsApp",
};

type Env = { name: string; value?: string };
const envValue = (d: Res, name: string): string | undefined =>
  (d.inputs.spec.template.spec.containers[0].env as Env[]).find((e) => e.name === name)?.value;
const smsResources = (g: Graph) => g.resources.filter((r) => g.ancestry(r).includes(T.sms));

/** Raw stack config of `stack` with `sms` merged in, parsed as `pulumi up` would. */
function parseWith(stack: string, sms: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) raw[k.replace(/^statefleet:/, "")] = v;
  const apps = raw.apps as Record<string, Record<string, unknown>>;
  raw.apps = { ...apps, sms: { ...apps.sms, ...sms } };
  return parseStackConfig(stack, { ...raw, ...extra });
}

function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("sms variant (seed 004)", () => {
  describe("dev stack", () => {
    let g: Graph;
    before(async () => {
      g = await graphOf("dev");
    });

    it("runs every version as its own Deployment with app/version pod labels and the dev file's replicas", () => {
      const expected: Record<string, [string, number]> = {
        "sms-app-v1": ["sms-app", 2],
        "sms-app-v2": ["sms-app", 1],
        "sms-model-v1": ["sms-model", 1],
        "sms-model-v2": ["sms-model", 1],
        "sms-model-v3": ["sms-model", 1],
      };
      for (const [name, [app, replicas]] of Object.entries(expected)) {
        const d = g.one(T.deployment, name);
        expect(d.inputs.spec.replicas, name).to.equal(replicas);
        expect(d.inputs.spec.template.metadata.labels).to.include({ app, version: name.slice(-2) });
        expect(d.inputs.spec.template.spec.containers[0].args).to.deep.equal([app]);
      }
    });

    it("points the app at the model's Service and gives each model its version", () => {
      for (const v of ["v1", "v2"]) {
        const app = g.one(T.deployment, `sms-app-${v}`);
        expect(envValue(app, "MODEL_HOST")).to.equal("http://sms-model.statefleet-apps.svc.cluster.local");
        expect(envValue(app, "APP_VERSION")).to.equal(v);
        expect(envValue(app, "SESSION_COOKIE")).to.equal("user-session");
        expect(envValue(app, "MODEL_TIMEOUT_MS")).to.equal("5000");
      }
      for (const v of ["v1", "v2", "v3"]) expect(envValue(g.one(T.deployment, `sms-model-${v}`), "MODEL_VERSION")).to.equal(v);
    });

    it("has one Service per role spanning its versions, which the routing uses as host", () => {
      for (const role of ["sms-app", "sms-model"]) {
        const s = g.one(T.service, role);
        expect(s.inputs.spec.selector).to.deep.equal({ app: role, "app.kubernetes.io/part-of": "statefleet" });
        expect(g.one(T.destinationRule, role).inputs.spec.host).to.equal(`${role}.statefleet-apps.svc.cluster.local`);
      }
    });

    it("scrapes each version with its version label kept on the series", () => {
      for (const name of ["sms-app-v1", "sms-app-v2", "sms-model-v1", "sms-model-v2", "sms-model-v3"]) {
        expect(g.one(T.serviceMonitor, name).inputs.spec.podTargetLabels).to.include("version");
      }
    });

    it("binds the app's VirtualService to the shared gateway on its own host, cookie rules ahead of the 90/10 split", () => {
      const vs = g.one(T.virtualService, "sms-app").inputs.spec;
      expect(vs.hosts).to.deep.equal(["sms-checker.localhost"]);
      expect(vs.gateways).to.deep.equal(["istio-ingress/statefleet-gateway"]);
      expect(vs.http.map((r: { name: string }) => r.name)).to.deep.equal(["sticky-v1", "sticky-v2", "split"]);
      const split = vs.http[2];
      expect(split.route.map((d: { destination: { subset: string }; weight: number }) => [d.destination.subset, d.weight])).to.deep.equal([["v1", 90], ["v2", 10]]);
      expect(split.timeout).to.equal("30s");
      expect(split.retries).to.deep.equal({ attempts: 3, perTryTimeout: "10s", retryOn: "connect-failure,refused-stream,reset" });
    });

    it("admits the gateway to the app pods and nobody else beyond each Workload's named callers", () => {
      const np = g.one(T.networkPolicy, "sms-app-from-gateway").inputs.spec;
      expect(np.podSelector.matchLabels).to.deep.equal({ app: "sms-app" });
      expect(np.ingress[0].from).to.deep.equal([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } } }]);
      const model = g.one(T.networkPolicy, "sms-model-v1").inputs.spec;
      expect(model.ingress[0].from).to.deep.include({ podSelector: { matchLabels: { app: "sms-app" } } });
    });

    it("creates the HighRequestRate rule for Prometheus and two dashboards for Grafana's sidecar", () => {
      const rule = g.one(T.prometheusRule, "sms-alerts");
      expect(rule.inputs.metadata.labels).to.include({ "statefleet.io/monitor": "true" });
      expect(rule.inputs.spec.groups[0].rules[0]).to.include({ alert: "HighRequestRate", for: "2m" });
      const boards = g.find(T.configMap, /^sms-dashboard-/);
      expect(boards.map((b) => Object.keys(b.inputs.data)[0]).sort()).to.deep.equal(["sms-ab.json", "sms-overview.json"]);
      // The label Grafana's sidecar looks for is what our Helm values tell it (and, at chart 88.5.3,
      // the grafana subchart's own default: sidecar.dashboards.label grafana_dashboard, labelValue "1").
      const release = g.find("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "kube-prometheus-stack") as Res;
      const sidecar = release.inputs.values.grafana.sidecar.dashboards;
      expect(sidecar.searchNamespace).to.equal("ALL");
      for (const b of boards) expect(b.inputs.metadata.labels[sidecar.label]).to.equal(sidecar.labelValue);
    });

    it("exports the page's URL on the Istio gateway's host port", async () => {
      expect(await valueOf(g.outputs.smsUrl as pulumi.Output<string>)).to.equal("http://sms-checker.localhost:8081/sms/");
    });

    it("every object is schema-valid and passes every policy", async () => {
      const keys = smsResources(g).map((r) => `${r.type} ${r.name}`);
      expect(keys.length).to.be.above(30);
      const about = (line: string) => keys.some((k) => line.includes(`${k}:`));
      expect([...(await validateManifests(g)).filter(about), ...policyViolations(g).filter(about)]).to.deep.equal([]);
    });
  });

  describe("defaults", () => {
    it("are the seed's table (app 3/1, model 3/1/1), 90/10, 100 % mirror, 15 requests/minute", async () => {
      const g = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { app: { v1: undefined, v2: undefined }, model: { v1: undefined, v2: undefined }, shadow: { replicas: undefined } } } } });
      const replicas = ["sms-app-v1", "sms-app-v2", "sms-model-v1", "sms-model-v2", "sms-model-v3"].map((n) => g.one(T.deployment, n).inputs.spec.replicas);
      expect(replicas).to.deep.equal([3, 1, 3, 1, 1]);
      const cfg = parseStackConfig("x", { cluster: { provider: "k3d", name: "x" }, apps: { sms: { enabled: true } } }).apps.sms;
      expect(cfg.weights).to.deep.equal({ v1: 90, v2: 10 });
      expect(cfg.shadow.mirrorPercent).to.equal(100);
      expect(cfg.alert.requestsPerMinute).to.equal(15);
      expect(cfg.stickiness.cookieName).to.equal("user-session");
    });

    it("an HPA per version when asked, and no shadow Deployment when the shadow is off", async () => {
      const g = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { app: { v1: { replicas: undefined, autoscale: { min: 2, max: 6 } } }, shadow: { enabled: false } } } } });
      expect(g.one(T.hpa, "sms-app-v1").inputs.spec).to.include({ minReplicas: 2, maxReplicas: 6 });
      expect(g.has(T.deployment, "sms-model-v3")).to.equal(false);
      const vs = g.one(T.virtualService, "sms-model").inputs.spec;
      for (const r of vs.http) expect(r).not.to.have.property("mirror");
      expect(g.one(T.destinationRule, "sms-model").inputs.spec.subsets.map((s: { name: string }) => s.name)).to.deep.equal(["v1", "v2"]);
    });

    it("is off unless enabled, and then creates nothing", async () => {
      const g = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { enabled: false } } } });
      expect(g.resources.filter((r) => r.type === T.sms)).to.deep.equal([]);
      expect(g.outputs).not.to.have.property("smsUrl");
    });
  });

  describe("config errors", () => {
    const cases: Array<{ what: string; sms?: Record<string, unknown>; extra?: Record<string, unknown>; expect: RegExp }> = [
      { what: "weights that do not add up to 100", sms: { weights: { v1: 80, v2: 10 } }, expect: /^statefleet:apps\.sms\.weights: v1 80 \+ v2 10 = 90 \(allowed: two percentages that add up to 100/ },
      { what: "a weight above 100", sms: { weights: { v1: 120, v2: -20 } }, expect: /^statefleet:apps\.sms\.weights\.v1: / },
      { what: "Istio off", extra: { istio: { enabled: false, gateway: { enabled: false } } }, expect: /^statefleet:apps\.sms\.exposure\.via: "istio-gateway" but the Istio gateway is off/ },
      { what: "another entry point", sms: { exposure: { via: "ingress-nginx" } }, expect: /^statefleet:apps\.sms\.exposure\.via: .*allowed: istio-gateway/ },
      { what: "replicas and autoscale on one version", sms: { model: { v2: { replicas: 2, autoscale: { min: 1, max: 3 } } } }, expect: /^statefleet:apps\.sms\.model\.v2\.autoscale: set together with replicas/ },
      { what: "a mirror above 100 %", sms: { shadow: { mirrorPercent: 150 } }, expect: /^statefleet:apps\.sms\.shadow\.mirrorPercent: / },
      { what: "a model timeout the gateway would cut", sms: { model: { timeoutSeconds: 40 } }, expect: /^statefleet:apps\.sms\.model\.timeoutSeconds: 40 is not below route\.timeoutSeconds 30/ },
      { what: "a bad alert duration", sms: { alert: { for: "two minutes" } }, expect: /^statefleet:apps\.sms\.alert\.for: .*not a duration/ },
      { what: "the alert without monitoring", extra: { monitoring: { enabled: false } }, expect: /^statefleet:apps\.sms\.alert\.enabled: true while monitoring\.enabled is false/ },
      { what: "a host the gateway does not admit", extra: { istio: { enabled: true, gateway: { enabled: true, hosts: ["statefleet.localhost"] } } }, expect: /^statefleet:apps\.sms\.exposure\.host: "sms-checker\.localhost" matches none of istio\.gateway\.hosts/ },
    ];
    for (const c of cases) {
      it(`rejects ${c.what} with the key path`, () => {
        const problems = configProblems(() => {
          const base = stackFileConfig("dev") as Record<string, Record<string, unknown>>;
          const extra: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(c.extra ?? {})) extra[k] = { ...(base[`statefleet:${k}`] ?? {}), ...(v as object) };
          return parseWith("dev", c.sms ?? {}, extra);
        });
        expect(problems.some((p) => c.expect.test(p)), problems.join("\n")).to.equal(true);
      });
    }
  });
});
