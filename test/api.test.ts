/**
 * The api variant (seed 002) and `state: mongo` as the program builds them, in both stacks and the
 * variations an operator picks: the env the `api` role reads (docs/app.md), secrets only by
 * secretKeyRef, the HPA, whole NetworkPolicies on both sides of each connection, probes, the
 * Grafana dashboard, the stack output, and the config errors of impossible combinations.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { CLIENT_LABELS } from "../components/contracts";
import { NAMESPACES } from "../components/platform/namespaces";
import { evaluate, merge, stackFileConfig, valueOf, type EvaluateOptions } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { itRejects, stackRaw, type ConfigCase } from "./harness/config-cases";
import { appContainer, envOf, podOf } from "./harness/pods";
import { contractProblems, declaredMetricLabels, promqlNames } from "./harness/promql";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  configMap: "kubernetes:core/v1:ConfigMap",
  release: "kubernetes:helm.sh/v3:Release",
  api: "statefleet:variants:ApiApp",
};

/** The environment contract between this program and the `api` role (issue #8, docs/app.md). */
const API_ENV = [
  "MONGO_URL", "API_WRITES", "API_BATCH_MAX_DOCS", "API_BATCH_MAX_WAIT_MS", "API_QUEUE_MAX_DOCS",
  "API_CACHE", "API_CACHE_TTL_SECONDS", "API_WORKERS", "POD_NAME", "TRUST_PROXY",
];
/** What every role gets from the Workload besides its own settings. */
const WORKLOAD_ENV = ["PORT", "POD_NAME", "POD_IP", "SHUTDOWN_TIMEOUT_MS"];

const env = (d: Res, name: string) => envOf(d).find((e) => e.name === name);
const envNames = (d: Res) => envOf(d).map((e) => e.name).sort();
const podLabels = (d: Res): Record<string, string> => d.inputs.spec.template.metadata.labels;
const policy = (g: Graph, name: string, ns: string = NAMESPACES.apps) =>
  g.find(T.networkPolicy).filter((r) => r.inputs.metadata.name === name && r.inputs.metadata.namespace === ns)[0];
const nsSel = (ns: string) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });
const istiod = { to: [{ namespaceSelector: nsSel("istio-system") }], ports: [{ protocol: "TCP", port: 15012 }] };
const toData = (port: number) => ({ to: [{ namespaceSelector: nsSel(NAMESPACES.data) }], ports: [{ protocol: "TCP", port }] });
const appPort = [{ protocol: "TCP", port: 8080 }];

