/**
 * The Workload component (components/workload.ts) on its own: built in process under the harness
 * mocks with hand-made platform contracts, one Workload per test (constructed inside the `it`, so
 * Stryker's per-test coverage sees which test reaches which line: the `workload-contract` scope).
 * test/apps.test.ts checks the same objects as the real program builds them from the stack files.
 *
 * Where the outcome is another tool's business the test asks that tool's rule, not our constant:
 * ingress-nginx's regex rewrite and Istio's prefix rewrite through test/harness/gateway-rewrite.ts,
 * Kubernetes' namespace label, a Flagger primary copy's labels, the schema and our policy rules.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { PLATFORM_NAMESPACES, type IngressNginxInfo, type IstioInfo, type MongoAppDatabase, type MongoInfo, type MonitoringInfo, type RedisInfo, type RwxClaim } from "../components/contracts";
import { labels, selectorLabels, type SecretRef } from "../components/k8s";
import { NAMESPACES } from "../components/platform/namespaces";
import { istioMatches, nginxRegexPath, Workload, type WorkloadArgs, type WorkloadExposure } from "../components/workload";
import { evaluateComponent } from "./harness/evaluate";
import { istioForward, nginxForward } from "./harness/gateway-rewrite";
import type { Graph, Res } from "./harness/graph";
import { stringMatches } from "./harness/istio-routing";
import { validateManifests } from "./harness/manifests";
import { appContainer, envOf, podOf, type Env } from "./harness/pods";
import { policyViolations } from "./harness/policies";

const T = {
  workload: "statefleet:app:Workload",
  configMap: "kubernetes:core/v1:ConfigMap",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
  peerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

const NAME = "stats";
const NS = "apps-ns";
const COMPONENT = "stats-api";
const IMAGE = "registry.local/statefleet-app:1.2.3";
const RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } };
/** The in-cluster name of the Service, as cluster DNS resolves it. */
const FQDN = `${NAME}.${NS}.svc.cluster.local`;
/** Istio's gateway from its docs: `<namespace>/<name>` of a Gateway object. */
const GATEWAY = "istio-ingress/shared-gateway";

/** The platform as a Workload sees it: each `ready` a ConfigMap, so a wait on it is one URN. */
interface Platform {
  redis: RedisInfo;
  mongo: MongoInfo;
  /** The mesh, STRICT mTLS, with the gateway on. */
  mesh: IstioInfo;
  permissiveMesh: IstioInfo;
  ingress: IngressNginxInfo;
  monitoring: MonitoringInfo;
  claim: RwxClaim;
  /** A claim mounted at the volume root (Azure Files). */
  rootClaim: RwxClaim;
  /** What the app namespace is, for `dependsOn`. */
  namespace: pulumi.Resource;
}

/** Checksums of the Secrets the fakes hand out; a test changes them to play a rotation. */
interface Checksums { redis: string; mongo: string }

const ready = (name: string) => new k8s.core.v1.ConfigMap(name, { metadata: { name, namespace: "fixtures" } });
const mongoUrl = (key: string, checksum: string): SecretRef => ({ name: "mongo-app", key, checksum: pulumi.secret(checksum) });

/** Made inside the build (resources must register under the evaluation's mocks). */
function platform(sums: Checksums): Platform {
  const crds = ready("istio-crds");
  return {
    redis: {
      url: pulumi.output("redis://redis.data-ns.svc.cluster.local:6379"),
      passwordSecret: { name: "redis-auth", key: "password", checksum: pulumi.secret(sums.redis) },
      clientLabels: { "fake.io/redis-client": "yes" },
      ready: ready("redis-ready"),
    },
    mongo: {
      urlSecret: mongoUrl("url", sums.mongo),
      urlSecretFor: (db: MongoAppDatabase) => mongoUrl(`url-${db}`, sums.mongo),
      clientLabels: { "fake.io/mongo-client": "yes" },
      ready: ready("mongo-ready"),
    },
    mesh: { crdsReady: crds, gateway: GATEWAY, mtls: "STRICT" },
    permissiveMesh: { crdsReady: crds, gateway: GATEWAY, mtls: "PERMISSIVE" },
    ingress: { className: "nginx-class", ready: ready("nginx-ready") },
    monitoring: { crdsReady: ready("monitoring-crds"), selectorLabels: { release: "prom" }, dashboardLabel: { grafana_dashboard: "1" } },
    claim: { claimName: pulumi.output("stats-data"), subPath: "apps-ns-stats-data" },
    rootClaim: { claimName: pulumi.output("stats-root") },
    namespace: ready("namespace"),
  };
}

interface Built {
  g: Graph;
  w: Workload;
  /** The one registered resource of a type (the Workload's child named like it). */
  one(type: string, name?: string): Res;
  dep: Res;
  /** A fixture by name (`redis-ready`, `istio-crds`, `namespace`, …). */
  fixture(name: string): Res;
  children: Res[];
}

type Over = Partial<WorkloadArgs> | ((p: Platform) => Partial<WorkloadArgs>);
const baseArgs = (p: Platform): WorkloadArgs => ({
  namespace: NS,
  image: IMAGE,
  args: ["stats", "--verbose"],
  component: COMPONENT,
  resources: RESOURCES,
  scaling: { kind: "fixed", replicas: 1 },
  state: { kind: "none" },
  dependsOn: [p.namespace],
});

/** One Workload `stats` from the base args plus `over`, registered under fresh mocks. */
async function build(over: Over = {}, sums: Checksums = { redis: "r1", mongo: "m1" }): Promise<Built> {
  let w: Workload | undefined;
  const g = await evaluateComponent(() => {
    const p = platform(sums);
    w = new Workload(NAME, { ...baseArgs(p), ...(typeof over === "function" ? over(p) : over) });
  });
  const component = g.one(T.workload, NAME);
  const children = g.descendants(component);
  const one = (type: string, name = NAME): Res => {
    const hits = children.filter((r) => r.type === type && r.name === name);
    expect(hits, `one ${type} ${name} under the Workload`).to.have.length(1);
    return hits[0];
  };
  return { g, w: w!, one, dep: one(T.deployment), fixture: (name) => g.one(T.configMap, name), children };
}

