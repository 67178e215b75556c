/**
 * The shop variant (seed 003) as the program builds it, in both stacks and the variations an
 * operator picks: one Workload per service with the contract's env (docs/shop.md), data kept apart
 * per service (Redis key prefix / MongoDB database), credentials only by secretKeyRef, the gateway
 * routes checked against ingress-nginx's and Istio's own rewrite rules, NetworkPolicies peer by
 * peer, PDBs / HPAs, the Grafana dashboard, the stack output, and the config errors.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseStackConfig } from "../config";
import { SHOP_SERVICES, type ShopService } from "../config/shop";
import { CLIENT_LABELS, MONGO_APP_DATABASES } from "../components/contracts";
import { NAMESPACES } from "../components/platform/namespaces";
import { SHOP_DASHBOARD_UID } from "../components/variants/shop-dashboard";
import { itRejects, stackRaw } from "./harness/config-cases";
import { evaluate, merge, stackFileConfig, valueOf, type EvaluateOptions } from "./harness/evaluate";
import { istioForward, nginxForward } from "./harness/gateway-rewrite";
import type { Graph, Res } from "./harness/graph";
import { K8S } from "./harness/k8s-types";
import { validateManifests } from "./harness/manifests";
import { MOCK_SECRET_PREFIX } from "./harness/mocks";
import { policyViolations } from "./harness/policies";
import { appContainer, envOf, type Env } from "./harness/pods";
import { contractProblems, promqlNames } from "./harness/promql";
import { plainStrings } from "./harness/unwrap";

/* eslint-disable @typescript-eslint/no-explicit-any */

const T = { ...K8S, shop: "statefleet:variants:ShopApp" };

const APPS = NAMESPACES.apps;
const fqdn = (svc: ShopService) => `shop-${svc}.${APPS}.svc.cluster.local`;
const env = (d: Res, name: string): Env | undefined => envOf(d).find((e) => e.name === name);
const envNames = (d: Res) => envOf(d).map((e) => e.name).sort();
const deployment = (g: Graph, svc: ShopService) => g.one(T.deployment, `shop-${svc}`);
const policy = (g: Graph, name: string, ns: string = APPS) => g.ofType(T.networkPolicy).filter((r) => r.inputs.metadata.name === name && r.inputs.metadata.namespace === ns)[0]!;
const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
const podPeer = (svc: ShopService) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": `shop-${svc}`, "app.kubernetes.io/part-of": "statefleet" } } });
const appPort = [{ protocol: "TCP", port: 8080 }];
const istiod = { to: [nsPeer("istio-system")], ports: [{ protocol: "TCP", port: 15012 }] };
const toData = (port: number) => ({ to: [nsPeer(NAMESPACES.data)], ports: [{ protocol: "TCP", port }] });

/** Every object the shop made (for the schema and policy checks). */
function ours(g: Graph): Res[] {
  return g.ofType(T.shop).flatMap((r) => g.descendants(r));
}
async function findingsAboutOurs(g: Graph): Promise<string[]> {
  const keys = ours(g).map((r) => `${r.type} ${r.name}`);
  const about = (line: string) => keys.some((k) => line.includes(`${k}:`));
  return [...(await validateManifests(g)).filter(about), ...policyViolations(g).filter(about)];
}

/** The environment contract between this program and the shop roles (docs/shop.md, SHOP-CONTRACT). */
const WORKLOAD_ENV = ["PORT", "POD_NAME", "POD_IP", "SHUTDOWN_TIMEOUT_MS", "STATE"];
const STORE_ENV = { redis: ["REDIS_URL", "REDIS_PASSWORD", "REDIS_KEY_PREFIX"], mongo: ["MONGO_URL"] };
const ORDER_ENV = ["SHOP_PAYMENT_URL", "SHOP_STOCK_URL", "SHOP_SAGA_LEASE_MS", "SHOP_RECOVERY_INTERVAL_MS", "SHOP_CALL_TIMEOUT_MS"];

/** The metrics the shop roles export, with their labels (prom-client adds `le` to histograms). */
const CONTRACT_METRICS: Record<string, string[]> = {
  http_requests_total: ["role", "route", "status"],
  http_request_duration_seconds_bucket: ["role", "route", "le"],
  state_store_errors_total: ["role", "store", "operation"],
  shop_checkouts_total: ["outcome"],
  shop_checkout_duration_seconds_bucket: ["outcome", "le"],
  shop_saga_in_flight: [],
  shop_saga_steps_total: ["step", "result"],
  shop_saga_compensations_total: [],
  shop_saga_recovered_total: [],
};

