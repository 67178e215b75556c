/**
 * Does the canary split right, does stickiness hold, do model calls stay on the caller's version,
 * does the shadow see everything and answer nobody? The program's own VirtualServices and
 * DestinationRules (from the mocks) go through an evaluator of Istio's documented routing
 * semantics (harness/istio-routing.ts), and a population of simulated browsers replays the
 * cookies the real sms-app process sets.
 */
import { expect } from "chai";
import { evaluate } from "./harness/evaluate";
import { graphOf } from "./platform-graphs";
import type { Graph, Res } from "./harness/graph";
import { CookieJar, MeshRouter, seededRandom, type IstioObject, type MeshRequest } from "./harness/istio-routing";
import { RunningRole, request } from "./harness/app-roles";

const USERS = 10_000;
const REQUESTS_PER_USER = 20;
const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  vs: "kubernetes:networking.istio.io/v1:VirtualService",
  dr: "kubernetes:networking.istio.io/v1:DestinationRule",
};

const objectOf = (r: Res): IstioObject => ({ metadata: r.inputs.metadata, spec: r.inputs.spec });
const envOf = (d: Res) => Object.fromEntries((d.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));

interface Outcome {
  /** Version that answered each user's first request. */
  first: string[];
  /** Users whose every request was answered by the same app version. */
  stayed: number;
  /** Requests answered by a version other than the user's first (returning users moved). */
  moved: number;
  appCalls: Record<string, number>;
  /** `app version → model version` counts of the calls that answered users. */
  modelByApp: Record<string, number>;
  modelCalls: number;
  mirrored: Record<string, number>;
  /** Requests whose x-app-version header differed from the version that answered. */
  wrongHeader: number;
  /** Rules that matched, by name. */
  rules: Record<string, number>;
}

/** Pods a destination reaches: Deployments matching its Service's selector and the subset's labels. */
function podsFor(g: Graph, host: string, podLabels: Record<string, string>): Res[] {
  const service = g.one(T.service, host.split(".")[0] as string);
  const want = { ...service.inputs.spec.selector, ...podLabels } as Record<string, string>;
  return g.ofType(T.deployment).filter((d) => Object.entries(want).every(([k, v]) => d.inputs.spec.template.metadata.labels[k] === v));
}

/**
 * 10,000 browsers, 20 requests each, through the app's VirtualService at the gateway; each answer
 * stores the Set-Cookie of the app version that answered; each answer costs one model call from
 * that app pod, routed by the model's VirtualService with the pod's own labels as source.
 */
function simulate(router: MeshRouter, opts: { external: string; setCookie: (version: string, user: number) => string | undefined; appPods: (podLabels: Record<string, string>, host: string) => Res; modelHost?: string; otherCookies?: boolean }): Outcome {
  const out: Outcome = { first: [], stayed: 0, moved: 0, appCalls: {}, modelByApp: {}, modelCalls: 0, mirrored: {}, wrongHeader: 0, rules: {} };
  for (let u = 0; u < USERS; u++) {
    // Unrelated cookies a real browser carries, one of them with a name that ends in the version cookie's.
    const jar = new CookieJar(opts.otherCookies === false ? {} : u % 4 === 0 ? { _ga: "GA1.2.3456", "old-user-session": "v2" } : u % 4 === 1 ? { theme: "dark" } : {});
    const seen = new Set<string>();
    for (let i = 0; i < REQUESTS_PER_USER; i++) {
      const cookie = jar.header();
      const req: MeshRequest = { host: opts.external, path: "/sms/", headers: cookie ? { cookie } : {} };
      const routed = router.route(req);
      out.rules[routed.rule] = (out.rules[routed.rule] ?? 0) + 1;
      const pod = opts.appPods(routed.podLabels, routed.destination.host);
      const version = pod.inputs.spec.template.metadata.labels.version as string;
      if (i === 0) out.first.push(version);
      else if (version !== out.first[u]) out.moved++;
      seen.add(version);
      out.appCalls[version] = (out.appCalls[version] ?? 0) + 1;
      if (routed.responseHeaders["x-app-version"] !== undefined && routed.responseHeaders["x-app-version"] !== version) out.wrongHeader++;
      jar.store(opts.setCookie(version, u));
      if (opts.modelHost) {
        const m = router.route({ host: opts.modelHost, path: "/predict", headers: {}, sourceLabels: pod.inputs.spec.template.metadata.labels });
        out.modelCalls++;
        const key = `${version}->${m.podLabels.version}`;
        out.modelByApp[key] = (out.modelByApp[key] ?? 0) + 1;
        if (m.mirror) out.mirrored[m.mirror.podLabels.version as string] = (out.mirrored[m.mirror.podLabels.version as string] ?? 0) + 1;
      }
    }
    if (seen.size === 1) out.stayed++;
  }
  return out;
}