/** What `build` throws. */
async function buildError(over: Over): Promise<Error> {
  return build(over).then(() => { throw new Error("expected the Workload to throw"); }, (e: Error) => e);
}

const envNamed = (d: Res, name: string): Env | undefined => envOf(d).find((e) => e.name === name);
const mountsOf = (d: Res): { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[] => appContainer(d).volumeMounts;
/** The container port a named port resolves to (probes, the Service's targetPort). */
const containerPort = (d: Res, portName: string): number => {
  const p = appContainer(d).ports.find((x: { name: string }) => x.name === portName);
  expect(p, `the app container has a port named ${portName}`).to.not.equal(undefined);
  return p.containerPort;
};
/** True when every label of the selector is on the object (Kubernetes' matchLabels). */
const selects = (selector: Record<string, string>, objLabels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => objLabels[k] === v);
/** Pods of a namespace, by the label the API server puts on every namespace. */
const podsInNamespace = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
const tcp = (port: number) => [{ protocol: "TCP", port }];
/** Redis' and MongoDB's default ports (their servers' docs), where the data services listen. */
const REDIS_DEFAULT_PORT = 6379;
const MONGO_DEFAULT_PORT = 27017;
/** istiod serves xDS and certificates to sidecars on 15012 (Istio's "Ports used by Istio"). */
const ISTIOD_XDS_PORT = 15012;
const nginx = (p: Platform, more: Partial<Extract<WorkloadExposure, { via: "ingress-nginx" }>> = {}): WorkloadExposure =>
  ({ via: "ingress-nginx", ingress: p.ingress, host: "stats.example.test", stripPrefix: true, path: "/stats/", ...more });
const gateway = (istio: IstioInfo, more: Partial<Extract<WorkloadExposure, { via: "istio-gateway" }>> = {}): WorkloadExposure =>
  ({ via: "istio-gateway", istio, host: "stats.example.test", stripPrefix: true, path: "/stats/", ...more });

describe("Workload component (in-process contract)", () => {
  describe("Deployment", () => {
    it("is the component's child, named after the workload, with the standard labels and a selector that matches its pods", async () => {
      const b = await build();
      expect(b.g.one(T.workload, NAME).parent, "the Workload itself is top-level here").to.equal("");
      const d = b.dep;
      expect(d.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(d.inputs.spec.selector).to.deep.equal({ matchLabels: selectorLabels(NAME) });
      expect(selects(d.inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels)).to.equal(true);
      expect(d.inputs.spec.template.metadata.labels).to.deep.equal(labels(NAME, COMPONENT));
      expect(d.inputs.spec.revisionHistoryLimit).to.equal(3);
      expect(b.w.selector).to.deep.equal(selectorLabels(NAME));
    });

    it("runs the image with the role's args in one container `app` that listens where PORT says, on the port named http", async () => {
      const d = (await build()).dep;
      expect(podOf(d).containers).to.have.length(1);
      const c = appContainer(d);
      expect(c).to.deep.include({ name: "app", image: IMAGE, imagePullPolicy: "IfNotPresent", args: ["stats", "--verbose"], resources: RESOURCES });
      expect(c.ports).to.deep.equal([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(envNamed(d, "PORT")).to.deep.equal({ name: "PORT", value: String(containerPort(d, "http")) });
    });

    it("sets the replica count for fixed scaling and leaves it out under an HPA (an update must not reset the HPA's count)", async () => {
      expect((await build({ scaling: { kind: "fixed", replicas: 3 } })).dep.inputs.spec.replicas).to.equal(3);
      expect((await build()).dep.inputs.spec.replicas).to.equal(1);
      expect((await build({ scaling: { kind: "autoscale", min: 2, max: 5, cpuPercent: 60 } })).dep.inputs.spec).to.not.have.property("replicas");
    });

    it("rolls one extra pod at a time and never drops below the count; a single writer is recreated instead (never two writers)", async () => {
      expect((await build()).dep.inputs.spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      expect((await build({ singleWriter: false })).dep.inputs.spec.strategy.type).to.equal("RollingUpdate");
      expect((await build({ singleWriter: true })).dep.inputs.spec.strategy).to.deep.equal({ type: "Recreate" });
    });

    it("drains before shutdown: preStop sleeps the drain, the app gets its budget in ms, SIGKILL waits for both plus 5 s (defaults 5 and 20)", async () => {
      const d = (await build()).dep;
      expect(appContainer(d).lifecycle).to.deep.equal({ preStop: { sleep: { seconds: 5 } } });
      expect(envNamed(d, "SHUTDOWN_TIMEOUT_MS")).to.deep.equal({ name: "SHUTDOWN_TIMEOUT_MS", value: "20000" });
      expect(podOf(d).terminationGracePeriodSeconds).to.equal(30);
      const custom = (await build({ drainSeconds: 7, shutdownTimeoutSeconds: 11 })).dep;
      expect(appContainer(custom).lifecycle).to.deep.equal({ preStop: { sleep: { seconds: 7 } } });
      expect(envNamed(custom, "SHUTDOWN_TIMEOUT_MS")?.value).to.equal("11000");
      expect(podOf(custom).terminationGracePeriodSeconds).to.equal(7 + 11 + 5);
    });

    it("probes liveness on /healthz and readiness on /readyz through the http port", async () => {
      const d = (await build()).dep;
      const c = appContainer(d);
      expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
      expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/readyz", port: "http" });
      expect(c.startupProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
      expect(containerPort(d, c.readinessProbe.httpGet.port)).to.equal(8080);
    });

    it("runs restricted: non-root, read-only root filesystem, no capabilities, no API token, no service-link env", async () => {
      const d = (await build()).dep;
      const pod = podOf(d);
      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(appContainer(d).securityContext).to.deep.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
      expect(pod.automountServiceAccountToken).to.equal(false);
      expect(pod.enableServiceLinks).to.equal(false);
    });

    it("spreads pods over nodes and zones when it can, never blocking scheduling, counting only the current revision's pods", async () => {
      const d = (await build()).dep;
      const spread = (topologyKey: string) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selectorLabels(NAME) },
        matchLabelKeys: ["pod-template-hash"],
      });
      expect(podOf(d).topologySpreadConstraints).to.deep.equal([spread("kubernetes.io/hostname"), spread("topology.kubernetes.io/zone")]);
    });

    it("gives every pod its name and IP from the downward API, then the state env, then the role's own env", async () => {
      const d = (await build({ env: [{ name: "ROLE_SETTING", value: "on" }] })).dep;
      expect(envOf(d)).to.deep.equal([
        { name: "PORT", value: "8080" },
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "SHUTDOWN_TIMEOUT_MS", value: "20000" },
        { name: "ROLE_SETTING", value: "on" },
      ]);
    });

    it("adds the pod labels asked for (routing, dashboards) on top of the standard ones", async () => {
      const d = (await build({ podLabels: { app: "stats", version: "v2" } })).dep;
      expect(d.inputs.spec.template.metadata.labels).to.deep.equal({ ...labels(NAME, COMPONENT), app: "stats", version: "v2" });
      expect(d.inputs.spec.selector.matchLabels, "the selector stays the stable subset").to.deep.equal(selectorLabels(NAME));
    });
  });

  describe("state", () => {
    const tmp = { volume: { name: "tmp", emptyDir: { sizeLimit: "16Mi" } }, mount: { name: "tmp", mountPath: "/tmp" } };

    it("none: only a 16Mi /tmp (the root filesystem is read-only) and no STATE env", async () => {
      const d = (await build()).dep;
      expect(podOf(d).volumes).to.deep.equal([tmp.volume]);
      expect(mountsOf(d)).to.deep.equal([tmp.mount]);
      expect(envOf(d).map((e) => e.name)).to.not.include.members(["STATE"]);
      expect(envOf(d).filter((e) => e.name.startsWith("STATE") || e.name.startsWith("REDIS") || e.name.startsWith("MONGO"))).to.deep.equal([]);
    });

    it("pod: an emptyDir of the given size mounted where STATE_DIR points", async () => {
      const d = (await build({ state: { kind: "pod", size: "256Mi" } })).dep;
      expect(podOf(d).volumes).to.deep.equal([tmp.volume, { name: "state", emptyDir: { sizeLimit: "256Mi" } }]);
      expect(envNamed(d, "STATE")).to.deep.equal({ name: "STATE", value: "pod" });
      const dir = envNamed(d, "STATE_DIR")?.value;
      expect(dir).to.equal("/var/lib/statefleet");
      expect(mountsOf(d)).to.deep.equal([tmp.mount, { name: "state", mountPath: dir }]);
    });

    it("shared-volume: the claim mounted read-write at STATE_DIR, in the claim's own sub-directory when it has one", async () => {
      const d = (await build((p) => ({ state: { kind: "shared-volume", claim: p.claim } }))).dep;
      expect(podOf(d).volumes).to.deep.equal([tmp.volume, { name: "state", persistentVolumeClaim: { claimName: "stats-data" } }]);
      expect(envOf(d).slice(4)).to.deep.equal([{ name: "STATE", value: "shared-volume" }, { name: "STATE_DIR", value: "/var/lib/statefleet" }]);
      expect(mountsOf(d)).to.deep.equal([tmp.mount, { name: "state", mountPath: "/var/lib/statefleet", readOnly: false, subPath: "apps-ns-stats-data" }]);
    });

    it("shared-volume: a reader mounts read-only (on the mount, not the volume), and a claim without subPath at the volume root", async () => {
      const d = (await build((p) => ({ state: { kind: "shared-volume", claim: p.rootClaim, readOnly: true } }))).dep;
      expect(podOf(d).volumes[1]).to.deep.equal({ name: "state", persistentVolumeClaim: { claimName: "stats-root" } });
      expect(mountsOf(d)[1]).to.deep.equal({ name: "state", mountPath: "/var/lib/statefleet", readOnly: true });
    });

    it("redis: the URL and the password by secretKeyRef, Redis' client labels, and no volume", async () => {
      const d = (await build((p) => ({ state: { kind: "redis", redis: p.redis } }))).dep;
      expect(envOf(d).slice(4)).to.deep.equal([
        { name: "STATE", value: "redis" },
        { name: "REDIS_URL", value: "redis://redis.data-ns.svc.cluster.local:6379" },
        { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } },
      ]);
      expect(d.inputs.spec.template.metadata.labels).to.deep.equal({ ...labels(NAME, COMPONENT), "fake.io/redis-client": "yes" });
      expect(podOf(d).volumes).to.deep.equal([tmp.volume]);
    });

    it("mongo: the connection string only by secretKeyRef, for the default database or the one named", async () => {
      const d = (await build((p) => ({ state: { kind: "mongo", mongo: p.mongo } }))).dep;
      expect(envOf(d).slice(4)).to.deep.equal([
        { name: "STATE", value: "mongo" },
        { name: "MONGO_URL", valueFrom: { secretKeyRef: { name: "mongo-app", key: "url" } } },
      ]);
      expect(d.inputs.spec.template.metadata.labels).to.deep.equal({ ...labels(NAME, COMPONENT), "fake.io/mongo-client": "yes" });
      const shop = (await build((p) => ({ state: { kind: "mongo", mongo: p.mongo, database: "shop_order" } }))).dep;
      expect(envNamed(shop, "MONGO_URL")).to.deep.equal({ name: "MONGO_URL", valueFrom: { secretKeyRef: { name: "mongo-app", key: "url-shop_order" } } });
    });

    it("uses: both data services besides the state store, each with its env and client labels (the default database)", async () => {
      const d = (await build((p) => ({ state: { kind: "pod", size: "64Mi" }, uses: { redis: p.redis, mongo: p.mongo } }))).dep;
      expect(envOf(d).slice(4)).to.deep.equal([
        { name: "STATE", value: "pod" },
        { name: "STATE_DIR", value: "/var/lib/statefleet" },
        { name: "REDIS_URL", value: "redis://redis.data-ns.svc.cluster.local:6379" },
        { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } },
        { name: "MONGO_URL", valueFrom: { secretKeyRef: { name: "mongo-app", key: "url" } } },
      ]);
      expect(d.inputs.spec.template.metadata.labels).to.deep.include({ "fake.io/redis-client": "yes", "fake.io/mongo-client": "yes" });
    });

    it("the state store wins over `uses` of the same kind", async () => {
      const d = (await build((p) => ({
        state: { kind: "mongo", mongo: p.mongo, database: "shop_stock" },
        uses: { mongo: { ...p.mongo, urlSecret: mongoUrl("other", "x"), urlSecretFor: () => mongoUrl("other", "x") } },
      }))).dep;
      expect(envOf(d).filter((e) => e.name === "MONGO_URL")).to.deep.equal([{ name: "MONGO_URL", valueFrom: { secretKeyRef: { name: "mongo-app", key: "url-shop_stock" } } }]);
    });

    it("rolls the pods when a Secret they read changes (checksum annotation), and carries none without Secrets", async () => {
      const annotations = async (over: Over, sums?: Checksums) => (await build(over, sums)).dep.inputs.spec.template.metadata.annotations ?? {};
      const redisAndMongo: Over = (p) => ({ state: { kind: "redis", redis: p.redis }, uses: { mongo: p.mongo } });
      const before = await annotations(redisAndMongo);
      expect(Object.keys(before)).to.deep.equal(["statefleet.io/secret-checksum"]);
      expect(await annotations(redisAndMongo), "the same Secrets, the same template").to.deep.equal(before);
      expect(await annotations(redisAndMongo, { redis: "r2", mongo: "m1" }), "a rotated Redis password").to.not.deep.equal(before);
      expect(await annotations(redisAndMongo, { redis: "r1", mongo: "m2" }), "a rotated MongoDB connection string").to.not.deep.equal(before);
      const mongoOnly = await annotations((p) => ({ state: { kind: "mongo", mongo: p.mongo } }));
      expect(Object.keys(mongoOnly)).to.deep.equal(["statefleet.io/secret-checksum"]);
      expect(await annotations((p) => ({ state: { kind: "mongo", mongo: p.mongo } }), { redis: "r1", mongo: "m2" })).to.not.deep.equal(mongoOnly);
      expect(await annotations({ state: { kind: "pod", size: "1Gi" } })).to.deep.equal({});
    });
  });

  describe("what waits for what", () => {
    it("only the pods wait for Redis, MongoDB and the mesh's injection webhook; every child waits for the namespace", async () => {
      const b = await build((p) => ({
        state: { kind: "redis", redis: p.redis },
        uses: { mongo: p.mongo },
        scaling: { kind: "autoscale", min: 2, max: 4, cpuPercent: 70 },
        mesh: p.mesh,
        clientIpAffinity: { timeoutSeconds: 60 },
        monitoring: p.monitoring,
        exposure: nginx(p),
      }));
      const [redis, mongo, mesh, ns] = ["redis-ready", "mongo-ready", "istio-crds", "namespace"].map(b.fixture);
      for (const on of [redis, mongo, mesh, ns]) expect(b.g.dependsOn(b.dep, on), `the Deployment waits for ${on.name}`).to.equal(true);
      expect(b.children.map((r) => r.type)).to.have.members([T.deployment, T.service, T.hpa, T.pdb, T.serviceMonitor, T.ingress, T.destinationRule, T.peerAuthentication, T.networkPolicy]);
      for (const r of b.children) {
        expect(b.g.dependsOn(r, ns), `${r.type} waits for the namespace`).to.equal(true);
        expect(r.parent, `${r.type} is the Workload's child`).to.equal(b.g.one(T.workload, NAME).urn);
        if (r === b.dep) continue;
        expect(b.g.dependsOn(r, redis) || b.g.dependsOn(r, mongo), `${r.type} does not wait for a data service`).to.equal(false);
      }
      for (const t of [T.service, T.pdb, T.networkPolicy, T.hpa]) expect(b.g.dependsOn(b.one(t), mesh), `${t} does not wait for Istio`).to.equal(false);
      for (const t of [T.destinationRule, T.peerAuthentication]) expect(b.g.dependsOn(b.one(t), mesh), `${t} waits for Istio's CRDs`).to.equal(true);
      expect(b.g.dependsOn(b.one(T.hpa), b.dep), "the HPA waits for its Deployment").to.equal(true);
    });

    it("without a mesh or data service the pods wait for the namespace only", async () => {
      const b = await build({ state: { kind: "pod", size: "1Gi" } });
      expect(b.dep.dependencies).to.deep.equal([b.fixture("namespace").urn]);
    });

    it("waits for the mesh's injection webhook even without Istio objects of its own", async () => {
      const b = await build((p) => ({ mesh: p.permissiveMesh }));
      expect(b.g.dependsOn(b.dep, b.fixture("istio-crds"))).to.equal(true);
      expect(b.children.map((r) => r.type)).to.have.members([T.deployment, T.service, T.networkPolicy]);
    });
  });

  describe("Service", () => {
    it("is a ClusterIP on port 80 to the pods' http port; url and serviceName name it", async () => {
      const b = await build();
      const svc = b.one(T.service);
      expect(svc.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(svc.inputs.spec).to.deep.equal({
        type: "ClusterIP",
        selector: selectorLabels(NAME),
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
      });
      expect(containerPort(b.dep, svc.inputs.spec.ports[0].targetPort)).to.equal(8080);
      expect(selects(svc.inputs.spec.selector, b.dep.inputs.spec.template.metadata.labels)).to.equal(true);
      expect(b.w.url).to.equal(`http://${FQDN}`);
      expect(b.w.serviceName).to.equal(NAME);
    });

    it("sticks a caller IP to one pod for the timeout only with clientIpAffinity", async () => {
      const svc = (await build({ clientIpAffinity: { timeoutSeconds: 600 } })).one(T.service);
      expect(svc.inputs.spec).to.deep.include({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } });
      expect((await build()).one(T.service).inputs.spec).to.not.have.any.keys("sessionAffinity", "sessionAffinityConfig");
    });
  });

  describe("progressive delivery (a Flagger target)", () => {
    /** The labels Flagger gives the primary copy: the selector's app.kubernetes.io/name becomes `<name>-primary`. */
    const primaryLabels = (d: Res) => ({ ...d.inputs.spec.template.metadata.labels, "app.kubernetes.io/name": `${NAME}-primary` });

    it("leaves the Service <name> to the controller; a headless <name>-pods Service selects both copies for scraping", async () => {
      const b = await build((p) => ({ progressiveDelivery: true, monitoring: p.monitoring }));
      expect(b.g.find(T.service, NAME)).to.deep.equal([]);
      const svc = b.one(T.service, `${NAME}-pods`);
      expect(svc.inputs.metadata).to.deep.equal({ name: `${NAME}-pods`, namespace: NS, labels: labels(`${NAME}-pods`, COMPONENT) });
      expect(svc.inputs.spec).to.deep.include({ type: "ClusterIP", clusterIP: "None" });
      expect(svc.inputs.spec.selector).to.deep.equal({ "app.kubernetes.io/part-of": "statefleet", "statefleet.io/workload": NAME });
      expect(selects(svc.inputs.spec.selector, b.dep.inputs.spec.template.metadata.labels), "selects the target's pods").to.equal(true);
      expect(selects(svc.inputs.spec.selector, primaryLabels(b.dep)), "selects the primary copy's pods").to.equal(true);
      const sm = b.one(T.serviceMonitor);
      expect(selects(sm.inputs.spec.selector.matchLabels, svc.inputs.metadata.labels), "the ServiceMonitor scrapes through the headless Service").to.equal(true);
      expect(b.w.serviceName).to.equal(NAME);
    });

    it("keeps the Deployment's replica count the controller set, and covers both copies with the PDB, the policy and the mTLS exception", async () => {
      const b = await build((p) => ({ progressiveDelivery: true, scaling: { kind: "fixed", replicas: 2 }, mesh: p.mesh, monitoring: p.monitoring }));
      expect(b.dep.ignoreChanges).to.deep.equal(["spec.replicas"]);
      expect((await build()).dep.ignoreChanges).to.deep.equal([]);
      const copies = [b.dep.inputs.spec.template.metadata.labels, primaryLabels(b.dep)];
      for (const sel of [b.one(T.pdb).inputs.spec.selector.matchLabels, b.one(T.networkPolicy).inputs.spec.podSelector.matchLabels, b.one(T.peerAuthentication).inputs.spec.selector.matchLabels]) {
        for (const l of copies) expect(selects(sel, l), JSON.stringify(sel)).to.equal(true);
      }
      expect(b.dep.inputs.spec.template.metadata.labels["statefleet.io/workload"]).to.equal(NAME);
      expect(b.dep.inputs.spec.selector.matchLabels, "the target's own selector stays its own").to.deep.equal(selectorLabels(NAME));
    });

    it("refuses an exposure: the controller's routing exposes it", async () => {
      const e = await buildError((p) => ({ progressiveDelivery: true, exposure: nginx(p) }));
      expect(e.message).to.equal(`${NAME}: a progressive-delivery target is exposed by its controller's routing, not by the Workload`);
    });
  });

  describe("scaling: HPA and PDB", () => {
    it("autoscale: an HPA on the app container's CPU, scaling up fast and down slowly, and a PDB", async () => {
      const b = await build({ scaling: { kind: "autoscale", min: 2, max: 6, cpuPercent: 65 } });
      const hpa = b.one(T.hpa);
      expect(hpa.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      const spec = hpa.inputs.spec;
      expect(spec.scaleTargetRef).to.deep.equal({ apiVersion: b.dep.inputs.apiVersion, kind: b.dep.inputs.kind, name: b.dep.inputs.metadata.name });
      expect(spec).to.deep.include({ minReplicas: 2, maxReplicas: 6 });
      expect(spec.metrics).to.deep.equal([
        { type: "ContainerResource", containerResource: { name: "cpu", container: appContainer(b.dep).name, target: { type: "Utilization", averageUtilization: 65 } } },
      ]);
      expect(spec.behavior).to.deep.equal({
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 30 }, { type: "Percent", value: 100, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
      });
      expect(b.one(T.pdb).inputs).to.deep.include({ metadata: { name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) }, spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(NAME) } } });
    });

    it("fixed: no HPA; a PDB with more than one pod, none for a single pod (nothing to keep available)", async () => {
      const two = await build({ scaling: { kind: "fixed", replicas: 2 } });
      expect(two.g.has(T.hpa)).to.equal(false);
      expect(two.one(T.pdb).inputs.spec).to.deep.equal({ maxUnavailable: 1, selector: { matchLabels: selectorLabels(NAME) } });
      const one = await build();
      expect(one.g.has(T.pdb)).to.equal(false);
      expect(one.g.has(T.hpa)).to.equal(false);
    });
  });

  describe("ServiceMonitor", () => {
    it("only with monitoring: scrapes the Service's http port, carrying the extra pod labels onto the series", async () => {
      expect((await build()).g.has(T.serviceMonitor)).to.equal(false);
      const b = await build((p) => ({ monitoring: p.monitoring, podLabels: { app: "stats", version: "v1" } }));
      const sm = b.one(T.serviceMonitor);
      const svc = b.one(T.service);
      expect(sm.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: { ...labels(NAME, COMPONENT), release: "prom" } });
      expect(selects(sm.inputs.spec.selector.matchLabels, svc.inputs.metadata.labels)).to.equal(true);
      expect(sm.inputs.spec.selector.matchLabels).to.deep.equal(selectorLabels(NAME));
      expect(sm.inputs.spec.endpoints.map((e: { port: string }) => e.port)).to.deep.equal([svc.inputs.spec.ports[0].name]);
      expect(sm.inputs.spec.podTargetLabels).to.deep.equal(["app", "version"]);
      for (const on of [b.fixture("monitoring-crds"), svc, b.fixture("namespace")]) expect(b.g.dependsOn(sm, on), on.name).to.equal(true);
      const plain = (await build((p) => ({ monitoring: p.monitoring }))).one(T.serviceMonitor);
      expect(plain.inputs.spec).to.not.have.property("podTargetLabels");
    });
  });

  describe("Ingress (ingress-nginx)", () => {
    /** ingress-nginx's routing of `path` over the Workload's Ingress (test/harness/gateway-rewrite.ts). */
    const forward = (ing: Res, path: string) => nginxForward([ing.inputs], ing.inputs.spec.rules[0].host ?? "", path);

    it("strips the prefix as ingress-nginx's rewrite rule does: <path>/x → /x, <path> → /, a look-alike prefix is not routed", async () => {
      const b = await build((p) => ({ exposure: nginx(p) }));
      const ing = b.one(T.ingress);
      expect(ing.inputs.metadata).to.deep.equal({
        name: NAME, namespace: NS, labels: labels(NAME, COMPONENT),
        annotations: { "nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$2" },
      });
      expect(ing.inputs.spec.ingressClassName).to.equal("nginx-class");
      expect(ing.inputs.spec.rules).to.have.length(1);
      const rule = ing.inputs.spec.rules[0];
      expect(rule.host).to.equal("stats.example.test");
      expect(rule.http.paths).to.deep.equal([
        { path: nginxRegexPath("/stats"), pathType: "ImplementationSpecific", backend: { service: { name: b.one(T.service).inputs.metadata.name, port: { name: "http" } } } },
      ]);
      expect(forward(ing, "/stats/x/y?q=1")).to.deep.equal({ service: NAME, path: "/x/y?q=1" });
      expect(forward(ing, "/stats/")).to.deep.equal({ service: NAME, path: "/" });
      expect(forward(ing, "/stats")).to.deep.equal({ service: NAME, path: "/" });
      expect(forward(ing, "/statsx")).to.equal(undefined);
      expect(forward(ing, "/other/stats")).to.equal(undefined);
    });

    it("strips nothing at the root: every path reaches the app as sent", async () => {
      const ing = (await build((p) => ({ exposure: nginx(p, { path: "/", host: "" }) }))).one(T.ingress);
      expect(ing.inputs.spec.rules[0]).to.not.have.property("host");
      for (const path of ["/", "/x", "/stats/y"]) expect(forward(ing, path)).to.deep.equal({ service: NAME, path });
    });

    it("without stripPrefix: a Prefix path (trailing slash trimmed) and no rewrite", async () => {
      const ing = (await build((p) => ({ exposure: nginx(p, { stripPrefix: false, path: "/stats//" }) }))).one(T.ingress);
      expect(ing.inputs.metadata.annotations).to.deep.equal({});
      expect(ing.inputs.spec.rules[0].http.paths).to.deep.equal([{ path: "/stats", pathType: "Prefix", backend: { service: { name: NAME, port: { name: "http" } } } }]);
    });

    it("cookie affinity: a persistent ingress-nginx cookie on the plain prefix path (a regex is not a cookie path)", async () => {
      const b = await build((p) => ({ exposure: nginx(p, { path: "/stats/", cookieAffinity: { cookieName: "STATSID" } }) }));
      expect(b.one(T.ingress).inputs.metadata.annotations).to.deep.equal({
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
        "nginx.ingress.kubernetes.io/session-cookie-name": "STATSID",
        "nginx.ingress.kubernetes.io/session-cookie-path": "/stats",
        "nginx.ingress.kubernetes.io/session-cookie-samesite": "Lax",
      });
      const plain = await build((p) => ({ exposure: nginx(p, { stripPrefix: false, path: "/", cookieAffinity: { cookieName: "S" } }) }));
      expect(plain.one(T.ingress).inputs.metadata.annotations).to.include({ "nginx.ingress.kubernetes.io/session-cookie-path": "/", "nginx.ingress.kubernetes.io/affinity": "cookie" });
      expect(plain.one(T.ingress).inputs.metadata.annotations).to.not.have.property("nginx.ingress.kubernetes.io/use-regex");
    });

    it("waits for the controller (its admission webhook) and the Service", async () => {
      const b = await build((p) => ({ exposure: nginx(p) }));
      const ing = b.one(T.ingress);
      for (const on of [b.fixture("nginx-ready"), b.one(T.service), b.fixture("namespace")]) expect(b.g.dependsOn(ing, on), on.name).to.equal(true);
      expect(b.g.has(T.virtualService)).to.equal(false);
    });
  });

  describe("VirtualService (Istio gateway)", () => {
    const forward = (vs: Res, host: string, path: string) => istioForward([vs.inputs], host, path);

    it("binds to the gateway and strips the prefix as Istio's prefix rewrite does", async () => {
      const b = await build((p) => ({ exposure: gateway(p.mesh) }));
      const vs = b.one(T.virtualService);
      expect(vs.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(vs.inputs.spec.hosts).to.deep.equal(["stats.example.test"]);
      expect(vs.inputs.spec.gateways).to.deep.equal([GATEWAY]);
      expect(vs.inputs.spec.http).to.deep.equal([
        { name: NAME, match: istioMatches("/stats"), rewrite: { uri: "/" }, route: [{ destination: { host: FQDN, port: { number: b.one(T.service).inputs.spec.ports[0].port } } }] },
      ]);
      const to = (path: string) => ({ service: FQDN, path });
      expect(forward(vs, "stats.example.test", "/stats/x/y")).to.deep.equal(to("/x/y"));
      expect(forward(vs, "stats.example.test", "/stats")).to.deep.equal(to("/"));
      expect(forward(vs, "stats.example.test", "/stats/")).to.deep.equal(to("/"));
      expect(forward(vs, "stats.example.test", "/statsx")).to.equal(undefined);
      for (const on of [b.fixture("istio-crds"), b.one(T.service), b.fixture("namespace")]) expect(b.g.dependsOn(vs, on), on.name).to.equal(true);
      expect(b.g.has(T.ingress)).to.equal(false);
    });

    it("any host is `*`; without stripPrefix the path reaches the app unchanged; the root matches everything", async () => {
      const vs = (await build((p) => ({ exposure: gateway(p.mesh, { host: "", stripPrefix: false }) }))).one(T.virtualService);
      expect(vs.inputs.spec.hosts).to.deep.equal(["*"]);
      expect(vs.inputs.spec.http[0]).to.not.have.property("rewrite");
      expect(forward(vs, "anything.test", "/stats/x")).to.deep.equal({ service: FQDN, path: "/stats/x" });
      const root = (await build((p) => ({ exposure: gateway(p.mesh, { path: "/" }) }))).one(T.virtualService);
      expect(root.inputs.spec.http[0].match).to.deep.equal([{ uri: { prefix: "/" } }]);
      for (const path of ["/", "/x/y"]) expect(forward(root, "stats.example.test", path)).to.deep.equal({ service: FQDN, path });
    });

    it("refuses the gateway exposure when the gateway is off, with the workload's name", async () => {
      const e = await buildError((p) => ({ exposure: gateway({ ...p.mesh, gateway: undefined }) }));
      expect(e.message).to.equal(`${NAME}: exposure via istio-gateway, but the Istio gateway is off`);
    });
  });

  describe("mesh: DestinationRule and PeerAuthentication", () => {
    it("hashes on the source IP in the mesh only with clientIpAffinity (Envoy ignores the Service's affinity)", async () => {
      const b = await build((p) => ({ mesh: p.mesh, clientIpAffinity: { timeoutSeconds: 60 } }));
      const dr = b.one(T.destinationRule);
      expect(dr.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(dr.inputs.spec).to.deep.equal({ host: FQDN, trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } });
      expect((await build((p) => ({ mesh: p.mesh }))).g.has(T.destinationRule), "mesh, no affinity").to.equal(false);
      expect((await build({ clientIpAffinity: { timeoutSeconds: 60 } })).g.has(T.destinationRule), "affinity, no mesh").to.equal(false);
    });

    it("under STRICT mTLS lets plaintext callers (ingress-nginx, Prometheus) reach the app port only", async () => {
      const b = await build((p) => ({ mesh: p.mesh, exposure: nginx(p) }));
      const pa = b.one(T.peerAuthentication);
      expect(pa.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(pa.inputs.spec).to.deep.equal({ selector: { matchLabels: selectorLabels(NAME) }, mtls: { mode: "STRICT" }, portLevelMtls: { [String(containerPort(b.dep, "http"))]: { mode: "PERMISSIVE" } } });
      expect(b.g.dependsOn(pa, b.fixture("istio-crds"))).to.equal(true);
      expect((await build((p) => ({ mesh: p.mesh, monitoring: p.monitoring }))).g.has(T.peerAuthentication), "Prometheus").to.equal(true);
    });

    it("needs no exception without plaintext callers, under PERMISSIVE, or outside the mesh", async () => {
      expect((await build((p) => ({ mesh: p.mesh, exposure: gateway(p.mesh) }))).g.has(T.peerAuthentication), "gateway (has a sidecar)").to.equal(false);
      expect((await build((p) => ({ mesh: p.mesh }))).g.has(T.peerAuthentication), "no callers").to.equal(false);
      expect((await build((p) => ({ mesh: p.permissiveMesh, exposure: nginx(p), monitoring: p.monitoring }))).g.has(T.peerAuthentication), "PERMISSIVE").to.equal(false);
      expect((await build((p) => ({ exposure: nginx(p), monitoring: p.monitoring }))).g.has(T.peerAuthentication), "no mesh").to.equal(false);
    });
  });

  describe("NetworkPolicy", () => {
    it("admits exactly the entry point, Prometheus and the named clients on the app port, and lets it reach exactly its data, callees and istiod", async () => {
      const b = await build((p) => ({
        state: { kind: "redis", redis: p.redis },
        uses: { mongo: p.mongo },
        exposure: nginx(p),
        monitoring: p.monitoring,
        mesh: p.mesh,
        clients: [{ app: "logoutput" }, { app: "shop-gateway" }],
        calls: [{ app: "pingpong" }],
      }));
      const np = b.one(T.networkPolicy);
      const appPort = tcp(containerPort(b.dep, "http"));
      expect(np.inputs.metadata).to.deep.equal({ name: NAME, namespace: NS, labels: labels(NAME, COMPONENT) });
      expect(np.inputs.spec.podSelector).to.deep.equal({ matchLabels: selectorLabels(NAME) });
      expect(np.inputs.spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
      expect(np.inputs.spec.ingress).to.deep.equal([{
        from: [
          podsInNamespace(PLATFORM_NAMESPACES.ingressNginx),
          podsInNamespace(PLATFORM_NAMESPACES.monitoring),
          { podSelector: { matchLabels: { app: "logoutput" } } },
          { podSelector: { matchLabels: { app: "shop-gateway" } } },
        ],
        ports: appPort,
      }]);
      expect(np.inputs.spec.egress).to.deep.equal([
        { to: [podsInNamespace(NAMESPACES.data)], ports: tcp(REDIS_DEFAULT_PORT) },
        { to: [podsInNamespace(NAMESPACES.data)], ports: tcp(MONGO_DEFAULT_PORT) },
        { to: [{ podSelector: { matchLabels: { app: "pingpong" } } }], ports: appPort },
        { to: [podsInNamespace(PLATFORM_NAMESPACES.istioSystem)], ports: tcp(ISTIOD_XDS_PORT) },
      ]);
    });

    it("behind the Istio gateway admits the gateway's namespace; the store alone is Mongo's port", async () => {
      const np = (await build((p) => ({ exposure: gateway(p.mesh), state: { kind: "mongo", mongo: p.mongo } }))).one(T.networkPolicy);
      expect(np.inputs.spec.ingress).to.deep.equal([{ from: [podsInNamespace(PLATFORM_NAMESPACES.istioIngress)], ports: tcp(8080) }]);
      expect(np.inputs.spec.egress).to.deep.equal([{ to: [podsInNamespace(NAMESPACES.data)], ports: tcp(MONGO_DEFAULT_PORT) }]);
    });

    it("admits nobody and reaches nothing (DNS aside) when nothing is named", async () => {
      const np = (await build()).one(T.networkPolicy);
      expect(np.inputs.spec).to.deep.equal({ podSelector: { matchLabels: selectorLabels(NAME) }, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] });
    });
  });

  describe("every object", () => {
    it("is schema-valid and passes the stack policy, in the richest and the leanest shapes", async function () {
      this.timeout(30_000);
      for (const over of [
        ((p) => ({
          state: { kind: "shared-volume", claim: p.claim }, uses: { redis: p.redis, mongo: p.mongo }, scaling: { kind: "autoscale", min: 2, max: 4, cpuPercent: 70 },
          exposure: nginx(p, { cookieAffinity: { cookieName: "S" } }), monitoring: p.monitoring, mesh: p.mesh, clientIpAffinity: { timeoutSeconds: 60 }, podLabels: { version: "v1" },
          clients: [{ app: "a" }], calls: [{ app: "b" }],
        })) as Over,
        ((p) => ({ state: { kind: "mongo", mongo: p.mongo, database: "shop_payment" }, exposure: gateway(p.mesh), mesh: p.mesh, scaling: { kind: "fixed", replicas: 3 } })) as Over,
        ((p) => ({ progressiveDelivery: true, monitoring: p.monitoring, mesh: p.mesh, scaling: { kind: "fixed", replicas: 2 } })) as Over,
        {} as Over,
      ]) {
        const b = await build(over);
        const ours = new Set(b.children.map((r) => `${r.type} ${r.name}:`));
        const about = (line: string) => [...ours].some((k) => line.includes(k));
        expect([...(await validateManifests(b.g)).filter(about), ...policyViolations(b.g).filter(about)]).to.deep.equal([]);
      }
    });
  });

  describe("path helpers", () => {
    it("istioMatches: `/p` exactly and everything under `/p/`, trailing slashes trimmed; the root is one prefix match", () => {
      const m = istioMatches("/stats//");
      expect(m).to.deep.equal([{ uri: { exact: "/stats" } }, { uri: { prefix: "/stats/" } }]);
      const hits = (path: string) => m.some((x) => stringMatches(x.uri, path));
      expect(["/stats", "/stats/", "/stats/x"].filter(hits)).to.have.length(3);
      expect(["/statsx", "/stat", "/x/stats"].filter(hits)).to.deep.equal([]);
      for (const root of ["/", "", "///"]) expect(istioMatches(root), JSON.stringify(root)).to.deep.equal([{ uri: { prefix: "/" } }]);
      expect(istioMatches("/a/b/")).to.deep.equal([{ uri: { exact: "/a/b" } }, { uri: { prefix: "/a/b/" } }]);
    });

    it("nginxRegexPath: the second group is what the app sees (rewrite-target /$2), for any trailing slashes and the root", () => {
      /** ingress-nginx: the location matches `^<path>` case-insensitively; the rewrite keeps group 2. */
      const seen = (regex: string, url: string) => {
        if (!new RegExp(`^${regex}`, "i").test(url)) return undefined;
        const m = new RegExp(regex, "i").exec(url)!;
        return `/${m[2]}`;
      };
      for (const path of ["/stats", "/stats/", "/stats///"]) {
        const re = nginxRegexPath(path);
        expect(seen(re, "/stats/x"), path).to.equal("/x");
        expect(seen(re, "/stats"), path).to.equal("/");
        expect(seen(re, "/stats/"), path).to.equal("/");
        expect(seen(re, "/stats/a/b"), path).to.equal("/a/b");
        expect(seen(re, "/statsx"), path).to.equal(undefined);
      }
      expect(seen(nginxRegexPath("/a/b/"), "/a/b/c")).to.equal("/c");
      expect(seen(nginxRegexPath("/a/b/"), "/a/bc")).to.equal(undefined);
      for (const root of ["/", "", "//"]) {
        const re = nginxRegexPath(root);
        expect(seen(re, "/"), JSON.stringify(root)).to.equal("/");
        expect(seen(re, "/x/y"), JSON.stringify(root)).to.equal("/x/y");
      }
    });
  });
});