const stackShop = (stack: string): any => (stackFileConfig(stack)["statefleet:apps"] as Record<string, any>).shop;
const apps = (a: Record<string, unknown>, extra: Record<string, unknown> = {}): EvaluateOptions => ({ overrides: { "statefleet:apps": a, ...extra } });

/** Requests through the gateway and where the course's routes must land (prefix stripped). */
const ROUTES: [string, ShopService, string][] = [
  ["/orders/create/u1", "order", "/create/u1"],
  ["/orders/checkout/o7", "order", "/checkout/o7"],
  ["/orders/addItem/o7/i3/2", "order", "/addItem/o7/i3/2"],
  ["/orders", "order", "/"],
  ["/orders/", "order", "/"],
  ["/payment/pay/u1/o7/5.0", "payment", "/pay/u1/o7/5.0"],
  ["/payment/create_user", "payment", "/create_user"],
  ["/payment/batch_init/10/100", "payment", "/batch_init/10/100"],
  ["/stock/item/create/5", "stock", "/item/create/5"],
  ["/stock/find/i3", "stock", "/find/i3"],
  ["/stock", "stock", "/"],
];

function expectPeers(g: Graph, ingressFrom: object[]) {
  for (const svc of SHOP_SERVICES) {
    const spec = policy(g, `shop-${svc}`).inputs.spec;
    expect(spec.podSelector.matchLabels, svc).to.deep.equal(podPeer(svc).podSelector.matchLabels);
    expect(spec.policyTypes, svc).to.deep.equal(["Ingress", "Egress"]);
    const callers = svc === "order" ? ingressFrom : [...ingressFrom, podPeer("order")];
    expect(spec.ingress, `who may call shop-${svc}`).to.deep.equal([{ from: callers, ports: appPort }]);
  }
}

