import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, parseAllConfig, parseStackConfig } from "../config";
import { stackSchema } from "../config/schema";
import { evaluate, merge, REPO_ROOT, stackFileConfig } from "./harness/evaluate";

/** A stack's `statefleet:*` values with the prefix stripped, as the program sees them. */
function stackRaw(stack: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) out[k.slice("statefleet:".length)] = v;
  return out;
}
const devRaw = () => stackRaw("dev");

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseStackConfig("test", raw);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("config was accepted");
}

interface BadCase {
  what: string;
  change: Record<string, unknown>;
  /** The key path that must be named, and words the message must contain. */
  path: string;
  says: RegExp;
  /** The stack file the change is made to (default dev). */
  stack?: string;
  /** The only problem: no other rule fires first and could hide this one. */
  alone?: boolean;
}

const BAD: BadCase[] = [
  { what: "an unquoted version YAML turns into a number", stack: "aks", change: { cluster: { aks: { kubernetesVersion: 1.3 } } }, path: "statefleet:cluster.aks.kubernetesVersion", says: /YAML read this as the number 1\.3, but a text value is wanted: put it in quotes .*write "1\.30"/, alone: true },
  { what: "unquoted zone numbers", stack: "aks", change: { cluster: { aks: { zones: [1, 2, 3] } } }, path: "statefleet:cluster.aks.zones[0]", says: /the number 1, but a text value is wanted: put it in quotes, "1" \(allowed: "1" \| "2" \| "3"\)/ },
  { what: "requests above limits in a platform block (ingress-nginx)", change: { ingress: { nginx: { resources: { requests: { cpu: "2" } } } } }, path: "statefleet:ingress.nginx.resources.requests.cpu", says: /2 is above the limit 500m \(allowed: requests ≤ limits\)/, alone: true },
  { what: "requests above limits in a block not called resources (istiod)", change: { istio: { istiodResources: { requests: { memory: "4Gi" } } } }, path: "statefleet:istio.istiodResources.requests.memory", says: /4Gi is above the limit/, alone: true },
  { what: "requests above limits in an app", change: { apps: { stats: { resources: { requests: { memory: "1Gi" } } } } }, path: "statefleet:apps.stats.resources.requests.memory", says: /1Gi is above the limit 192Mi/, alone: true },
  { what: "wrong enum (cluster provider)", change: { cluster: { provider: "gke" } }, path: "statefleet:cluster.provider", says: /"gke" is not allowed \(allowed: k3d \| aks\)/ },
  { what: "wrong enum (state strategy)", change: { apps: { stats: { state: "memcached" } } }, path: "statefleet:apps.stats.state", says: /allowed: pod \| shared-volume \| redis/ },
  { what: "wrong type (replicas as string)", change: { apps: { stats: { replicas: "two" } } }, path: "statefleet:apps.stats.replicas", says: /expected number, got "two"/ },
  { what: "wrong type (enabled as string)", change: { redis: { enabled: "yes" } }, path: "statefleet:redis.enabled", says: /expected boolean/ },
  { what: "zero replicas", change: { apps: { stats: { replicas: 0 } } }, path: "statefleet:apps.stats.replicas", says: /too small \(allowed: ≥ 1\)/ },
  { what: "negative agents", change: { cluster: { k3d: { agents: -1 } } }, path: "statefleet:cluster.k3d.agents", says: /too small/ },
  { what: "non-integer port", change: { cluster: { k3d: { httpPort: 80.5 } } }, path: "statefleet:cluster.k3d.httpPort", says: /expected int/ },
  { what: "HPA min > max", change: { apps: { stats: { replicas: undefined, autoscale: { min: 5, max: 2 } } } }, path: "statefleet:apps.stats.autoscale.min", says: /5 is above max 2 \(allowed: min ≤ max\)/ },
  { what: "replicas and autoscale together", change: { apps: { stats: { autoscale: { min: 2, max: 4 } } } }, path: "statefleet:apps.stats.autoscale", says: /either replicas or autoscale/ },
  { what: "a key of the other cluster kind", change: { cluster: { aks: { location: "westeurope" } } }, path: "statefleet:cluster.aks", says: /AKS settings in a k3d stack/ },
  { what: "an unknown nested key", change: { apps: { stats: { replica: 3 } } }, path: "statefleet:apps.stats.replica", says: /unknown key \(allowed: enabled, replicas, autoscale/ },
  { what: "an unknown top-level key", change: { databases: { enabled: true } }, path: "statefleet:databases", says: /unknown key \(allowed: cluster, ingress, istio/ },
  { what: "redis state with Redis disabled", change: { redis: { enabled: false } }, path: "statefleet:apps.stats.state", says: /"redis" needs Redis, but redis.enabled is false/ },
  { what: "shared-volume state without RWX storage", change: { storage: { enabled: false } }, path: "statefleet:apps.pingpong.state", says: /needs ReadWriteMany storage/ },
  { what: "stats on the shared volume without RWX storage", change: { storage: { enabled: false }, apps: { stats: { state: "shared-volume" }, pingpong: { state: "redis", logoutput: { readVia: "http" } } } }, path: "statefleet:apps.stats.state", says: /^statefleet:apps\.stats\.state: "shared-volume" needs ReadWriteMany storage, but storage\.enabled is false \(allowed: pod \| redis \| mongo, or storage\.enabled: true\)$/, alone: true },
  { what: "cookie affinity without ingress-nginx", change: { apps: { stats: { affinity: "cookie", exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.stats.affinity", says: /"cookie" needs exposure.via ingress-nginx/ },
  { what: "pingpong shared-volume with 2 replicas", change: { apps: { pingpong: { replicas: 2 } } }, path: "statefleet:apps.pingpong.state", says: /single writer/ },
  { what: "exposure through a disabled ingress", change: { ingress: { nginx: { enabled: false } } }, path: "statefleet:apps.stats.exposure.via", says: /ingress.nginx.enabled is false/ },
  { what: "a malformed quantity", change: { apps: { stats: { resources: { limits: { memory: "lots" } } } } }, path: "statefleet:apps.stats.resources.limits.memory", says: /not a Kubernetes quantity/ },
  { what: "an unpinned k3s image", change: { cluster: { k3d: { k3sImage: "rancher/k3s:latest" } } }, path: "statefleet:cluster.k3d.k3sImage", says: /not a pinned k3s image/ },
  { what: "a relative shared host path", change: { cluster: { k3d: { sharedHostPath: "shared" } } }, path: "statefleet:cluster.k3d.sharedHostPath", says: /not an absolute path/ },
  { what: "a cluster name that is no DNS label", change: { cluster: { name: "My_Cluster" } }, path: "statefleet:cluster.name", says: /not a DNS label/ },
  { what: "istio gateway on while Istio is off", change: { istio: { enabled: false }, apps: { pingpong: { logoutput: { exposure: { via: "ingress-nginx" } } } } }, path: "statefleet:istio.gateway.enabled", says: /while istio.enabled is false/ },
  { what: "logoutput reading pingpong's pod-local store", change: { apps: { pingpong: { state: "pod" } } }, path: "statefleet:apps.pingpong.logoutput.readVia", says: /cannot read pingpong's pod-local volume/ },
  // "pong N" would repeat across replicas that each count on their own volume.
  { what: "pingpong per pod with 2 replicas (logoutput over HTTP)", change: { apps: { pingpong: { state: "pod", replicas: 2, logoutput: { readVia: "http" } } } }, path: "statefleet:apps.pingpong.state", says: /"pod" gives every replica its own counter, so "pong N" would repeat numbers \(allowed: replicas: 1, or state: redis \| mongo to scale\)/, alone: true },
  { what: "pingpong per pod, autoscaled (logoutput off)", change: { apps: { pingpong: { state: "pod", replicas: undefined, autoscale: { min: 2, max: 3 }, logoutput: { enabled: false } } } }, path: "statefleet:apps.pingpong.state", says: /"pod" gives every replica its own counter/, alone: true },
  { what: "pingpong on the shared volume, autoscaled", change: { apps: { pingpong: { replicas: undefined, autoscale: { min: 1, max: 3 } } } }, path: "statefleet:apps.pingpong.state", says: /single writer/, alone: true },
  { what: "sms released by Flagger without monitoring", change: { monitoring: { enabled: false }, apps: { sms: { rollout: "flagger", alert: { enabled: false }, dashboards: false } } }, path: "statefleet:apps.sms.rollout", says: /flagger while monitoring\.enabled is false: Flagger judges every step by Prometheus metrics \(allowed: static, or enable monitoring\)/ },
  { what: "sms released by Flagger without Istio", change: { istio: { enabled: false, gateway: { enabled: false } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { rollout: "flagger" } } }, path: "statefleet:apps.sms.rollout", says: /flagger while istio\.enabled is false: Flagger shifts traffic with Istio routing/ },
  { what: "a Flagger step above the promotion weight", change: { apps: { sms: { rollout: "flagger", flagger: { stepWeight: 60, maxWeight: 50 } } } }, path: "statefleet:apps.sms.flagger.stepWeight", says: /60 is above maxWeight 50/, alone: true },
  { what: "a Flagger metric window shorter than two scrapes", change: { apps: { sms: { rollout: "flagger", flagger: { metricWindow: "45s" } } } }, path: "statefleet:apps.sms.flagger.metricWindow", says: /45s holds fewer than two scrapes of the app \(every 30s\).*at least 60s/, alone: true },
  { what: "the same cookie for Flagger's canary and primary", change: { apps: { sms: { rollout: "flagger", flagger: { canaryCookie: "ab", primaryCookie: "ab" } } } }, path: "statefleet:apps.sms.flagger.primaryCookie", says: /the same name as canaryCookie \(ab\)/, alone: true },
  { what: "Flagger replicas and autoscale together", change: { apps: { sms: { rollout: "flagger", flagger: { autoscale: { min: 2, max: 3 } } } } }, path: "statefleet:apps.sms.flagger.autoscale", says: /either replicas or autoscale/, alone: true },
  { what: "an unknown rollout", change: { apps: { sms: { rollout: "argo" } } }, path: "statefleet:apps.sms.rollout", says: /allowed: static \| flagger/, alone: true },
  { what: "an AKS user pool with minCount above maxCount", stack: "aks", change: { cluster: { aks: { userPool: { minCount: 7, maxCount: 3 } } } }, path: "statefleet:cluster.aks.userPool.minCount", says: /^statefleet:cluster\.aks\.userPool\.minCount: 7 is above maxCount 3 \(allowed: minCount ≤ maxCount\)$/, alone: true },
  { what: "an admin group given by name instead of its object id", stack: "aks", change: { cluster: { aks: { entraIdOnly: true, adminGroupObjectIds: ["aks-admins"] } } }, path: "statefleet:cluster.aks.adminGroupObjectIds[0]", says: /^statefleet:cluster\.aks\.adminGroupObjectIds\[0\]: "aks-admins" is not an Entra ID group object id \(allowed: a uuid .*`az ad group show --group <name> --query id -o tsv`\)$/, alone: true },
  { what: "a zone listed twice", stack: "aks", change: { cluster: { aks: { zones: ["1", "2", "1"] } } }, path: "statefleet:cluster.aks.zones[2]", says: /"1" is listed twice \(allowed: each zone once/, alone: true },
  { what: "an Entra-ID-only AKS cluster without admin groups", stack: "aks", change: { cluster: { aks: { entraIdOnly: true, adminGroupObjectIds: [] } } }, path: "statefleet:cluster.aks.adminGroupObjectIds", says: /nobody could administer the cluster/, alone: true },
];

describe("stack config validation", () => {
  it("accepts the boundaries: AKS minCount equal to maxCount, pingpong per pod with one replica", () => {
    expect(() => parseStackConfig("aks", merge(stackRaw("aks"), { cluster: { aks: { userPool: { minCount: 3, maxCount: 3 } } } }) as Record<string, unknown>)).not.to.throw();
    expect(() => parseStackConfig("dev", merge(devRaw(), { apps: { pingpong: { state: "pod", replicas: 1, logoutput: { readVia: "http" } } } }) as Record<string, unknown>)).not.to.throw();
  });

  it("accepts plain numbers where Kubernetes does (cpu: 1, cpu: 0.5), as the quantities the docs show", () => {
    const cfg = parseStackConfig("dev", merge(devRaw(), { apps: { stats: { resources: { requests: { cpu: 0.5 }, limits: { cpu: 1 } } } } }) as Record<string, unknown>);
    expect(cfg.apps.stats.resources).to.deep.include({ requests: { cpu: "0.5", memory: "64Mi" }, limits: { cpu: "1", memory: "192Mi" } });
    expect(problemsOf(merge(devRaw(), { apps: { stats: { resources: { limits: { cpu: -1 } } } } }) as Record<string, unknown>).join("\n")).to.contain("statefleet:apps.stats.resources.limits.cpu");
  });

  it("accepts both real stack files", () => {
    for (const stack of ["dev", "aks"]) {
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) raw[k.slice(11)] = v;
      expect(() => parseStackConfig(stack, raw), stack).not.to.throw();
    }
  });

  it("fills every default from an empty config (a k3d stack)", () => {
    const cfg = parseStackConfig("empty", {});
    expect(cfg.cluster.provider).to.equal("k3d");
    if (cfg.cluster.provider !== "k3d") throw new Error("unreachable");
    expect(cfg.cluster.k3d.agents).to.equal(2);
    expect(cfg.apps.stats.scaling).to.deep.equal({ kind: "fixed", replicas: 1 });
    expect(cfg.redis.maxMemoryPolicy).to.equal("noeviction");
  });

  it("resolves autoscale into an HPA scaling and drops replicas", () => {
    const raw = merge(devRaw(), { apps: { stats: { replicas: undefined, autoscale: { min: 2, max: 5 } } } }) as Record<string, unknown>;
    const cfg = parseStackConfig("dev", raw);
    expect(cfg.apps.stats.scaling).to.deep.equal({ kind: "autoscale", min: 2, max: 5, cpuPercent: 70 });
  });

  for (const c of BAD) {
    it(`rejects ${c.what}, naming ${c.path}`, () => {
      const problems = problemsOf(merge(stackRaw(c.stack ?? "dev"), c.change) as Record<string, unknown>);
      const line = problems.find((p) => p.startsWith(`${c.path}: `));
      expect(line, `no problem for ${c.path} in:\n${problems.join("\n")}`).to.be.a("string");
      expect(line).to.match(c.says);
      if (c.alone) expect(problems, "the only problem").to.have.length(1);
    });
  }

  it("lists every problem at once, not just the first", () => {
    const problems = problemsOf(merge(devRaw(), { cluster: { provider: "gke" }, apps: { stats: { replicas: 0, state: "x" } } }) as Record<string, unknown>);
    expect(problems.map((p) => p.split(":").slice(0, 2).join(":"))).to.include.members([
      "statefleet:cluster.provider",
      "statefleet:apps.stats.replicas",
      "statefleet:apps.stats.state",
    ]);
  });

  it("runs the rules across keys even when other keys fail, so one run lists every problem: the docs' own example", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8");
    const example = /```\n(Invalid stack config \(2 problems\):\n[\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example, "docs/config.md shows a two-problem error").to.be.a("string");
    // The docs' two lines: a value the schema rejects and a rule across keys, found in the same run.
    const err = (() => {
      try {
        parseStackConfig("dev", { redis: { enabled: false }, apps: { stats: { replicas: 0, state: "redis" } } });
      } catch (e) {
        return e as Error;
      }
      throw new Error("accepted");
    })();
    expect(err.message).to.equal(example);
  });

  it("leaves out a rule across keys that would rest on a value it had to set aside", () => {
    // redis.enabled is not a boolean: "redis needs Redis, but redis.enabled is false" would be judged on the default.
    const problems = problemsOf({ redis: { enabled: "no" }, storage: { enabled: false }, apps: { stats: { state: "redis" } } });
    expect(problems.some((p) => p.startsWith("statefleet:redis.enabled: expected boolean")), problems.join("\n")).to.equal(true);
    expect(problems.filter((p) => p.includes("redis.enabled is false")), "a rule fed the default").to.deep.equal([]);
    // …while a rule on keys that are fine still speaks (pingpong's shared volume without storage).
    expect(problems.some((p) => p.startsWith("statefleet:apps.pingpong.state: \"shared-volume\" needs ReadWriteMany storage")), problems.join("\n")).to.equal(true);
    expect(problems).to.have.length(2);
  });

  it("names the closest namespace for a misspelt one (statefeet:, stateflet:, StateFleet:), which Pulumi would ignore", () => {
    const all = (extra: Record<string, unknown>): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...stackFileConfig("dev"), ...extra })) out[k] = typeof v === "string" ? v : JSON.stringify(v);
      return out;
    };
    const problemsFor = (extra: Record<string, unknown>) => {
      try {
        parseAllConfig("dev", all(extra));
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problemsFor({ "statefeet:apps": { stats: { replicas: 3 } } })).to.deep.equal([
      'statefeet:apps: unknown namespace "statefeet": did you mean "statefleet:apps"? A key in a namespace nobody reads is ignored without a word (allowed: statefleet:apps; this project\'s keys are statefleet:<key>)',
    ]);
    expect(problemsFor({ "stateflet:cluster": {} })[0]).to.match(/^stateflet:cluster: unknown namespace "stateflet": did you mean "statefleet:cluster"\?/);
    expect(problemsFor({ "StateFleet:redis": {} })[0]).to.match(/did you mean "statefleet:redis"/);
    expect(problemsFor({ "kubernets:context": "x" })[0]).to.match(/did you mean "kubernetes:context"/);
    // Listed with the schema's own problems, in one run.
    expect(problemsFor({ "statefeet:apps": {}, "statefleet:redis": { enabled: "yes" } })).to.have.length(2);
    // Other namespaces are left to their owners, and real keys still parse.
    expect(problemsFor({ "azure-native:location": "westeurope", "kubernetes:context": "k3d-x", "myorg:owner": "team-a" })).to.deep.equal([]);
  });

  it("formats the error as one `<key path>: <problem>` line per problem, pointing at the docs", () => {
    try {
      parseStackConfig("dev", merge(devRaw(), { apps: { stats: { replicas: 0 } } }) as Record<string, unknown>);
      expect.fail("accepted");
    } catch (e) {
      expect((e as Error).message).to.match(/^Invalid stack config \(1 problem\):\n {2}statefleet:apps\.stats\.replicas: number 0 is too small \(allowed: ≥ 1\)\nSee docs\/config\.md/);
    }
  });

  it("fails the program before any resource is registered", async () => {
    let registered = -1;
    try {
      await evaluate("dev", { overrides: { "statefleet:apps": { stats: { state: "nope" } } }, onRegister: (n) => (registered = n) });
      expect.fail("the program accepted a bad config");
    } catch (e) {
      expect(e).to.be.instanceOf(Error);
      expect((e as Error).message).to.contain("statefleet:apps.stats.state");
    }
    expect(registered).to.equal(0);
  });

  it("rejects AKS-only keys in the real dev stack file and k3d keys in the real aks stack file", async () => {
    const err = await evaluate("aks", { overrides: { "statefleet:cluster": { k3d: { agents: 1 } } } }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain("statefleet:cluster.k3d: k3d settings in an AKS stack");
  });

  it("a misspelt namespace fails the program before any resource is registered", async () => {
    let registered = -1;
    const err = await evaluate("dev", { overrides: { "statefeet:apps": { stats: { replicas: 3 } } }, onRegister: (n) => (registered = n) }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain('statefeet:apps: unknown namespace "statefeet": did you mean "statefleet:apps"?');
    expect(registered).to.equal(0);
  });

  it("dev turns on no platform service that none of its enabled variants uses (each costs laptop memory)", () => {
    const cfg = stackSchema.parse(devRaw());
    const used = { nginx: false, istio: false, storage: false, redis: false, mongo: false, monitoring: false };
    // Every enabled block under apps (variants and their parts, e.g. logoutput, shop's services).
    const visit = (block: unknown) => {
      if (!block || typeof block !== "object" || Array.isArray(block)) return;
      const b = block as Record<string, unknown>;
      if (b.enabled === false) return;
      const via = (b.exposure as { via?: string } | undefined)?.via;
      if (via === "ingress-nginx") used.nginx = true;
      if (via === "istio-gateway") used.istio = true;
      if (b.state === "shared-volume") used.storage = true;
      if (b.state === "redis" || b.cache === "redis") used.redis = true;
      if (b.state === "mongo") used.mongo = true;
      if (b.dashboards === true || (b.alert as { enabled?: boolean } | undefined)?.enabled === true) used.monitoring = true;
      for (const [k, v] of Object.entries(b)) if (k !== "exposure") visit(v);
    };
    for (const app of Object.values(cfg.apps)) visit(app);
    if (cfg.apps.api.enabled) used.mongo = true; // api keeps every document in MongoDB
    if (cfg.apps.sms.enabled) used.istio = true; // its split, stickiness and mirror are Istio routing
    const on = { nginx: cfg.ingress.nginx.enabled, istio: cfg.istio.enabled, storage: cfg.storage.enabled, redis: cfg.redis.enabled, mongo: cfg.mongo.enabled, monitoring: cfg.monitoring.enabled };
    const unused = (Object.keys(on) as (keyof typeof on)[]).filter((k) => on[k] && !used[k]);
    expect(unused, "enabled in Pulumi.dev.yaml but used by no enabled variant").to.deep.equal([]);
  });
});