/** The Set-Cookie each app version's real process sends, started with the env the program gives it. */
async function realCookies(g: Graph): Promise<Record<string, string>> {
  const cookies: Record<string, string> = {};
  for (const v of ["v1", "v2"]) {
    const env = envOf(g.one(T.deployment, `sms-app-${v}`));
    const role = await RunningRole.start("sms-app", env);
    try {
      const res = await request(`${role.url}/sms/`);
      const set = res.headers["set-cookie"];
      expect(set, `sms-app ${v} sets a cookie`).to.have.length(1);
      cookies[v] = (set as string[])[0] as string;
    } finally {
      await role.stop();
    }
  }
  return cookies;
}

function programRouter(g: Graph, seed: number): MeshRouter {
  return new MeshRouter(g.ofType(T.vs).map(objectOf), g.ofType(T.dr).map(objectOf), seededRandom(seed));
}

function appPodsOf(g: Graph) {
  const cache = new Map<string, Res>();
  return (podLabels: Record<string, string>, host: string): Res => {
    const key = `${host} ${JSON.stringify(podLabels)}`;
    let pod = cache.get(key);
    if (!pod) {
      const pods = podsFor(g, host, podLabels);
      expect(pods, `one Deployment behind ${key}`).to.have.length(1);
      cache.set(key, (pod = pods[0] as Res));
    }
    return pod;
  };
}

