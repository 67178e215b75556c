/**
 * Every Kubernetes object of every stack (and of the variations operators are likely to pick)
 * is schema-valid and passes every policy. Layers: test/harness/manifests.ts, policy/rules.ts.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { loadChecks } from "../smoke/check";
import { evaluate, valueOf, type EvaluateOptions } from "./harness/evaluate";
import { validateManifests } from "./harness/manifests";
import { policyViolations } from "./harness/policies";

const VARIATIONS: [string, string, EvaluateOptions][] = [
  ["dev", "as committed", {}],
  ["aks", "as committed", {}],
  ["dev", "preview", { preview: true }],
  ["aks", "preview", { preview: true }],
  ["dev", "stats on the shared volume, client-ip affinity, autoscaled", {
    overrides: { "statefleet:apps": { stats: { state: "shared-volume", affinity: "client-ip", replicas: undefined, autoscale: { min: 2, max: 4 } } } },
  }],
  ["dev", "everything on Redis, monitoring off", {
    overrides: { "statefleet:monitoring": { enabled: false }, "statefleet:apps": { stats: { state: "redis" }, pingpong: { state: "redis", replicas: 3 }, sms: { alert: { enabled: false }, dashboards: false } } },
  }],
  ["dev", "sms at 50/50 with autoscaled versions, no shadow", {
    overrides: { "statefleet:apps": { sms: { weights: { v1: 50, v2: 50 }, app: { v1: { replicas: undefined, autoscale: { min: 2, max: 5 } } }, shadow: { enabled: false } } } },
  }],
  ["dev", "sms released by Flagger (autoscaled app, the bad-version switch on)", {
    overrides: { "statefleet:apps": { sms: { rollout: "flagger", flagger: { version: "v2", fault: "http-500", replicas: undefined, autoscale: { min: 2, max: 4 } } } } },
  }],
  ["aks", "Istio and ingress-nginx off, apps internal", {
    overrides: {
      "statefleet:istio": { enabled: false, gateway: { enabled: false } },
      "statefleet:ingress": { nginx: { enabled: false } },
      "statefleet:monitoring": { enabled: false },
      "statefleet:apps": { stats: { affinity: "none", exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "none" } } }, api: { exposure: { via: "none" } }, sms: { enabled: false }, shop: { exposure: { via: "none" } } },
    },
  }],
  ["dev", "stats and pingpong on MongoDB, pingpong scaled, api on the Istio gateway writing directly without a cache", {
    overrides: {
      "statefleet:apps": {
        stats: { state: "mongo" },
        pingpong: { state: "mongo", replicas: 3 },
        api: { writes: "direct", cache: "none", autoscale: undefined, replicas: 2, exposure: { via: "istio-gateway", host: "api.statefleet.localhost", path: "/seed002" } },
      },
    },
  }],
  ["aks", "MongoDB for every store, Redis and monitoring off", {
    overrides: {
      "statefleet:redis": { enabled: false },
      "statefleet:monitoring": { enabled: false },
      "statefleet:apps": { stats: { state: "mongo" }, pingpong: { state: "mongo" }, api: { cache: "none" }, sms: { alert: { enabled: false }, dashboards: false } },
    },
  }],
  ["dev", "shop on MongoDB through the Istio gateway under /shop, every service autoscaled", {
    overrides: {
      "statefleet:apps": {
        shop: {
          state: "mongo",
          exposure: { via: "istio-gateway", host: "shop.localhost", path: "/shop" },
          order: { replicas: undefined, autoscale: { min: 2, max: 6 } },
          payment: { replicas: undefined, autoscale: { min: 2, max: 4 } },
          stock: { replicas: undefined, autoscale: { min: 2, max: 4 } },
        },
      },
    },
  }],
  ["aks", "shop on Redis through ingress-nginx, fixed replicas", {
    overrides: { "statefleet:apps": { shop: { state: "redis", exposure: { via: "ingress-nginx" }, order: { autoscale: undefined, replicas: 3 }, payment: { autoscale: undefined, replicas: 2 }, stock: { autoscale: undefined, replicas: 2 } } } },
  }],
];

describe("every object of every stack", () => {
  for (const [stack, what, opts] of VARIATIONS) {
    describe(`${stack}: ${what}`, () => {
      let graph: Awaited<ReturnType<typeof evaluate>>;
      before(async () => { graph = await evaluate(stack, opts); });
      it("is valid against the Kubernetes, Istio and prometheus-operator schemas", async () => {
        expect(graph.k8sObjects().length).to.be.greaterThan(0);
        expect(await validateManifests(graph)).to.deep.equal([]);
      });
      it("passes every security and operability policy", () => {
        expect(policyViolations(graph)).to.deep.equal([]);
      });
      it("exports only outputs that have a value (the engine warns 'Undefined value (x) will not show as a stack output' otherwise)", async () => {
        const empty: string[] = [];
        for (const [key, value] of Object.entries(graph.outputs)) {
          if (value === undefined || value === null) { empty.push(key); continue; }
          if (!pulumi.Output.isInstance(value)) continue;
          const out = value as pulumi.Output<unknown>;
          // Unknown in preview is fine (the engine shows "output<string>"); known-and-undefined is not.
          if (!(await (out as unknown as { isKnown: Promise<boolean> }).isKnown)) continue;
          const v = await new Promise<unknown>((resolve) => out.apply((x) => { resolve(x); return x; }));
          if (v === undefined) empty.push(key);
        }
        expect(empty, "outputs without a value").to.deep.equal([]);
        expect(Object.keys(graph.outputs)).to.include.members(["clusterName", "kubeconfig", "appImage"]);
      });
      if (!opts.preview) {
        it("has a smoke check (smoke/variants/) for every enabled variant, whose URL output is an http URL or absent (not exposed)", async () => {
          const enabled = graph.outputs.enabledVariants as string[];
          expect(enabled).to.be.an("array").with.length.greaterThan(0);
          const checks = loadChecks();
          for (const variant of enabled) {
            const check = checks.get(variant);
            expect(check, `npm run smoke would fail: no smoke/variants/${variant}.ts`).to.not.equal(undefined);
            const url = graph.outputs[(check as { output: string }).output];
            // Both committed stacks expose every variant they enable.
            if (what === "as committed") expect(url, `${variant}: no ${check?.output} output`).to.not.equal(undefined);
            if (url !== undefined) expect(await valueOf(url as pulumi.Output<string>), `${variant}: ${check?.output}`).to.match(/^http:\/\/[^/]+\//);
          }
        });
      }
    });
  }
});
