/**
 * Every Grafana dashboard the program ships, whichever variant adds it: found the way Grafana's
 * sidecar finds them (ConfigMaps carrying the label the monitoring release's sidecar watches), in
 * both stacks. Each must be dashboard JSON with a uid, every panel's PromQL must pass promtool, and
 * every metric and label it selects must be one the roles really expose: each role the program's
 * Deployments run is started as a real process (app/dist) with those Deployments' environment,
 * given some traffic, and scraped. A renamed metric or label can then not leave an empty panel.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import type { Graph, Res } from "./harness/graph";
import { declaredMetricLabels, exposedSeries, promqlRefs, promtool, TARGET_LABELS, withGrafanaIntervals } from "./harness/promql";
import { RoleRig, type RoleScrape } from "./harness/role-scrape";
import { graphOf } from "./platform-graphs";

interface Target {
  expr?: string;
  refId?: string;
}
interface Panel {
  id?: number;
  title?: string;
  type?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid?: unknown;
  title?: unknown;
  panels?: Panel[];
}
interface Shipped {
  /** `<stack>: <ConfigMap>/<file>` */
  where: string;
  json: string;
}

/** Panels, including those folded into rows. */
function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The dashboards a stack ships: ConfigMaps with the label the release's Grafana sidecar watches. */
function shippedDashboards(stack: string, g: Graph): Shipped[] {
  const release = g.find("kubernetes:helm.sh/v3:Release", /monitoring/)[0];
  if (!release) return [];
  const sidecar = release.inputs.values?.grafana?.sidecar?.dashboards as { enabled?: boolean; label: string; labelValue?: string };
  expect(sidecar?.enabled, `${stack}: Grafana's dashboard sidecar`).to.equal(true);
  return g
    .find("kubernetes:core/v1:ConfigMap", /.*/)
    .filter((c: Res) => c.inputs.metadata?.labels?.[sidecar.label] === String(sidecar.labelValue ?? "1"))
    .flatMap((c: Res) => Object.entries((c.inputs.data ?? {}) as Record<string, string>).map(([file, json]) => ({ where: `${stack}: ${c.name}/${file}`, json })));
}