/** Does a data service's NetworkPolicy admit this Deployment's pods (apps namespace + labels) on `port`? */
function admits(g: Graph, dataService: "mongo" | "redis", d: Res, port: number): boolean {
  const np = policy(g, dataService, NAMESPACES.data);
  expect(np, `${dataService} NetworkPolicy`).to.not.equal(undefined);
  const labels = podLabels(d);
  const ns = d.inputs.metadata.namespace;
  return (np.inputs.spec.ingress as { from: { namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[]).some(
    (rule) =>
      rule.ports.some((p) => p.port === port) &&
      rule.from.some(
        (f) =>
          f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === ns &&
          Object.entries(f.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
      ),
  );
}

const apps = (a: Record<string, unknown>, extra: Record<string, unknown> = {}): EvaluateOptions => ({ overrides: { "statefleet:apps": a, ...extra } });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const stackApi = (stack: string): any => (stackFileConfig(stack)["statefleet:apps"] as Record<string, unknown>).api;

/** The metrics the `api` role exports, with their labels (the contract with app/; prom-client adds `le` to histograms). */
const CONTRACT_METRICS: Record<string, string[]> = {
  http_requests_total: ["role", "route", "status"],
  http_request_duration_seconds_bucket: ["role", "route", "le"],
  http_request_duration_seconds_sum: ["role", "route"],
  http_request_duration_seconds_count: ["role", "route"],
  api_mongo_operations_total: ["op"],
  api_batch_size_documents_bucket: ["le"],
  api_batch_size_documents_sum: [],
  api_batch_size_documents_count: [],
  api_write_queue_documents: [],
  api_cache_lookups_total: ["result"],
};
describe("api variant (seed 002) and state: mongo", () => {
  describe("dev stack as committed", () => {
    let g: Graph;
    before(async () => { g = await evaluate("dev"); });

    it("runs the api role on port 8080 with /healthz liveness and /readyz readiness", () => {
      const d = g.one(T.deployment, "api");
      const c = appContainer(d);
      expect(c.args).to.deep.equal(["api"]);
      expect(c.ports).to.deep.equal([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(env(d, "PORT")?.value).to.equal("8080");
      expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
      expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/readyz", port: "http" });
    });

    it("sets exactly the role's environment, with the stack file's values", () => {
      const d = g.one(T.deployment, "api");
      const want = stackApi("dev");
      // cache: redis in dev, so the Redis pair is there too; no STATE: the api has no state strategy.
      expect(envNames(d)).to.deep.equal([...new Set([...API_ENV, ...WORKLOAD_ENV, "REDIS_URL", "REDIS_PASSWORD"])].sort());
      expect(env(d, "API_WRITES")?.value).to.equal(want.writes);
      expect(env(d, "API_BATCH_MAX_DOCS")?.value).to.equal(String(want.batchMaxDocs));
      expect(env(d, "API_BATCH_MAX_WAIT_MS")?.value).to.equal(String(want.batchMaxWaitMs));
      expect(env(d, "API_QUEUE_MAX_DOCS")?.value).to.equal(String(want.queueMaxDocs));
      expect(env(d, "API_CACHE")?.value).to.equal("redis");
      expect(env(d, "API_CACHE_TTL_SECONDS")?.value).to.equal(String(want.cacheTtlSeconds));
      expect(env(d, "API_WORKERS")?.value).to.equal(String(want.workers));
      expect(env(d, "TRUST_PROXY")?.value).to.equal(String(want.trustProxy));
      expect(env(d, "POD_NAME")?.valueFrom).to.deep.equal({ fieldRef: { fieldPath: "metadata.name" } });
    });

    it("takes MONGO_URL from the Mongo component's url Secret and the Redis password from Redis' Secret, never as literals", async () => {
      const d = g.one(T.deployment, "api");
      const mongoUrl = env(d, "MONGO_URL")!;
      expect(mongoUrl.value, "a literal connection string").to.equal(undefined);
      expect(mongoUrl.valueFrom).to.deep.equal({ secretKeyRef: { name: await valueOf(g.outputs.mongoUrlSecret as pulumi.Output<string>), key: "url" } });
      // The Secret it names really holds the connection string, in the api's namespace.
      const secret = g.find("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === mongoUrl.valueFrom!.secretKeyRef!.name)!;
      expect(secret.inputs.metadata.namespace).to.equal(d.inputs.metadata.namespace);
      expect(secret.inputs.stringData.url).to.match(/^mongodb:\/\//);
      const pw = env(d, "REDIS_PASSWORD")!;
      expect(pw.value).to.equal(undefined);
      expect(pw.valueFrom).to.deep.equal({ secretKeyRef: { name: await valueOf(g.outputs.redisPasswordSecret as pulumi.Output<string>), key: "password" } });
      expect(env(d, "REDIS_URL")?.value).to.equal(await valueOf(g.outputs.redisUrl as pulumi.Output<string>));
    });

    it("scales with an HPA from the stack file (no fixed replicas), covered by a PDB", () => {
      const want = stackApi("dev").autoscale;
      const d = g.one(T.deployment, "api");
      expect(d.inputs.spec.replicas, "an HPA-managed Deployment must not pin replicas").to.equal(undefined);
      const hpa = g.one(T.hpa, "api").inputs.spec;
      expect(hpa.scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "api" });
      expect([hpa.minReplicas, hpa.maxReplicas]).to.deep.equal([want.min, want.max]);
      expect(hpa.metrics[0].containerResource).to.deep.include({ name: "cpu", container: "app", target: { type: "Utilization", averageUtilization: want.cpuPercent } });
      expect(g.has(T.pdb, "api")).to.equal(true);
    });

    it("admits only ingress-nginx and Prometheus, and lets the api call only MongoDB, Redis and istiod", () => {
      const spec = policy(g, "api").inputs.spec;
      expect(spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
      expect(spec.ingress).to.deep.equal([{ from: [{ namespaceSelector: nsSel("ingress-nginx") }, { namespaceSelector: nsSel("monitoring") }], ports: appPort }]);
      expect(spec.egress).to.deep.equal([toData(6379), toData(27017), istiod]);
    });

    it("carries the Mongo and Redis client labels that their NetworkPolicies admit, and waits for both", () => {
      const d = g.one(T.deployment, "api");
      expect(admits(g, "mongo", d, 27017), "MongoDB's NetworkPolicy admits the api pods").to.equal(true);
      expect(admits(g, "redis", d, 6379), "Redis' NetworkPolicy admits the api pods").to.equal(true);
      expect(g.dependsOn(d, g.one(T.statefulSet, "mongo"))).to.equal(true);
      expect(g.dependsOn(d, g.one(T.statefulSet, "redis"))).to.equal(true);
    });

    it("is reached through ingress-nginx under /api with the prefix stripped, and says where in `apiUrl`", async () => {
      const ing = g.one(T.ingress, "api").inputs;
      expect(ing.spec.rules[0].http.paths[0].path).to.equal("/api(/|$)(.*)");
      expect(ing.metadata.annotations["nginx.ingress.kubernetes.io/rewrite-target"]).to.equal("/$2");
      expect(await valueOf(g.outputs.apiUrl as string)).to.equal("http://statefleet.localhost:8080/api/api/data");
      // Same shape as the other variants' outputs.
      expect(await valueOf(g.outputs.statsUrl as string)).to.match(/^http:\/\/statefleet\.localhost:8080\//);
    });

    it("runs MongoDB with the seed's exact throttle: 1 replica, 10/10 tickets, 0.25 GB cache, 500Mi limit", () => {
      const sts = g.one(T.statefulSet, "mongo").inputs.spec;
      const c = sts.template.spec.containers.find((x: { name: string }) => x.name === "mongo");
      expect(sts.replicas).to.equal(1);
      expect(c.args.join(" ")).to.contain("--wiredTigerCacheSizeGB 0.25")
        .and.contain("storageEngineConcurrentReadTransactions=10").and.contain("storageEngineConcurrentWriteTransactions=10");
      expect(c.resources.limits).to.deep.equal({ cpu: "500m", memory: "500Mi" });
    });

    describe("Grafana dashboard", () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let dash: any;
      let cm: Res;
      before(() => {
        cm = g.one(T.configMap, "api-dashboard");
        const files = Object.entries(cm.inputs.data as Record<string, string>);
        expect(files).to.have.length(1);
        expect(files[0][0], "the sidecar loads *.json files").to.match(/\.json$/);
        dash = JSON.parse(files[0][1]);
      });

      it("is labelled and placed so the kube-prometheus-stack Grafana sidecar, as configured, picks it up", () => {
        const values = g.one(T.release, /monitoring/).inputs.values;
        const sidecar = values.grafana.sidecar.dashboards;
        expect(sidecar.enabled).to.equal(true);
        expect(cm.inputs.metadata.labels[sidecar.label], `label ${sidecar.label}`).to.equal(String(sidecar.labelValue));
        // The sidecar watches its own namespace unless searchNamespace names ours or is ALL.
        const watched = String(sidecar.searchNamespace ?? "").split(",");
        expect(watched.includes("ALL") || watched.includes(cm.inputs.metadata.namespace), `searchNamespace ${sidecar.searchNamespace}`).to.equal(true);
      });

      it("has a stable uid and the panels an operator needs during the seed's load test", () => {
        expect(dash.uid).to.equal("statefleet-api");
        const titles = dash.panels.map((p: { title: string }) => p.title.toLowerCase()).join("\n");
        for (const want of [/requests per second/, /p95/, /p99/, /operations per second, by kind/, /operations per \/api\/data request/, /batch size/, /queue depth/, /cache hit ratio/])
          expect(titles).to.match(want);
        const ids = dash.panels.map((p: { id: number }) => p.id);
        expect(new Set(ids).size, "panel ids unique").to.equal(ids.length);
        for (const p of dash.panels) {
          expect(p.targets.length, p.title).to.be.greaterThan(0);
          expect(p.datasource.uid).to.equal("${datasource}");
        }
        expect(dash.templating.list.find((v: { name: string }) => v.name === "datasource")).to.deep.include({ type: "datasource", query: "prometheus" });
      });

      it("queries only the metrics and labels the api role exports (plus Prometheus' target labels)", () => {
        expect(contractProblems(dash, CONTRACT_METRICS)).to.deep.equal([]);
      });

      // Its PromQL through promtool, and its metric names against a real scrape: test/dashboards.test.ts (every dashboard).

      it("relies only on labels the app's metrics module declares for the contract's metric families", () => {
        // prom-client: `new Counter|Histogram|Gauge({ name: "…", …, labelNames: [ … ] })` under app/src.
        const declared = declaredMetricLabels();
        const familyLabels = (family: string) => {
          const series = Object.keys(CONTRACT_METRICS).filter((k) => k === family || k.replace(/_(bucket|sum|count)$/, "") === family);
          return [...new Set(series.flatMap((k) => CONTRACT_METRICS[k]).filter((l) => l !== "le"))].sort();
        };
        // The shared HTTP metrics exist today; the api_* families arrive with the api role and are held to the same labels.
        for (const family of ["http_requests_total", "http_request_duration_seconds"]) expect(declared.has(family), `${family} declared in app/src`).to.equal(true);
        for (const [family, labels] of declared) {
          if (familyLabels(family).length === 0 && !Object.keys(CONTRACT_METRICS).some((k) => k.startsWith(family))) continue;
          // Extra labels do not break a query; a missing one empties its panel.
          expect(labels, `${family} labels in app/src`).to.include.members(familyLabels(family));
        }
      });

      it("uses every metric of the contract somewhere", () => {
        const used = new Set<string>(dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.flatMap((t) => promqlNames(t.expr).metrics)));
        const families = (m: string) => m.replace(/_(bucket|sum|count)$/, "");
        for (const family of new Set(Object.keys(CONTRACT_METRICS).map(families))) {
          expect([...used].some((m) => families(m) === family), family).to.equal(true);
        }
      });
    });
  });

  describe("aks stack as committed", () => {
    let g: Graph;
    before(async () => { g = await evaluate("aks"); });

    it("autoscales the api like the seed: min 5, max 50, 50 % CPU, with the stack's workers and per-worker CPU", () => {
      const hpa = g.one(T.hpa, "api").inputs.spec;
      expect([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].containerResource.target.averageUtilization]).to.deep.equal([5, 50, 50]);
      const d = g.one(T.deployment, "api");
      const want = stackApi("aks");
      expect(env(d, "API_WORKERS")?.value).to.equal(String(want.workers));
      expect(appContainer(d).resources).to.deep.equal(want.resources);
    });

    it("runs MongoDB with the seed's exact throttle here too", () => {
      const c = g.one(T.statefulSet, "mongo").inputs.spec.template.spec.containers.find((x: { name: string }) => x.name === "mongo");
      expect(c.resources.limits.memory).to.equal("500Mi");
      expect(c.args).to.include("storageEngineConcurrentReadTransactions=10").and.include("storageEngineConcurrentWriteTransactions=10");
    });

    it("publishes apiUrl on the same ingress entry as statsUrl, at /api/api/data", async () => {
      const stats = await valueOf(g.outputs.statsUrl as string);
      expect(stats).to.match(/\/stats$/);
      expect(await valueOf(g.outputs.apiUrl as string)).to.equal(stats.replace(/\/stats$/, "/api/api/data"));
    });
  });

  describe("options", () => {
    it("cache: none drops Redis entirely: no REDIS_* env, no client label, no egress to 6379", async () => {
      const g = await evaluate("dev", apps({ api: { cache: "none" } }));
      const d = g.one(T.deployment, "api");
      expect(envNames(d)).to.deep.equal([...new Set([...API_ENV, ...WORKLOAD_ENV])].sort());
      expect(env(d, "API_CACHE")?.value).to.equal("none");
      expect(podLabels(d)).to.not.have.property(Object.keys(CLIENT_LABELS.redis)[0]);
      expect(policy(g, "api").inputs.spec.egress).to.deep.equal([toData(27017), istiod]);
      expect(admits(g, "redis", d, 6379)).to.equal(false);
    });

    it("writes: direct and fixed replicas: API_WRITES=direct, spec.replicas, no HPA", async () => {
      const g = await evaluate("dev", apps({ api: { writes: "direct", autoscale: undefined, replicas: 2 } }));
      const d = g.one(T.deployment, "api");
      expect(env(d, "API_WRITES")?.value).to.equal("direct");
      expect(d.inputs.spec.replicas).to.equal(2);
      expect(g.has(T.hpa, "api")).to.equal(false);
    });

    it("monitoring off: no dashboard, no ServiceMonitor, Prometheus no longer admitted", async () => {
      const g = await evaluate("dev", { overrides: { "statefleet:monitoring": { enabled: false }, "statefleet:apps": { sms: { alert: { enabled: false }, dashboards: false } } } });
      expect(g.has(T.configMap, "api-dashboard")).to.equal(false);
      expect(g.has(T.serviceMonitor, "api")).to.equal(false);
      expect(policy(g, "api").inputs.spec.ingress).to.deep.equal([{ from: [{ namespaceSelector: nsSel("ingress-nginx") }], ports: appPort }]);
    });

    it("exposure via the Istio gateway: a VirtualService and the gateway namespace admitted; via none: no route and no apiUrl", async () => {
      const gw = await evaluate("dev", apps({ api: { exposure: { via: "istio-gateway", host: "api.statefleet.localhost", path: "/seed002" } } }));
      const vs = gw.one(T.virtualService, "api").inputs.spec;
      expect(vs.http[0].match).to.deep.equal([{ uri: { exact: "/seed002" } }, { uri: { prefix: "/seed002/" } }]);
      expect(gw.has(T.ingress, "api")).to.equal(false);
      expect(policy(gw, "api").inputs.spec.ingress[0].from).to.deep.include({ namespaceSelector: nsSel("istio-ingress") });
      expect(await valueOf(gw.outputs.apiUrl as string)).to.equal("http://api.statefleet.localhost:8081/seed002/api/data");

      const none = await evaluate("dev", apps({ api: { exposure: { via: "none" } } }));
      expect(none.has(T.ingress, "api") || none.has(T.virtualService, "api")).to.equal(false);
      expect(none.outputs.apiUrl).to.equal(undefined);
    });

    it("without stripping, /api reaches the app's own /api/data", async () => {
      const g = await evaluate("dev", apps({ api: { exposure: { path: "/api", stripPrefix: false } } }));
      expect(g.one(T.ingress, "api").inputs.spec.rules[0].http.paths[0]).to.deep.include({ path: "/api", pathType: "Prefix" });
      expect(await valueOf(g.outputs.apiUrl as string)).to.equal("http://statefleet.localhost:8080/api/data");
    });

    it("api off: no ApiApp, no api objects, no apiUrl", async () => {
      const g = await evaluate("dev", apps({ api: { enabled: false } }));
      expect(g.has(T.api)).to.equal(false);
      expect(g.has(T.deployment, "api")).to.equal(false);
      expect(g.outputs.apiUrl).to.equal(undefined);
    });
  });

  describe("state: mongo for stats, pingpong and logoutput", () => {
    let g: Graph;
    before(async () => {
      g = await evaluate("dev", apps({ stats: { state: "mongo" }, pingpong: { state: "mongo", replicas: 3 } }));
    });

    for (const name of ["stats", "pingpong", "logoutput"]) {
      it(`${name}: STATE=mongo, MONGO_URL by secretKeyRef, no volume, admitted by MongoDB, egress to 27017 and not to Redis`, async () => {
        const d = g.one(T.deployment, name);
        expect(env(d, "STATE")?.value).to.equal("mongo");
        expect(env(d, "MONGO_URL")?.value).to.equal(undefined);
        expect(env(d, "MONGO_URL")?.valueFrom).to.deep.equal({ secretKeyRef: { name: await valueOf(g.outputs.mongoUrlSecret as pulumi.Output<string>), key: "url" } });
        expect(envNames(d)).to.not.include("REDIS_URL");
        expect(podOf(d).volumes.map((v: { name: string }) => v.name)).to.deep.equal(["tmp"]);
        expect(admits(g, "mongo", d, 27017)).to.equal(true);
        const egress = policy(g, name).inputs.spec.egress;
        expect(egress).to.deep.include(toData(27017));
        expect(egress).to.not.deep.include(toData(6379));
        expect(g.dependsOn(d, g.one(T.statefulSet, "mongo"))).to.equal(true);
      });
    }

    it("scales pingpong on MongoDB with a rolling update (the store is atomic, no single-writer Recreate)", () => {
      const d = g.one(T.deployment, "pingpong");
      expect(d.inputs.spec.replicas).to.equal(3);
      expect(d.inputs.spec.strategy.type).to.equal("RollingUpdate");
      expect(g.has(T.pdb, "pingpong")).to.equal(true);
    });

    it("logoutput reading over HTTP does not get MongoDB", async () => {
      const h = await evaluate("dev", apps({ pingpong: { state: "mongo", logoutput: { readVia: "http" } } }));
      const lo = h.one(T.deployment, "logoutput");
      expect(envNames(lo)).to.not.include("MONGO_URL");
      expect(admits(h, "mongo", lo, 27017)).to.equal(false);
      expect(policy(h, "logoutput").inputs.spec.egress).to.not.deep.include(toData(27017));
    });
  });

  describe("impossible combinations fail before any resource is registered, at the exact key path", () => {
    const CASES: ConfigCase[] = [
      { what: "cache: redis with Redis off", change: { redis: { enabled: false }, apps: { stats: { state: "pod" } } }, path: "statefleet:apps.api.cache", says: /"redis" needs Redis, but redis.enabled is false \(allowed: none, or redis.enabled: true\)/ },
      { what: "api with MongoDB off", change: { mongo: { enabled: false } }, path: "statefleet:apps.api.enabled", says: /mongo.enabled is false.*\(allowed: false, or mongo.enabled: true\)/ },
      { what: "stats state: mongo with MongoDB off", change: { mongo: { enabled: false }, apps: { stats: { state: "mongo" }, api: { enabled: false } } }, path: "statefleet:apps.stats.state", says: /"mongo" needs MongoDB, but mongo.enabled is false \(allowed: pod \| shared-volume \| redis, or mongo.enabled: true\)/ },
      { what: "pingpong state: mongo with MongoDB off", change: { mongo: { enabled: false }, apps: { pingpong: { state: "mongo" }, api: { enabled: false } } }, path: "statefleet:apps.pingpong.state", says: /"mongo" needs MongoDB/ },
      { what: "a write queue smaller than one batch", change: { apps: { api: { batchMaxDocs: 1000, queueMaxDocs: 999 } } }, path: "statefleet:apps.api.queueMaxDocs", says: /999 is below batchMaxDocs 1000.*\(allowed: ≥ 1000/ },
      { what: "a batch smaller than one request's 5 documents", change: { apps: { api: { batchMaxDocs: 4 } } }, path: "statefleet:apps.api.batchMaxDocs", says: /too small \(allowed: ≥ 5\)/ },
      { what: "more workers than the CPU limit holds", change: { apps: { api: { workers: 6 } } }, path: "statefleet:apps.api.workers", says: /6 processes do not fit .*cpu 500m.*\(allowed: workers ≤ 2, or limits of at least cpu 600m and memory 576Mi\)/ },
      { what: "api requests above its limits", change: { apps: { api: { resources: { requests: { cpu: "2" } } } } }, path: "statefleet:apps.api.resources.requests.cpu", says: /2 is above the limit 500m/ },
      { what: "an unstripped prefix the app has no routes under", change: { apps: { api: { exposure: { path: "/seed", stripPrefix: false } } } }, path: "statefleet:apps.api.exposure.path", says: /none of its routes.*\(allowed: stripPrefix: true, or path \/ \| \/api\)/ },
      { what: "a state strategy on the api", change: { apps: { api: { state: "redis" } } }, path: "statefleet:apps.api.state", says: /unknown key/ },
      { what: "fewer read tickets than mongod accepts", change: { mongo: { throttle: { readTickets: 4 } } }, path: "statefleet:mongo.throttle.readTickets", says: /too small \(allowed: ≥ 5\)/ },
      { what: "fewer write tickets than mongod accepts", change: { mongo: { throttle: { writeTickets: 1 } } }, path: "statefleet:mongo.throttle.writeTickets", says: /too small \(allowed: ≥ 5\)/ },
    ];

    itRejects("dev", CASES);

    it("accepts as many workers as the limits hold (dev: 500m, 256Mi → 2), and a batch of one request", () => {
      expect(() => parseStackConfig("dev", merge(stackRaw("dev"), { apps: { api: { workers: 2, batchMaxDocs: 5, queueMaxDocs: 5 } } }) as Record<string, unknown>)).to.not.throw();
    });

    for (const [what, overrides, path] of [
      ["cache: redis with Redis off", { "statefleet:redis": { enabled: false }, "statefleet:apps": { stats: { state: "pod" } } }, "statefleet:apps.api.cache"],
      ["state: mongo with MongoDB off", { "statefleet:mongo": { enabled: false }, "statefleet:apps": { stats: { state: "mongo" }, api: { enabled: false } } }, "statefleet:apps.stats.state"],
    ] as const) {
      it(`stops the program on ${what} with zero resources registered`, async () => {
        let registered = -1;
        const err = await evaluate("dev", { overrides: overrides as Record<string, unknown>, onRegister: (n) => (registered = n) }).then(() => undefined, (e: Error) => e);
        expect(err?.message).to.contain(`${path}: `);
        expect(registered).to.equal(0);
      });
    }
  });
});
