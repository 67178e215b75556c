import { expect } from "chai";
import * as fs from "node:fs";
import { CHARTS } from "../components/platform/charts";
import { flattenValuePaths, keysFile, loadChartKeys, unknownValuePaths } from "./chart-keys";
import { graphOf, releasesOf, VARIANTS, type VariantName } from "./platform-graphs";

describe("Helm values: every key we set exists in the pinned chart version", () => {
  it("has a key list for every pinned chart version", () => {
    for (const ref of Object.values(CHARTS)) expect(fs.existsSync(keysFile(ref.chart, ref.version)), `${ref.chart} ${ref.version}`).to.equal(true);
  });

  it("rejects a misspelled key, naming its path", () => {
    const keys = loadChartKeys("ingress-nginx", "4.15.1");
    expect(unknownValuePaths({ controller: { replicaCoun: 1 } }, keys)).to.deep.equal(["controller.replicaCoun"]);
    expect(unknownValuePaths({ controller: { replicaCount: 1, servce: { type: "LoadBalancer" } } }, keys)).to.deep.equal(["controller.servce.type"]);
  });

  it("accepts anything below a free-form map, and nothing beside it", () => {
    const keys = loadChartKeys("ingress-nginx", "4.15.1");
    expect(unknownValuePaths({ controller: { config: { "any-nginx-option": "1" }, service: { annotations: { "a/b": "c" } } } }, keys)).to.deep.equal([]);
    expect(unknownValuePaths({ controller: { configs: { "use-forwarded-headers": "true" } } }, keys)).to.deep.equal(["controller.configs.use-forwarded-headers"]);
  });

  it("keeps a key with a dot in it as one key (grafana.ini), so its typo is caught too", () => {
    expect(flattenValuePaths({ grafana: { "grafana.ini": { server: { root_url: "x" } } } })).to.deep.equal(["grafana.grafana\\.ini.server.root_url"]);
    const keys = loadChartKeys("kube-prometheus-stack", "88.5.3");
    expect(unknownValuePaths({ grafana: { "grafana.ini": { server: { root_url: "x" } } } }, keys)).to.deep.equal([]);
    expect(unknownValuePaths({ grafana: { grafana_ini: { server: { root_url: "x" } } } }, keys)).to.deep.equal(["grafana.grafana_ini.server.root_url"]);
  });

  it("treats lists and empty maps as leaves", () => {
    expect(flattenValuePaths({ a: [{ b: 1 }], c: {}, d: { e: null } })).to.deep.equal(["a", "c", "d.e"]);
  });

  for (const variant of Object.keys(VARIANTS) as VariantName[]) {
    it(`${variant}: every value of every Release is a key of its chart version`, async () => {
      const graph = await graphOf(variant);
      const releases = releasesOf(graph);
      expect(releases.length, "releases").to.be.greaterThan(0);
      const problems: string[] = [];
      for (const r of releases) {
        const keys = loadChartKeys(r.inputs.chart, r.inputs.version);
        for (const p of unknownValuePaths(r.inputs.values ?? {}, keys)) {
          problems.push(`${r.name} (${r.inputs.chart} ${r.inputs.version}): ${p} is not a value of the chart`);
        }
      }
      expect(problems).to.deep.equal([]);
    });
  }
});