describe("Grafana dashboards the program ships (every variant): JSON, promtool, metric names of a real scrape", function () {
  this.timeout(180_000);
  const shipped: Shipped[] = [];
  const dashboards: { where: string; d: Dashboard }[] = [];
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "statefleet-dashboards-"));
    for (const stack of ["dev", "aks"] as const) shipped.push(...shippedDashboards(stack, await graphOf(stack)));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds the dashboards through the sidecar's label (api and sms at least), each a .json file of valid JSON", () => {
    const names = shipped.map((s) => s.where);
    for (const known of [/^dev: api-dashboard\//, /^dev: sms-dashboard-overview\//, /^dev: sms-dashboard-ab\//]) {
      expect(names.some((n) => known.test(n)), `${known} among ${names.join(", ")}`).to.equal(true);
    }
    for (const s of shipped) {
      expect(s.where, "the sidecar loads *.json files").to.match(/\.json$/);
      let d: unknown;
      expect(() => (d = JSON.parse(s.json)), s.where).to.not.throw();
      expect(d, s.where).to.be.an("object");
      dashboards.push({ where: s.where, d: d as Dashboard });
    }
  });

  it("each has a uid Grafana accepts (unique per dashboard, ≤ 40 of [A-Za-z0-9_-]), a title, and panels that query something", () => {
    const uidOwners = new Map<string, string>();
    for (const { where, d } of dashboards) {
      expect(d.uid, `${where}: uid`).to.be.a("string").and.match(/^[A-Za-z0-9_-]{1,40}$/);
      expect(d.title, `${where}: title`).to.be.a("string").and.not.equal("");
      // The same dashboard in both stacks is fine; two different dashboards on one uid overwrite each other.
      const title = `${String(d.title)}`;
      const owner = uidOwners.get(d.uid as string);
      expect(owner === undefined || owner === title, `${where}: uid ${String(d.uid)} also used by "${owner}"`).to.equal(true);
      uidOwners.set(d.uid as string, title);
      const panels = panelsOf(d).filter((p) => p.type !== "row");
      expect(panels.length, `${where}: panels`).to.be.greaterThan(0);
      for (const p of panels) {
        expect(p.targets?.length ?? 0, `${where}: panel "${p.title}" has no query`).to.be.greaterThan(0);
        for (const t of p.targets ?? []) expect(t.expr, `${where}: panel "${p.title}"`).to.be.a("string").and.not.equal("");
      }
    }
  });

  /** Every target of every dashboard, with where it is. */
  const targets = () =>
    dashboards.flatMap(({ where, d }) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => ({ at: `${where} panel "${p.title}"`, expr: String(t.expr) }))));

  it("every panel's PromQL passes promtool (Prometheus' own parser)", () => {
    const all = targets();
    expect(all.length).to.be.greaterThan(0);
    const exprs = all.map((t) => withGrafanaIntervals(t.expr));
    for (const [i, e] of exprs.entries()) expect(e, `${all[i]!.at}: a Grafana variable promtool cannot parse`).to.not.match(/\$/);
    const rules = { groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `statefleet:dashboard_expr_${i}`, expr })) }] };
    fs.writeFileSync(path.join(dir, "dashboards.yml"), YAML.stringify(rules));
    const r = promtool(["check", "rules", "dashboards.yml"], dir);
    const bad = [...r.out.matchAll(/group "dashboards", rule (\d+)/g)].map((m) => all[Number(m[1]) - 1]?.at);
    expect(r.code, `${r.out}\n${bad.join("\n")}`).to.equal(0);
    expect(r.out).to.contain(`SUCCESS: ${exprs.length} rules found`);
  });

  it("promtool catches a broken panel query (the check can fail)", () => {
    fs.writeFileSync(path.join(dir, "broken.yml"), YAML.stringify({ groups: [{ name: "b", rules: [{ record: "statefleet:broken", expr: "sum(rate(http_requests_total[5m])" }] }] }));
    expect(promtool(["check", "rules", "broken.yml"], dir).code).to.not.equal(0);
  });

  describe("against a real /metrics scrape of every role the Deployments run", () => {
    let scrapes: RoleScrape[];
    let exposed: Map<string, Set<string>>;
    let rig: RoleRig;
    /** Labels Prometheus puts on every target, plus the pod labels our ServiceMonitors copy (podTargetLabels). */
    const targetLabels = new Set(TARGET_LABELS);
    const declared = declaredMetricLabels();

    before(async () => {
      // Both stacks run the same roles; dev's Deployments give the environment.
      const g = await graphOf("dev");
      for (const stack of ["dev", "aks"] as const) {
        for (const sm of (await graphOf(stack)).find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", /.*/)) {
          for (const l of [...(sm.inputs.spec?.podTargetLabels ?? []), ...(sm.inputs.spec?.targetLabels ?? [])] as string[]) targetLabels.add(l);
        }
      }
      rig = new RoleRig(g);
      try {
        scrapes = await rig.scrapeAll();
      } finally {
        await rig.stop();
      }
      exposed = new Map();
      for (const s of scrapes) {
        for (const [name, labels] of exposedSeries(s.exposition)) exposed.set(name, new Set([...(exposed.get(name) ?? []), ...labels]));
      }
    });

    it("scraped every role the program runs", () => {
      expect(scrapes.map((s) => s.role)).to.include.members(["stats", "pingpong", "logoutput", "sms-app", "sms-model", "api"]);
      for (const s of scrapes) expect(s.exposition, s.role).to.match(/^# TYPE http_requests_total counter$/m);
    });

    it("every metric a panel selects is one a role exposes", () => {
      const missing = targets().flatMap((t) => promqlRefs(t.expr).metrics.filter((m) => !exposed.has(m)).map((m) => `${t.at}: ${m}`));
      expect(missing, "metrics no role exposes (renamed? misspelt?)").to.deep.equal([]);
    });

    it("every label a panel filters or groups by is on that metric's samples, or one Prometheus adds to each target", () => {
      const wrong: string[] = [];
      for (const t of targets()) {
        const refs = promqlRefs(t.expr);
        // A family exposed with no sample yet (an error counter of a healthy process prints only its TYPE line)
        // is held to the labels app/src declares for it; every other family to the labels its samples carry.
        const labelsOf = (m: string) => {
          const seen = exposed.get(m) ?? new Set<string>();
          const family = m.replace(/_(bucket|sum|count)$/, "");
          return seen.size === 0 && exposed.has(m) ? new Set(declared.get(family) ?? declared.get(m) ?? []) : seen;
        };
        const known = (m: string | undefined, l: string) => targetLabels.has(l) || (m ? labelsOf(m).has(l) : refs.metrics.some((x) => labelsOf(x).has(l)));
        for (const { metric, label } of refs.matchers) if (!known(metric, label)) wrong.push(`${t.at}: ${metric ?? ""}{${label}}`);
        for (const label of refs.grouping) if (!known(undefined, label)) wrong.push(`${t.at}: by (${label})`);
      }
      expect(wrong, "labels no sample carries (renamed? never observed — add traffic in test/harness/role-scrape.ts)").to.deep.equal([]);
    });

    it("the check can fail: a renamed metric or label is reported", () => {
      const renamed = promqlRefs('sum by (pod) (rate(sms_request_total{namespace="x",endpoint="/sms"}[5m]))').metrics.filter((m) => !exposed.has(m));
      expect(renamed).to.deep.equal(["sms_request_total"]);
      expect(exposed.get("request_duration_seconds_bucket")?.has("endpoint")).to.equal(true);
      expect(exposed.get("request_duration_seconds_bucket")?.has("route")).to.equal(false);
    });
  });
});