describe("sms routing: 10,000 simulated users against the program's own Istio objects", function () {
  this.timeout(180_000);
  let cookies: Record<string, string>;
  const graphs: Record<string, Graph> = {};
  const weights = (v1: number, v2: number) => ({ overrides: { "statefleet:apps": { sms: { weights: { v1, v2 } } } } });

  before(async () => {
    graphs["90/10"] = await graphOf("dev");
    cookies = await realCookies(graphs["90/10"] as Graph);
  });

  it("the real sms-app sets user-session=<its version> (the value the VirtualService matches)", () => {
    expect(cookies.v1).to.match(/^user-session=v1; /);
    expect(cookies.v2).to.match(/^user-session=v2; /);
  });

  for (const [split, v2Share, seed] of [["90/10", 0.1, 1], ["50/50", 0.5, 2], ["99/1", 0.01, 3]] as const) {
    describe(`weights ${split}`, () => {
      let o: Outcome;
      before(async () => {
        const [a, b] = split.split("/").map(Number) as [number, number];
        graphs[split] ??= await evaluate("dev", weights(a, b));
        const g = graphs[split] as Graph;
        const vs = g.one(T.vs, "sms-app").inputs.spec;
        const model = g.one(T.vs, "sms-model").inputs.spec;
        o = simulate(programRouter(g, seed), { external: vs.hosts[0], setCookie: (v) => cookies[v], appPods: appPodsOf(g), modelHost: model.hosts[0] });
      });

      it(`sends ${v2Share * 100} % of new users to v2 (within 4 binomial σ, tighter than ± 3 points)`, () => {
        const share = o.first.filter((v) => v === "v2").length / USERS;
        const tolerance = Math.min(0.03, 4 * Math.sqrt((v2Share * (1 - v2Share)) / USERS));
        expect(share).to.be.within(v2Share - tolerance, v2Share + tolerance);
      });

      it("keeps 100 % of returning users on their first version for all 20 requests", () => {
        expect(o.stayed).to.equal(USERS);
        expect(o.moved).to.equal(0);
        // After the first request, every request was decided by a cookie rule, none by the split.
        expect(o.rules.split).to.equal(USERS);
      });

      it("answers with an x-app-version header naming the version that answered", () => {
        expect(o.wrongHeader).to.equal(0);
      });

      it("sends every app v1 call to model v1 and every v2 call to model v2", () => {
        expect(Object.keys(o.modelByApp).sort()).to.deep.equal(Object.keys(o.appCalls).map((v) => `${v}->${v}`).sort());
        expect(o.modelCalls).to.equal(USERS * REQUESTS_PER_USER);
      });

      it("mirrors 100 % of model calls to the shadow v3, which never answers a user", () => {
        expect(o.mirrored).to.deep.equal({ v3: o.modelCalls });
        expect(Object.keys(o.modelByApp).some((k) => k.endsWith("->v3"))).to.equal(false);
      });
    });
  }

  it("a 50 % mirror copies about half the model calls", async () => {
    const g = await evaluate("dev", { overrides: { "statefleet:apps": { sms: { shadow: { mirrorPercent: 50 } } } } });
    const o = simulate(programRouter(g, 4), { external: g.one(T.vs, "sms-app").inputs.spec.hosts[0], setCookie: (v) => cookies[v], appPods: appPodsOf(g), modelHost: g.one(T.vs, "sms-model").inputs.spec.hosts[0] });
    expect((o.mirrored.v3 ?? 0) / o.modelCalls).to.be.within(0.49, 0.51);
  });

  it("rolling back to 100/0 moves v2's returning users to v1 (their cookie rule is gone)", async () => {
    const g = await evaluate("dev", weights(100, 0));
    const router = programRouter(g, 5);
    const host = g.one(T.vs, "sms-app").inputs.spec.hosts[0];
    const routed = router.route({ host, path: "/sms/", headers: { cookie: cookies.v2?.split(";")[0] as string } });
    expect(routed.podLabels).to.deep.equal({ version: "v1" });
  });

  describe("the seed's rules (consistent-hash cookie, cookie regex on v1/v2) for comparison", () => {
    // doda25-team9/operation@ca99f6a helm-chart/templates: the app VirtualService and DestinationRule as shipped.
    const seedHost = "app-service";
    const seedVs: IstioObject = {
      metadata: { name: "app-virtualservice" },
      spec: {
        hosts: ["sms-checker.local"],
        gateways: ["sms-gateway"],
        http: [
          { match: [{ uri: { prefix: "/sms/" }, headers: { cookie: { regex: ".*user-session=v1.*" } } }], route: [{ destination: { host: seedHost, subset: "v1" }, headers: { response: { set: { "x-app-version": "v1" } } } }] },
          { match: [{ uri: { prefix: "/sms/" }, headers: { cookie: { regex: ".*user-session=v2.*" } } }], route: [{ destination: { host: seedHost, subset: "v2" }, headers: { response: { set: { "x-app-version": "v2" } } } }] },
          {
            match: [{ uri: { prefix: "/sms/" } }],
            route: [
              { destination: { host: seedHost, subset: "v1" }, weight: 90, headers: { response: { set: { "x-app-version": "v1" } } } },
              { destination: { host: seedHost, subset: "v2" }, weight: 10, headers: { response: { set: { "x-app-version": "v2" } } } },
            ],
          },
        ],
      },
    };
    const seedDr: IstioObject = {
      spec: {
        host: seedHost,
        trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "user-session", ttl: "3600s" } } } },
        subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }],
      },
    };

    it("never fire their cookie rules, so returning users keep being re-split", () => {
      const random = seededRandom(6);
      const o = simulate(new MeshRouter([seedVs], [seedDr], random), {
        external: "sms-checker.local",
        // The seed's app sets no cookie; Envoy's consistent-hash cookie carries a hash of the chosen
        // endpoint, never "v1"/"v2" (envoyproxy/envoy#8167). One stable hash per user and version.
        setCookie: (v, user) => `user-session="${(user * 2 + (v === "v1" ? 0 : 1)).toString(16).padStart(16, "0")}"; Max-Age=3600; Path=/; HttpOnly`,
        appPods: (podLabels) => ({ inputs: { spec: { template: { metadata: { labels: podLabels } } } } }) as Res,
        otherCookies: false,
      });
      expect(Object.keys(o.rules)).to.deep.equal(["2"]);
      // 0.9^20 + 0.1^20 ≈ 12 % stay by chance; the program's rules keep 100 %.
      expect(o.stayed / USERS).to.be.below(0.2);
      expect(o.moved).to.be.above(USERS);
    });

    it("would also misroute a v2 user who carries another cookie ending in user-session=v1 (unanchored regex)", () => {
      const cookie = "old-user-session=v1; user-session=v2";
      const router = new MeshRouter([seedVs], [seedDr], seededRandom(7));
      expect(router.route({ host: "sms-checker.local", path: "/sms/", headers: { cookie } }).podLabels).to.deep.equal({ version: "v1" });
      const ours = programRouter(graphs["90/10"] as Graph, 8);
      const host = (graphs["90/10"] as Graph).one(T.vs, "sms-app").inputs.spec.hosts[0];
      expect(ours.route({ host, path: "/sms/", headers: { cookie } }).podLabels).to.deep.equal({ version: "v2" });
    });
  });
});