describe("shop variant (seed 003)", () => {
  describe("dev stack as committed (Redis, ingress-nginx)", () => {
    let g: Graph;
    before(async function () { this.timeout(240_000); g = await evaluate("dev"); });

    it("runs each service as its own role with the stack file's replicas, a PDB that keeps one pod through a drain, and a ServiceMonitor", () => {
      const shop = stackShop("dev");
      for (const svc of SHOP_SERVICES) {
        const d = deployment(g, svc);
        expect(appContainer(d).args, svc).to.deep.equal([`shop-${svc}`]);
        expect(d.inputs.metadata.namespace).to.equal(APPS);
        expect(d.inputs.spec.replicas, svc).to.equal(shop[svc].replicas).and.to.be.at.least(2);
        expect(appContainer(d).resources, svc).to.deep.equal(shop[svc].resources);
        expect(g.one(T.pdb, `shop-${svc}`).inputs.spec).to.deep.include({ maxUnavailable: 1, selector: { matchLabels: podPeer(svc).podSelector.matchLabels } });
        expect(g.has(T.hpa, `shop-${svc}`), svc).to.equal(false);
        expect(g.one(T.serviceMonitor, `shop-${svc}`).inputs.spec.endpoints[0]).to.include({ port: "http", path: "/metrics" });
        expect(g.ancestry(d).some((u) => u.includes(T.shop)), `${svc} belongs to the ShopApp component`).to.equal(true);
      }
    });

    it("sets exactly the contract's environment: the store per service, and the saga settings and service URLs on order only", () => {
      const saga = stackShop("dev").saga;
      for (const svc of SHOP_SERVICES) {
        const d = deployment(g, svc);
        expect(envNames(d), svc).to.deep.equal([...WORKLOAD_ENV, ...STORE_ENV.redis, ...(svc === "order" ? ORDER_ENV : [])].sort());
        expect(env(d, "STATE")?.value, svc).to.equal("redis");
      }
      const order = deployment(g, "order");
      expect(env(order, "SHOP_SAGA_LEASE_MS")?.value).to.equal(String(saga.leaseMs));
      expect(env(order, "SHOP_RECOVERY_INTERVAL_MS")?.value).to.equal(String(saga.recoveryIntervalMs));
      expect(env(order, "SHOP_CALL_TIMEOUT_MS")?.value).to.equal(String(saga.callTimeoutMs));
    });

    it("hands order the cluster URLs of payment and stock: their Services, on the port the URL implies, selecting their pods", () => {
      const order = deployment(g, "order");
      for (const [svc, name] of [["payment", "SHOP_PAYMENT_URL"], ["stock", "SHOP_STOCK_URL"]] as const) {
        const url = new URL(env(order, name)!.value!);
        expect(url.protocol).to.equal("http:");
        expect(url.hostname).to.equal(fqdn(svc));
        const s = g.one(T.service, `shop-${svc}`).inputs;
        expect(`${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`).to.equal(url.hostname);
        expect(s.spec.ports.map((p: { port: number }) => p.port)).to.include(url.port === "" ? 80 : Number(url.port));
        expect(s.spec.selector).to.deep.equal(podPeer(svc).podSelector.matchLabels);
        expect(deployment(g, svc).inputs.spec.template.metadata.labels).to.include(s.spec.selector);
      }
    });

    it("keeps each service's Redis keys apart (statefleet:shop-<service>:) and reads the password only from the Redis Secret", async () => {
      const prefixes = SHOP_SERVICES.map((svc) => env(deployment(g, svc), "REDIS_KEY_PREFIX")!.value);
      expect(prefixes).to.deep.equal(["statefleet:shop-order:", "statefleet:shop-payment:", "statefleet:shop-stock:"]);
      // No prefix is a prefix of another: no service can read or write another's keys by accident.
      for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b!.startsWith(a!), `${b} inside ${a}`).to.equal(false);
      const redisUrl = await valueOf(g.outputs.redisUrl as pulumi.Output<string>);
      for (const svc of SHOP_SERVICES) {
        const d = deployment(g, svc);
        expect(env(d, "REDIS_URL")?.value, svc).to.equal(redisUrl);
        expect(env(d, "REDIS_PASSWORD"), svc).to.deep.equal({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } });
        expect(d.inputs.spec.template.metadata.labels, `${svc} carries Redis' client label`).to.include(CLIENT_LABELS.redis);
      }
    });

    it("never puts a credential in plain text into any shop object", () => {
      const leaks = ours(g).filter((r) => plainStrings(r.raw).some((s) => s.includes(MOCK_SECRET_PREFIX))).map((r) => `${r.type} ${r.name}`);
      expect(leaks).to.deep.equal([]);
    });

    it("routes /orders, /payment, /stock through ingress-nginx to the right service with the prefix stripped, as ingress-nginx rewrites (every Ingress on the host, the other apps' too)", () => {
      const host = (stackFileConfig("dev")["statefleet:ingress"] as { host: string }).host;
      const ingresses = g.ofType(T.ingress).map((r) => r.inputs);
      for (const svc of SHOP_SERVICES) {
        const ing = g.one(T.ingress, `shop-${svc}`);
        expect(ing.inputs.spec.rules[0].host).to.equal(host);
        expect(ing.inputs.spec.rules[0].http.paths[0].pathType, "regex paths are ImplementationSpecific").to.equal("ImplementationSpecific");
        expect(g.dependsOn(ing, g.one(T.release, /ingress-nginx/)), "waits for the controller and its admission webhook").to.equal(true);
      }
      for (const [path, svc, seen] of ROUTES) expect(nginxForward(ingresses, host, path), path).to.deep.equal({ service: `shop-${svc}`, path: seen });
      // A longer word is not the prefix: /ordersx is not an order route.
      expect(nginxForward(ingresses, host, "/ordersx/create/1")?.service).to.not.equal("shop-order");
      expect(nginxForward(ingresses, host, "/stockpile")?.service).to.not.equal("shop-stock");
      // The other apps on the host still get their own routes.
      expect(nginxForward(ingresses, host, "/stats")?.service).to.equal("stats");
      expect(nginxForward(ingresses, host, "/api/api/data")).to.deep.equal({ service: "api", path: "/api/data" });
    });

    it("admits each service only from ingress-nginx, Prometheus and (payment, stock) order; each reaches only Redis, istiod and the services it calls", () => {
      expectPeers(g, [nsPeer("ingress-nginx"), nsPeer("monitoring")]);
      const egress = (svc: ShopService) => policy(g, `shop-${svc}`).inputs.spec.egress;
      expect(egress("order")).to.deep.equal([toData(6379), { to: [podPeer("payment")], ports: appPort }, { to: [podPeer("stock")], ports: appPort }, istiod]);
      expect(egress("payment")).to.deep.equal([toData(6379), istiod]);
      expect(egress("stock")).to.deep.equal([toData(6379), istiod]);
      // The apps namespace is default-deny with one DNS allow for every pod: the shop resolves names.
      expect(policy(g, "default-deny").inputs.spec.podSelector).to.deep.equal({});
      expect(policy(g, "allow-dns").inputs.spec.podSelector).to.deep.equal({});
    });

    it("has Redis' own NetworkPolicy admit the shop pods (by namespace and label)", () => {
      const np = policy(g, "redis", NAMESPACES.data).inputs.spec;
      for (const svc of SHOP_SERVICES) {
        const labels = deployment(g, svc).inputs.spec.template.metadata.labels;
        const admitted = np.ingress.some((rule: any) => rule.ports.some((p: any) => p.port === 6379) && rule.from.some((f: any) =>
          f.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === APPS && Object.entries(f.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)));
        expect(admitted, svc).to.equal(true);
      }
    });

    it("exports shopUrl, the gateway base the course's urls.json takes, and lists shop among the enabled variants", async () => {
      expect(await valueOf(g.outputs.shopUrl as pulumi.Output<string>)).to.equal("http://statefleet.localhost:8080/");
      expect(g.outputs.enabledVariants).to.include("shop");
    });

    describe("Grafana dashboard", () => {
      let dash: any;
      let cm: Res;
      before(() => {
        cm = g.one(T.configMap, "shop-dashboard");
        const files = Object.entries(cm.inputs.data as Record<string, string>);
        expect(files).to.have.length(1);
        expect(files[0]![0], "the sidecar loads *.json files").to.match(/\.json$/);
        dash = JSON.parse(files[0]![1]);
      });

      it("is labelled so the kube-prometheus-stack Grafana sidecar, as configured, picks it up", () => {
        const sidecar = g.one(T.release, /monitoring/).inputs.values.grafana.sidecar.dashboards;
        expect(cm.inputs.metadata.labels[sidecar.label], `label ${sidecar.label}`).to.equal(String(sidecar.labelValue));
        const watched = String(sidecar.searchNamespace ?? "").split(",");
        expect(watched.includes("ALL") || watched.includes(cm.inputs.metadata.namespace)).to.equal(true);
      });

      it("has a stable uid and the panels the issue asks for: checkouts by outcome, latency, sagas in flight and compensated", () => {
        expect(dash.uid).to.equal(SHOP_DASHBOARD_UID).and.equal("statefleet-shop");
        const exprOf = (re: RegExp) => dash.panels.filter((p: any) => re.test(p.title.toLowerCase())).flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
        expect(exprOf(/checkouts per second, by outcome/)).to.match(/by \(outcome\).*shop_checkouts_total/);
        expect(exprOf(/checkout latency p95/)).to.match(/histogram_quantile\(0\.95, .*shop_checkout_duration_seconds_bucket/);
        expect(exprOf(/request latency p95/)).to.match(/histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket/);
        expect(exprOf(/in flight/)).to.contain("shop_saga_in_flight");
        expect(exprOf(/compensations/)).to.contain("shop_saga_compensations_total");
        expect(exprOf(/requests per second, by service and status/)).to.match(/by \(role, status\).*http_requests_total/);
        const ids = dash.panels.map((p: { id: number }) => p.id);
        expect(new Set(ids).size, "panel ids unique").to.equal(ids.length);
        for (const p of dash.panels) expect(p.datasource.uid, p.title).to.equal("${datasource}");
      });

      it("queries only the contract's metrics and labels (plus Prometheus' target labels), the shop roles' series only", () => {
        expect(contractProblems(dash, CONTRACT_METRICS)).to.deep.equal([]);
        for (const p of dash.panels) {
          for (const target of p.targets) {
            // The shared families carry every role's series: a shop panel must select the shop's.
            if (promqlNames(target.expr).metrics.some((m) => m.startsWith("http_") || m.startsWith("state_store_"))) expect(target.expr, p.title).to.contain('role=~"shop-order|shop-payment|shop-stock"');
          }
        }
      });

      // Its PromQL through promtool, and its names against a real scrape of the roles: test/dashboards.test.ts (every dashboard).
    });

    it("has no schema or policy findings on any shop object", async () => {
      expect(ours(g).length).to.be.greaterThan(0);
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks stack as committed (MongoDB, the Istio gateway, HPAs)", () => {
    let g: Graph;
    before(async function () { this.timeout(240_000); g = await evaluate("aks"); });

    it("scales each service with an HPA whose floor is 2 pods, and a PDB", () => {
      const shop = stackShop("aks");
      for (const svc of SHOP_SERVICES) {
        const d = deployment(g, svc);
        expect(d.inputs.spec, `${svc}: the HPA owns the count`).to.not.have.property("replicas");
        const hpa = g.one(T.hpa, `shop-${svc}`).inputs.spec;
        expect(hpa.scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: `shop-${svc}` });
        expect(hpa.minReplicas, svc).to.equal(shop[svc].autoscale.min).and.to.be.at.least(2);
        expect(hpa.maxReplicas, svc).to.equal(shop[svc].autoscale.max);
        expect(g.has(T.pdb, `shop-${svc}`), svc).to.equal(true);
      }
    });

    it("gives each service its own MongoDB database through its own key of the Mongo Secret, never a plain URL", async () => {
      const secret = g.ofType(T.secret).find((r) => r.inputs.metadata.name === "mongo-url" && r.inputs.metadata.namespace === APPS)!;
      for (const svc of SHOP_SERVICES) {
        const d = deployment(g, svc);
        expect(envNames(d), svc).to.deep.equal([...WORKLOAD_ENV, ...STORE_ENV.mongo, ...(svc === "order" ? ORDER_ENV : [])].sort());
        expect(env(d, "STATE")?.value).to.equal("mongo");
        const ref = env(d, "MONGO_URL")!.valueFrom!.secretKeyRef!;
        expect(ref.name, svc).to.equal("mongo-url");
        const url: string = secret.inputs.stringData[ref.key];
        expect(url, `${svc}: key ${ref.key} of mongo-url`).to.be.a("string");
        // The database is the connection string's path (the app reads it from there); the user authenticates where it was created.
        expect(new URL(url).pathname, svc).to.equal(`/shop_${svc}`);
        expect(new URL(url).searchParams.get("authSource")).to.equal("statefleet");
        expect(d.inputs.spec.template.metadata.labels).to.include(CLIENT_LABELS.mongo);
      }
      const keys = SHOP_SERVICES.map((svc) => env(deployment(g, svc), "MONGO_URL")!.valueFrom!.secretKeyRef!.key);
      expect(new Set(keys).size, "three services, three databases").to.equal(3);
      const leaks = ours(g).filter((r) => plainStrings(r.raw).some((s) => s.includes(MOCK_SECRET_PREFIX))).map((r) => r.name);
      expect(leaks).to.deep.equal([]);
    });

    it("lets MongoDB's app user read and write each shop database (granted by the init script)", () => {
      const script: string = g.one(T.configMap, "mongo-init").inputs.data["10-users.js"];
      const roles = JSON.parse(/roles: (\[[^\n]*\]),\n/.exec(script)![1]!) as { role: string; db: string }[];
      for (const db of ["shop_order", "shop_payment", "shop_stock", "statefleet"]) expect(roles, db).to.deep.include({ role: "readWrite", db });
      expect([...MONGO_APP_DATABASES].sort()).to.deep.equal(roles.map((r) => r.db).sort());
    });

    it("routes /orders, /payment, /stock through the Istio gateway to the right service with the prefix stripped, as Envoy's prefix_rewrite does", () => {
      const vss = g.ofType(T.virtualService).map((r) => r.inputs);
      for (const svc of SHOP_SERVICES) {
        const vs = g.one(T.virtualService, `shop-${svc}`);
        expect(vs.inputs.spec.gateways).to.deep.equal(["istio-ingress/statefleet-gateway"]);
        expect(g.dependsOn(vs, g.one(T.release, /istiod/)), "waits for the CRDs").to.equal(true);
      }
      for (const [path, svc, seen] of ROUTES) expect(istioForward(vss, "203.0.113.7", path), path).to.deep.equal({ service: fqdn(svc), path: seen });
      expect(istioForward(vss, "203.0.113.7", "/ordersx/create/1")?.service).to.not.equal(fqdn("order"));
      expect(istioForward(vss, "203.0.113.7", "/stockpile")?.service).to.not.equal(fqdn("stock"));
    });

    it("admits each service only from the Istio gateway, Prometheus and (payment, stock) order; each reaches only MongoDB, istiod and the services it calls", () => {
      expectPeers(g, [nsPeer("istio-ingress"), nsPeer("monitoring")]);
      const egress = (svc: ShopService) => policy(g, `shop-${svc}`).inputs.spec.egress;
      expect(egress("order")).to.deep.equal([toData(27017), { to: [podPeer("payment")], ports: appPort }, { to: [podPeer("stock")], ports: appPort }, istiod]);
      expect(egress("payment")).to.deep.equal([toData(27017), istiod]);
      expect(egress("stock")).to.deep.equal([toData(27017), istiod]);
    });

    it("exports shopUrl on the Istio gateway", async () => {
      expect(await valueOf(g.outputs.shopUrl as pulumi.Output<string>)).to.match(/^http:\/\/[^/]+\/$/);
    });

    it("has no schema or policy findings on any shop object", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("dev: on MongoDB under /shop on the Istio gateway, order autoscaled, monitoring off", () => {
    let g: Graph;
    before(async function () {
      this.timeout(240_000);
      g = await evaluate("dev", apps(
        { shop: { state: "mongo", exposure: { via: "istio-gateway", host: "shop.localhost", path: "/shop" }, order: { replicas: undefined, autoscale: { min: 2, max: 4 } } }, sms: { alert: { enabled: false }, dashboards: false } },
        { "statefleet:monitoring": { enabled: false } },
      ));
    });

    it("routes <base>/orders … to the services, stripping the whole <base>/<prefix>", async () => {
      const vss = g.ofType(T.virtualService).map((r) => r.inputs);
      expect(istioForward(vss, "shop.localhost", "/shop/orders/create/u1")).to.deep.equal({ service: fqdn("order"), path: "/create/u1" });
      expect(istioForward(vss, "shop.localhost", "/shop/stock")).to.deep.equal({ service: fqdn("stock"), path: "/" });
      expect(istioForward(vss, "shop.localhost", "/orders/create/u1")?.service, "the bare prefix is not routed to the shop").to.not.equal(fqdn("order"));
      expect(await valueOf(g.outputs.shopUrl as pulumi.Output<string>)).to.equal("http://shop.localhost:8081/shop");
      expect(g.has(T.ingress, /^shop-/)).to.equal(false);
    });

    it("scales order by HPA and leaves payment and stock at their default 2 replicas; no dashboard nor ServiceMonitor without monitoring", () => {
      expect(g.one(T.hpa, "shop-order").inputs.spec.minReplicas).to.equal(2);
      expect(deployment(g, "payment").inputs.spec.replicas).to.equal(2);
      expect(g.has(T.configMap, "shop-dashboard")).to.equal(false);
      expect(g.has(T.serviceMonitor, /^shop-/)).to.equal(false);
      expect(env(deployment(g, "stock"), "REDIS_KEY_PREFIX")).to.equal(undefined);
    });

    it("has no schema or policy findings on any shop object", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("impossible combinations fail before any resource is registered, at the exact key path", () => {
    itRejects("dev", [
      { what: "state: redis with Redis off", change: { redis: { enabled: false }, apps: { stats: { state: "pod" }, api: { cache: "none" } } }, path: "statefleet:apps.shop.state", says: /^"redis" needs Redis, but redis.enabled is false \(allowed: mongo, or redis.enabled: true\)$/ },
      { what: "state: mongo with MongoDB off", change: { mongo: { enabled: false }, apps: { api: { enabled: false }, shop: { state: "mongo" } } }, path: "statefleet:apps.shop.state", says: /^"mongo" needs MongoDB, but mongo.enabled is false \(allowed: redis, or mongo.enabled: true\)$/ },
      { what: "a store the shop has no code for", change: { apps: { shop: { state: "shared-volume" } } }, path: "statefleet:apps.shop.state", says: /redis.*mongo/ },
      { what: "the Istio gateway while Istio is off", change: { istio: { enabled: false, gateway: { enabled: false } }, apps: { pingpong: { logoutput: { exposure: { via: "none" } } }, sms: { enabled: false }, shop: { exposure: { via: "istio-gateway" } } } }, path: "statefleet:apps.shop.exposure.via", says: /"istio-gateway" but the Istio gateway is off/ },
      { what: "ingress-nginx while it is off", change: { ingress: { nginx: { enabled: false } } }, path: "statefleet:apps.shop.exposure.via", says: /"ingress-nginx" but ingress.nginx.enabled is false/ },
      { what: "a single replica", change: { apps: { shop: { payment: { replicas: 1 } } } }, path: "statefleet:apps.shop.payment.replicas", says: /^number 1 is too small \(allowed: ≥ 2\)$/ },
      { what: "an HPA that may go down to one pod", change: { apps: { shop: { stock: { replicas: undefined, autoscale: { min: 1, max: 4 } } } } }, path: "statefleet:apps.shop.stock.autoscale.min", says: /^number 1 is too small \(allowed: ≥ 2\)$/ },
      { what: "replicas and autoscale together", change: { apps: { shop: { order: { replicas: 2, autoscale: { min: 2, max: 4 } } } } }, path: "statefleet:apps.shop.order.autoscale", says: /either replicas or autoscale/ },
      { what: "an HPA whose min is above its max", change: { apps: { shop: { order: { replicas: undefined, autoscale: { min: 5, max: 3 } } } } }, path: "statefleet:apps.shop.order.autoscale.min", says: /5 is above max 3/ },
      { what: "requests above limits", change: { apps: { shop: { stock: { resources: { requests: { memory: "1Gi" } } } } } }, path: "statefleet:apps.shop.stock.resources.requests.memory", says: /above the limit/ },
      { what: "a path another app already takes on the same entry point and host", change: { apps: { stats: { exposure: { path: "/orders" } } } }, path: "statefleet:apps.shop.exposure.path", says: /"\/orders" overlaps apps.stats.exposure.path "\/orders" on ingress-nginx/ },
      { what: "an unknown saga key", change: { apps: { shop: { saga: { leaseSeconds: 2 } } } }, path: "statefleet:apps.shop.saga.leaseSeconds", says: /unknown key/ },
    ]);

    it("accepts the shop off with neither store (it is off by default)", () => {
      const cfg = parseStackConfig("dev", merge(stackRaw("dev"), { redis: { enabled: false }, mongo: { enabled: false }, apps: { stats: { state: "pod" }, pingpong: { state: "shared-volume" }, api: { enabled: false }, shop: { enabled: undefined } } }) as Record<string, unknown>);
      expect(cfg.apps.shop.enabled).to.equal(false);
      expect(cfg.apps.shop.order.scaling).to.deep.equal({ kind: "fixed", replicas: 2 });
    });
  });

  describe("the rewrite models follow the tools' own documented examples", () => {
    it("ingress-nginx: docs/examples/rewrite (`/something(/|$)(.*)` + `/$2`)", () => {
      const ing = {
        metadata: { name: "rewrite", annotations: { "nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$2" } },
        spec: { rules: [{ host: "rewrite.bar.com", http: { paths: [{ path: "/something(/|$)(.*)", pathType: "ImplementationSpecific", backend: { service: { name: "http-svc" } } }] } }] },
      };
      expect(nginxForward([ing], "rewrite.bar.com", "/something")?.path).to.equal("/");
      expect(nginxForward([ing], "rewrite.bar.com", "/something/")?.path).to.equal("/");
      expect(nginxForward([ing], "rewrite.bar.com", "/something/new")?.path).to.equal("/new");
      expect(nginxForward([ing], "rewrite.bar.com", "/other")).to.equal(undefined);
    });

    it("Envoy prefix_rewrite (route.proto): `/prefix/` → `/` strips to `/etc`, and an exact `/prefix` becomes `/`", () => {
      const vs = { spec: { hosts: ["*"], http: [{ match: [{ uri: { exact: "/prefix" } }, { uri: { prefix: "/prefix/" } }], rewrite: { uri: "/" }, route: [{ destination: { host: "svc" } }] }] } };
      expect(istioForward([vs], "any", "/prefix/etc")).to.deep.equal({ service: "svc", path: "/etc" });
      expect(istioForward([vs], "any", "/prefix")).to.deep.equal({ service: "svc", path: "/" });
      expect(istioForward([vs], "any", "/prefixes")).to.equal(undefined);
    });
  });
});
