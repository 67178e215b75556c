/**
 * The app variants as the program builds them: what each state strategy, affinity, scaling mode
 * and logoutput source turns into, for both stacks, and that every object of ours is schema-valid
 * and passes every policy. The Workload component (components/workload.ts) is exercised through
 * the real program with the real stack files plus overrides.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { MONITOR_LABELS } from "../components/platform/monitoring";
import { evaluate, valueOf, type EvaluateOptions } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { appContainer, envOf, podOf } from "./harness/pods";
import { validateManifests } from "./harness/manifests";
import { policyViolations } from "./harness/policies";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  peerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  namespace: "kubernetes:core/v1:Namespace",
  release: "kubernetes:helm.sh/v3:Release",
  workload: "statefleet:app:Workload",
  stats: "statefleet:variants:StatsApp",
  pingpong: "statefleet:variants:PingPongApp",
};

const envValue = (d: Res, name: string) => envOf(d).find((e) => e.name === name)?.value;
const hasEnv = (d: Res, name: string) => envOf(d).some((e) => e.name === name);
const stateVolume = (d: Res) => podOf(d).volumes.find((v: { name: string }) => v.name === "state");
const stateMount = (d: Res) => appContainer(d).volumeMounts.find((m: { name: string }) => m.name === "state");
const annotations = (r: Res): Record<string, string> => r.inputs.metadata.annotations ?? {};

/** Every resource under the variant components (the Workloads and their children). */
function ours(graph: Graph): Res[] {
  return graph.resources.filter((r) => graph.ancestry(r).some((t) => t === T.stats || t === T.pingpong));
}

/** Schema and policy findings about our objects only (other layers test their own). */
async function findingsAboutOurs(graph: Graph): Promise<string[]> {
  const keys = ours(graph).map((r) => `${r.type} ${r.name}`);
  const about = (line: string) => keys.some((k) => line.includes(`${k}:`));
  return [...(await validateManifests(graph)).filter(about), ...policyViolations(graph).filter(about)];
}

type Peer = Record<string, unknown>;
/** Pods of a namespace, by the label Kubernetes puts on every namespace (`kubernetes.io/metadata.name`). */
const podsInNamespace = (ns: string): Peer => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
/** Where a platform chart runs: the namespace of its Helm release. */
function chartNamespace(g: Graph, chart: string): string {
  const releases = g.ofType(T.release).filter((r) => r.inputs.chart === chart);
  expect(releases, `one Helm release of chart ${chart}`).to.have.length(1);
  return releases[0].inputs.namespace;
}
/** The pods of one of our Deployments, by its own selector. */
const podsOf = (g: Graph, deployment: string): Peer => ({ podSelector: { matchLabels: g.one(T.deployment, deployment).inputs.spec.selector.matchLabels } });
/** The TCP port a workload's container serves on, by port name. */
function tcpPort(workload: Res, portName: string): { protocol: string; port: number }[] {
  const ports = podOf(workload).containers.flatMap((c: { ports?: { name: string; containerPort: number }[] }) => c.ports ?? []);
  const port = ports.find((p: { name: string }) => p.name === portName);
  expect(port, `${workload.name} has a port named ${portName}`).to.not.equal(undefined);
  return [{ protocol: "TCP", port: port.containerPort }];
}
/** istiod serves xDS and certificates to sidecars on 15012 (Istio's "Ports used by Istio" table). */
const ISTIOD_XDS = [{ protocol: "TCP", port: 15012 }];

/** The peers an app policy may name, read off the graph: entry points, Prometheus, istiod, Redis. */
function platformPeers(g: Graph) {
  const redis = g.find(T.statefulSet, "redis")[0];
  return {
    nginx: podsInNamespace(chartNamespace(g, "ingress-nginx")),
    gateway: podsInNamespace(chartNamespace(g, "gateway")),
    prometheus: podsInNamespace(chartNamespace(g, "kube-prometheus-stack")),
    istiod: { to: [podsInNamespace(chartNamespace(g, "istiod"))], ports: ISTIOD_XDS },
    toRedis: redis ? { to: [podsInNamespace(redis.inputs.metadata.namespace)], ports: tcpPort(redis, "redis") } : undefined,
  };
}

/**
 * An app's NetworkPolicy, whole: it selects the app's pods, admits exactly `from` on the app port
 * and nothing else, and reaches exactly `egress`. An extra rule or peer (an empty podSelector or
 * namespaceSelector, an ipBlock) makes the policy admit pods nobody declared: a failure here.
 */
function expectPolicyExactly(g: Graph, app: string, from: Peer[], egress: { to: Peer[]; ports: unknown[] }[]) {
  const spec = g.one(T.networkPolicy, app).inputs.spec;
  const port = tcpPort(g.one(T.deployment, app), "http");
  expect(spec.podSelector, `${app}: selects its own pods`).to.deep.equal(podsOf(g, app).podSelector);
  expect(spec.policyTypes, `${app}: both directions are restricted`).to.have.members(["Ingress", "Egress"]);
  expect(spec.ingress, `${app}: one ingress rule, on the app port`).to.have.length(1);
  expect(spec.ingress[0].ports, `${app}: admitted on the app port only`).to.deep.equal(port);
  expect(spec.ingress[0].from, `${app}: admits exactly these callers`).to.have.deep.members(from);
  expect(spec.egress, `${app}: reaches exactly these peers`).to.have.deep.members(egress);
}

/**
 * The app's probe contract (docs/app.md): `/healthz` answers while the process lives and never asks
 * the store, `/readyz` only while the store answers. So a store outage takes pods out of the
 * Service (readiness) without restarting them (liveness, startup). Probes go to the port the app
 * listens on (PORT), by the container port's name or number.
 */
function expectProbeContract(g: Graph) {
  const deployments = ours(g).filter((r) => r.type === T.deployment);
  expect(deployments.length).to.be.greaterThan(0);
  for (const d of deployments) {
    const c = appContainer(d);
    const listens = Number(envValue(d, "PORT"));
    const port = (c.ports ?? []).find((p: { containerPort: number }) => p.containerPort === listens);
    expect(port, `${d.name}: a container port for PORT ${listens}`).to.not.equal(undefined);
    const probe = (kind: string) => c[kind]?.httpGet ?? {};
    for (const [kind, path] of [["livenessProbe", "/healthz"], ["startupProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
      expect(probe(kind).path, `${d.name}: ${kind} path`).to.equal(path);
      expect([port.name, port.containerPort], `${d.name}: ${kind} port`).to.include(probe(kind).port);
    }
  }
}

/** `{ "statefleet:apps": apps }` as an evaluate override. */
const apps = (a: Record<string, unknown>, extra: Record<string, unknown> = {}): EvaluateOptions => ({ overrides: { "statefleet:apps": a, ...extra } });

describe("app variants", () => {
  describe("dev stack as committed (stats: 2 replicas on Redis via ingress-nginx; pingpong: shared volume, 1 replica; logoutput via the Istio gateway)", () => {
    let g: Graph;
    before(async () => { g = await evaluate("dev"); });

    it("runs stats with 2 fixed replicas on Redis, the password from the Secret, and the Redis client label", () => {
      const d = g.one(T.deployment, "stats");
      expect(d.inputs.spec.replicas).to.equal(2);
      expect(appContainer(d).args).to.deep.equal(["stats"]);
      expect(envValue(d, "STATE")).to.equal("redis");
      expect(envValue(d, "REDIS_URL")).to.match(/^redis:\/\/[^@]+:6379$/);
      const pw = envOf(d).find((e) => e.name === "REDIS_PASSWORD");
      expect(pw?.value, "a literal password").to.equal(undefined);
      expect(pw?.valueFrom).to.have.property("secretKeyRef");
      expect(d.inputs.spec.template.metadata.labels).to.include({ "statefleet.io/redis-client": "true" });
      expect(stateVolume(d), "a Redis-backed pod needs no state volume").to.equal(undefined);
      expect(envValue(d, "TRUST_PROXY")).to.equal("true");
    });

    it("runs every container from the app image, with the role as the only argument", async () => {
      const ref = await valueOf(g.outputs.appImage as pulumi.Output<string>);
      const deployments = ours(g).filter((r) => r.type === T.deployment);
      expect(deployments.map((d) => d.name).sort()).to.deep.equal(["logoutput", "pingpong", "stats"]);
      for (const d of deployments) {
        expect(appContainer(d).image, d.name).to.equal(ref);
        expect(appContainer(d).args, d.name).to.deep.equal([d.name]);
      }
    });

    it("gives every pod the safe defaults: restricted security, probes, drain before SIGTERM, downward API, no token", () => {
      for (const d of ours(g).filter((r) => r.type === T.deployment)) {
        const pod = podOf(d);
        const c = appContainer(d);
        expect(pod.automountServiceAccountToken, d.name).to.equal(false);
        expect(c.securityContext.readOnlyRootFilesystem, d.name).to.equal(true);
        expect(c.startupProbe && c.readinessProbe && c.livenessProbe, d.name).to.not.equal(undefined);
        expect(c.lifecycle.preStop, d.name).to.deep.equal({ sleep: { seconds: 5 } });
        const shutdownSeconds = Number(envValue(d, "SHUTDOWN_TIMEOUT_MS")) / 1000;
        expect(pod.terminationGracePeriodSeconds, d.name).to.be.greaterThan(shutdownSeconds + c.lifecycle.preStop.sleep.seconds);
        expect(envOf(d).find((e) => e.name === "POD_NAME")?.valueFrom, d.name).to.deep.equal({ fieldRef: { fieldPath: "metadata.name" } });
        expect(envOf(d).find((e) => e.name === "POD_IP")?.valueFrom, d.name).to.deep.equal({ fieldRef: { fieldPath: "status.podIP" } });
        expect(pod.topologySpreadConstraints.map((t: { topologyKey: string; whenUnsatisfiable: string }) => `${t.topologyKey}/${t.whenUnsatisfiable}`), d.name)
          .to.include("kubernetes.io/hostname/ScheduleAnyway");
        expect(c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/tmp"), `${d.name}: writable /tmp`).to.not.equal(undefined);
      }
    });

    it("takes pods out of rotation on /readyz and restarts them only on /healthz, on the app's port", () => expectProbeContract(g));

    it("puts stats behind ingress-nginx at /stats, rewritten to /, without affinity", () => {
      const ing = g.one(T.ingress, "stats");
      expect(ing.inputs.spec.ingressClassName).to.be.a("string").and.not.equal("");
      const rule = ing.inputs.spec.rules[0];
      expect(rule.host).to.equal("statefleet.localhost");
      expect(rule.http.paths[0]).to.deep.include({ path: "/stats(/|$)(.*)", pathType: "ImplementationSpecific" });
      expect(rule.http.paths[0].backend.service.name).to.equal("stats");
      expect(g.dependsOn(ing, g.one(T.release, /ingress-nginx/)), "waits for the controller and its admission webhook").to.equal(true);
      expect(annotations(ing)).to.include({ "nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$2" });
      expect(annotations(ing)).to.not.have.property("nginx.ingress.kubernetes.io/affinity");
      expect(g.one(T.service, "stats").inputs.spec).to.not.have.property("sessionAffinity");
      expect(g.one(T.service, "stats").inputs.spec.type).to.equal("ClusterIP");
    });

    it("puts pingpong behind ingress-nginx at /pingpong without stripping it, so `curl /pingpong` answers `pong N`", () => {
      const ing = g.one(T.ingress, "pingpong");
      expect(ing.inputs.spec.rules[0].http.paths[0]).to.deep.include({ path: "/pingpong", pathType: "Prefix" });
      expect(annotations(ing)).to.not.have.property("nginx.ingress.kubernetes.io/rewrite-target");
    });

    it("covers 2 stats replicas with a PDB, and the single pingpong replica with none", () => {
      expect(g.one(T.pdb, "stats").inputs.spec).to.deep.include({ maxUnavailable: 1 });
      expect(g.has(T.pdb, "pingpong")).to.equal(false);
      expect(g.has(T.hpa, /^(stats|pingpong|logoutput)$/)).to.equal(false);
    });

    it("keeps pingpong's counter on the shared RWX claim, one replica, never two writers during a rollout", () => {
      const d = g.one(T.deployment, "pingpong");
      expect(d.inputs.spec.replicas).to.equal(1);
      expect(d.inputs.spec.strategy).to.deep.equal({ type: "Recreate" });
      expect(envValue(d, "STATE")).to.equal("shared-volume");
      expect(envValue(d, "STATE_DIR")).to.equal(stateMount(d).mountPath);
      expect(stateVolume(d).persistentVolumeClaim.claimName).to.be.a("string");
      expect(stateMount(d).readOnly).to.equal(false);
      // k3d: every claim is a sub-directory of the one shared host directory (RwxClaim.subPath).
      expect(stateMount(d).subPath).to.be.a("string").and.not.equal("");
    });

    it("lets logoutput read the same claim, read-only, with pingpong's STATE", () => {
      const pp = g.one(T.deployment, "pingpong");
      const lo = g.one(T.deployment, "logoutput");
      expect(appContainer(lo).args).to.deep.equal(["logoutput"]);
      expect(envValue(lo, "STATE")).to.equal("shared-volume");
      expect(hasEnv(lo, "PINGPONG_URL")).to.equal(false);
      expect(stateVolume(lo).persistentVolumeClaim.claimName).to.equal(stateVolume(pp).persistentVolumeClaim.claimName);
      expect(stateMount(lo).readOnly).to.equal(true);
      expect(stateMount(lo).subPath).to.equal(stateMount(pp).subPath);
      expect(lo.inputs.spec.replicas).to.equal(1);
    });

    it("routes logoutput through the Istio gateway at / once the Istio CRDs exist", () => {
      const vs = g.one(T.virtualService, "logoutput");
      expect(vs.inputs.spec.gateways).to.have.length(1);
      expect(vs.inputs.spec.gateways[0]).to.match(/^[a-z0-9-]+\/[a-z0-9-]+$/);
      expect(vs.inputs.spec.hosts).to.deep.equal(["statefleet.localhost"]);
      expect(vs.inputs.spec.http[0].match).to.deep.equal([{ uri: { prefix: "/" } }]);
      expect(vs.inputs.spec.http[0].route[0].destination).to.deep.equal({ host: "logoutput.statefleet-apps.svc.cluster.local", port: { number: 80 } });
      expect(g.dependsOn(vs, g.one(T.release, /istiod/)), "waits for istiod (Istio's crdsReady: CRDs + validating webhook)").to.equal(true);
      expect(g.has(T.ingress, "logoutput")).to.equal(false);
    });

    it("makes the Redis-backed Deployment wait for the Redis StatefulSet (and the namespace), and the others not", () => {
      const redis = g.one(T.statefulSet, "redis");
      expect(g.dependsOn(g.one(T.deployment, "stats"), redis)).to.equal(true);
      expect(g.dependsOn(g.one(T.deployment, "pingpong"), redis)).to.equal(false);
      for (const d of ours(g).filter((r) => r.type === T.deployment)) expect(g.dependsOn(d, g.one(T.namespace, "statefleet-apps")), d.name).to.equal(true);
    });

    it("creates app pods only after istiod, so the injection webhook gives every pod its sidecar", () => {
      for (const d of ours(g).filter((r) => r.type === T.deployment)) expect(g.dependsOn(d, g.one(T.release, /istiod/)), d.name).to.equal(true);
    });

    it("scrapes every app with a ServiceMonitor the Prometheus operator picks up", () => {
      for (const name of ["stats", "pingpong", "logoutput"]) {
        const sm = g.one(T.serviceMonitor, name);
        expect(sm.inputs.spec.endpoints[0]).to.deep.include({ port: "http", path: "/metrics" });
        expect(sm.inputs.spec.selector.matchLabels).to.deep.equal(g.one(T.deployment, name).inputs.spec.selector.matchLabels);
        expect(g.dependsOn(sm, g.one(T.release, /^monitoring/)), `${name}: waits for the prometheus-operator CRDs`).to.equal(true);
        expect(sm.inputs.metadata.labels, `${name}: picked up by the Prometheus operator`).to.include(MONITOR_LABELS);
      }
    });

    it("admits only each app's entry point and Prometheus, and lets only stats reach Redis (whole policies)", () => {
      const { nginx, gateway, prometheus, istiod, toRedis } = platformPeers(g);
      expectPolicyExactly(g, "stats", [nginx, prometheus], [toRedis!, istiod]);
      expectPolicyExactly(g, "pingpong", [nginx, prometheus], [istiod]);
      expectPolicyExactly(g, "logoutput", [gateway, prometheus], [istiod]);
    });

    it("admits each app's entry point and Prometheus, and lets stats reach Redis only", () => {
      const from = (name: string) => g.one(T.networkPolicy, name).inputs.spec.ingress.flatMap((r: { from: unknown[] }) => r.from);
      const nsOf = (peers: { namespaceSelector?: { matchLabels: Record<string, string> } }[]) => peers.map((p) => p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"]).filter(Boolean);
      expect(nsOf(from("stats"))).to.have.members(["ingress-nginx", "monitoring"]);
      expect(nsOf(from("logoutput"))).to.have.members(["istio-ingress", "monitoring"]);
      const egressPorts = (name: string) => g.one(T.networkPolicy, name).inputs.spec.egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port));
      expect(egressPorts("stats")).to.include(6379);
      expect(egressPorts("pingpong")).to.not.include(6379);
      for (const np of ours(g).filter((r) => r.type === T.networkPolicy)) expect(np.inputs.spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
    });

    it("exports URLs through the k3d host ports: ingress-nginx on httpPort, the Istio gateway on istioPort", async () => {
      expect(await valueOf(g.outputs.statsUrl as pulumi.Output<string>)).to.equal("http://statefleet.localhost:8080/stats");
      expect(await valueOf(g.outputs.pingpongUrl as pulumi.Output<string>)).to.equal("http://statefleet.localhost:8080/pingpong");
      expect(await valueOf(g.outputs.logoutputUrl as pulumi.Output<string>)).to.equal("http://statefleet.localhost:8081/");
    });

    it("parents every Workload child under its variant component", () => {
      for (const name of ["stats"]) expect(g.ancestry(g.one(T.deployment, name))).to.deep.equal([T.stats, T.workload]);
      for (const name of ["pingpong", "logoutput"]) {
        expect(g.ancestry(g.one(T.deployment, name))).to.deep.equal([T.pingpong, T.workload]);
        expect(g.ancestry(g.one(T.service, name))).to.deep.equal([T.pingpong, T.workload]);
      }
      expect(g.ancestry(g.one(T.ingress, "stats"))).to.deep.equal([T.stats, T.workload]);
    });

    it("has no schema or policy findings on any of our objects", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks stack as committed (stats autoscaled on Redis with cookie affinity; pingpong on Azure Files via Istio — test/azure-files.test.ts)", () => {
    let g: Graph;
    before(async () => { g = await evaluate("aks"); });

    it("autoscales stats with an HPA on the app container's CPU, with slow scale-down, and no replicas in the Deployment", () => {
      const d = g.one(T.deployment, "stats");
      expect(d.inputs.spec).to.not.have.property("replicas");
      const hpa = g.one(T.hpa, "stats");
      expect(hpa.inputs.spec).to.deep.include({ minReplicas: 2, maxReplicas: 6 });
      expect(hpa.inputs.spec.scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "stats" });
      expect(hpa.inputs.spec.metrics[0].containerResource).to.deep.include({ name: "cpu", container: "app" });
      expect(hpa.inputs.spec.metrics[0].containerResource.target).to.deep.equal({ type: "Utilization", averageUtilization: 70 });
      expect(hpa.inputs.spec.behavior.scaleDown.stabilizationWindowSeconds).to.be.at.least(60);
      expect(g.one(T.pdb, "stats").inputs.spec.maxUnavailable).to.equal(1);
    });

    it("takes pods out of rotation on /readyz and restarts them only on /healthz, on the app's port", () => expectProbeContract(g));

    it("makes stats sticky with the ingress-nginx cookie, on the exposure path", () => {
      const a = annotations(g.one(T.ingress, "stats"));
      expect(a).to.include({
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
        "nginx.ingress.kubernetes.io/session-cookie-name": "STATEFLEET_AFFINITY",
        "nginx.ingress.kubernetes.io/session-cookie-path": "/stats",
      });
      expect(g.one(T.ingress, "stats").inputs.spec.rules[0]).to.not.have.property("host");
    });

    it("admits only each app's entry point and Prometheus; only stats reaches Redis, all reach istiod (whole policies)", () => {
      const { nginx, prometheus, gateway, istiod, toRedis } = platformPeers(g);
      expectPolicyExactly(g, "stats", [nginx, prometheus], [toRedis!, istiod]);
      expectPolicyExactly(g, "pingpong", [gateway, prometheus], [istiod]);
      expectPolicyExactly(g, "logoutput", [gateway, prometheus], [istiod]);
    });

    it("under STRICT mTLS, accepts plaintext on the app port only where a sidecar-less caller needs it", () => {
      const pa = g.one(T.peerAuthentication, "stats");
      expect(pa.inputs.spec.mtls).to.deep.equal({ mode: "STRICT" });
      expect(pa.inputs.spec.portLevelMtls).to.deep.equal({ "8080": { mode: "PERMISSIVE" } });
      expect(pa.inputs.spec.selector.matchLabels).to.deep.equal(g.one(T.deployment, "stats").inputs.spec.selector.matchLabels);
    });

    it("exports URLs that name the path of each app", async () => {
      expect(await valueOf(g.outputs.statsUrl as pulumi.Output<string>)).to.match(/^http:\/\/[^/]+\/stats$/);
      expect(await valueOf(g.outputs.pingpongUrl as pulumi.Output<string>)).to.match(/^http:\/\/[^/]+\/pingpong$/);
      expect(await valueOf(g.outputs.logoutputUrl as pulumi.Output<string>)).to.match(/^http:\/\/[^/]+\/logoutput$/);
    });

    it("has no schema or policy findings on any of our objects", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks: pingpong scaled to 2 replicas on Redis", () => {
    let g: Graph;
    before(async () => { g = await evaluate("aks", apps({ pingpong: { state: "redis", replicas: 2 } })); });

    it("scales pingpong on Redis with a rolling update and a PDB, and routes it through the Istio gateway without stripping /pingpong (the app serves it)", () => {
      const d = g.one(T.deployment, "pingpong");
      expect(d.inputs.spec.replicas).to.equal(2);
      expect(d.inputs.spec.strategy.type).to.equal("RollingUpdate");
      expect(envValue(d, "STATE")).to.equal("redis");
      expect(g.has(T.pdb, "pingpong")).to.equal(true);
      const vs = g.one(T.virtualService, "pingpong");
      expect(vs.inputs.spec.hosts).to.deep.equal(["*"]);
      expect(vs.inputs.spec.http[0].match).to.deep.equal([{ uri: { exact: "/pingpong" } }, { uri: { prefix: "/pingpong/" } }]);
      expect(vs.inputs.spec.http[0]).to.not.have.property("rewrite");
    });

    it("lets logoutput read pingpong's Redis directly (store), waiting for Redis like pingpong", () => {
      const lo = g.one(T.deployment, "logoutput");
      expect(envValue(lo, "STATE")).to.equal("redis");
      expect(envValue(lo, "REDIS_URL")).to.equal(envValue(g.one(T.deployment, "pingpong"), "REDIS_URL"));
      expect(lo.inputs.spec.template.metadata.labels).to.include({ "statefleet.io/redis-client": "true" });
      expect(g.dependsOn(lo, g.one(T.statefulSet, "redis"))).to.equal(true);
      expect(g.dependsOn(g.one(T.deployment, "pingpong"), g.one(T.statefulSet, "redis"))).to.equal(true);
    });

    it("admits only pingpong's and logoutput's entry point and Prometheus; both reach Redis and istiod, nothing else (whole policies)", () => {
      const { prometheus, gateway, istiod, toRedis } = platformPeers(g);
      expectPolicyExactly(g, "pingpong", [gateway, prometheus], [toRedis!, istiod]);
      expectPolicyExactly(g, "logoutput", [gateway, prometheus], [toRedis!, istiod]);
    });
  });

  describe("dev: stats per pod with client-ip affinity behind ingress-nginx; logoutput over HTTP", () => {
    let g: Graph;
    const warnings: string[] = [];
    before(async () => {
      const warn = pulumi.log.warn;
      pulumi.log.warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
      try {
        g = await evaluate("dev", apps({ stats: { state: "pod", affinity: "client-ip", clientIpTimeoutSeconds: 600 }, pingpong: { logoutput: { readVia: "http" } } }));
      } finally {
        pulumi.log.warn = warn;
      }
    });

    it("keeps each stats pod's counts on its own emptyDir (the seed's problem, on purpose)", () => {
      const d = g.one(T.deployment, "stats");
      expect(envValue(d, "STATE")).to.equal("pod");
      expect(stateVolume(d).emptyDir).to.deep.equal({ sizeLimit: "256Mi" });
      expect(envValue(d, "STATE_DIR")).to.equal(stateMount(d).mountPath);
      expect(hasEnv(d, "REDIS_URL")).to.equal(false);
      expect(d.inputs.spec.template.metadata.labels).to.not.have.property("statefleet.io/redis-client");
    });

    it("sets Service ClientIP affinity with the configured timeout, and warns that ingress-nginx bypasses it", () => {
      const svc = g.one(T.service, "stats").inputs.spec;
      expect(svc.sessionAffinity).to.equal("ClientIP");
      expect(svc.sessionAffinityConfig).to.deep.equal({ clientIP: { timeoutSeconds: 600 } });
      expect(annotations(g.one(T.ingress, "stats"))).to.not.have.property("nginx.ingress.kubernetes.io/affinity");
      expect(warnings.some((w) => w.includes("statefleet:apps.stats.affinity") && w.includes("ingress-nginx")), warnings.join("\n")).to.equal(true);
    });

    it("points logoutput at pingpong's Service, mounts no store, and opens exactly logoutput → pingpong", () => {
      const lo = g.one(T.deployment, "logoutput");
      expect(envValue(lo, "PINGPONG_URL")).to.equal("http://pingpong.statefleet-apps.svc.cluster.local");
      expect(hasEnv(lo, "STATE")).to.equal(false);
      expect(stateVolume(lo)).to.equal(undefined);
      const loSelector = lo.inputs.spec.selector.matchLabels;
      const ppSelector = g.one(T.deployment, "pingpong").inputs.spec.selector.matchLabels;
      const ppFrom = g.one(T.networkPolicy, "pingpong").inputs.spec.ingress.flatMap((r: { from: unknown[] }) => r.from);
      expect(ppFrom).to.deep.include({ podSelector: { matchLabels: loSelector } });
      const loTo = g.one(T.networkPolicy, "logoutput").inputs.spec.egress.flatMap((r: { to: unknown[] }) => r.to);
      expect(loTo).to.deep.include({ podSelector: { matchLabels: ppSelector } });
    });

    it("admits logoutput as pingpong's only caller besides its entry point and Prometheus (whole policies)", () => {
      const { nginx, gateway, prometheus, istiod } = platformPeers(g);
      const toPingpong = { to: [podsOf(g, "pingpong")], ports: tcpPort(g.one(T.deployment, "pingpong"), "http") };
      expectPolicyExactly(g, "pingpong", [nginx, prometheus, podsOf(g, "logoutput")], [istiod]);
      expectPolicyExactly(g, "logoutput", [gateway, prometheus], [toPingpong, istiod]);
      expectPolicyExactly(g, "stats", [nginx, prometheus], [istiod]);
    });

    it("has no schema or policy findings on any of our objects", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("dev: stats on the shared volume, autoscaled, with cookie affinity", () => {
    let g: Graph;
    before(async () => {
      g = await evaluate("dev", apps({ stats: { state: "shared-volume", affinity: "cookie", replicas: undefined, autoscale: { min: 2, max: 5, cpuPercent: 60 } } }));
    });

    it("mounts its own RWX claim (not pingpong's) read-write on every replica", () => {
      const d = g.one(T.deployment, "stats");
      expect(envValue(d, "STATE")).to.equal("shared-volume");
      const claim = stateVolume(d).persistentVolumeClaim.claimName;
      expect(claim).to.be.a("string");
      expect(claim).to.not.equal(stateVolume(g.one(T.deployment, "pingpong")).persistentVolumeClaim.claimName);
      expect(stateMount(d).readOnly).to.equal(false);
      expect(d.inputs.spec.strategy.type).to.equal("RollingUpdate");
    });

    it("hands the replica count to an HPA and keeps a PDB", () => {
      expect(g.one(T.deployment, "stats").inputs.spec).to.not.have.property("replicas");
      expect(g.one(T.hpa, "stats").inputs.spec).to.deep.include({ minReplicas: 2, maxReplicas: 5 });
      expect(g.one(T.hpa, "stats").inputs.spec.metrics[0].containerResource.target.averageUtilization).to.equal(60);
      expect(g.has(T.pdb, "stats")).to.equal(true);
    });

    it("sets the cookie affinity annotations and no Service affinity", () => {
      expect(annotations(g.one(T.ingress, "stats"))).to.include({ "nginx.ingress.kubernetes.io/affinity": "cookie", "nginx.ingress.kubernetes.io/session-cookie-path": "/stats" });
      expect(g.one(T.service, "stats").inputs.spec).to.not.have.property("sessionAffinity");
    });

    it("has no schema or policy findings on any of our objects", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks: stats per pod with client-ip via the Istio gateway; pingpong on the shared volume; logoutput over HTTP, internal only", () => {
    let g: Graph;
    before(async () => {
      g = await evaluate("aks", apps({
        stats: { state: "pod", affinity: "client-ip", replicas: 3, autoscale: undefined, exposure: { via: "istio-gateway" } },
        pingpong: { state: "shared-volume", replicas: 1, logoutput: { readVia: "http", exposure: { via: "none" } } },
      }));
    });

    it("routes stats through a VirtualService with ClientIP on its Service, and no Ingress", () => {
      expect(g.has(T.ingress, "stats")).to.equal(false);
      expect(g.one(T.virtualService, "stats").inputs.spec.http[0].rewrite).to.deep.equal({ uri: "/" });
      expect(g.one(T.service, "stats").inputs.spec.sessionAffinity).to.equal("ClientIP");
      expect(g.one(T.deployment, "stats").inputs.spec.replicas).to.equal(3);
      // Envoy picks endpoints itself and ignores the Service's affinity: the same ask, made of Envoy.
      const dr = g.one(T.destinationRule, "stats");
      expect(dr.inputs.spec).to.deep.equal({ host: "stats.statefleet-apps.svc.cluster.local", trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } });
      expect(g.dependsOn(dr, g.one(T.release, /istiod/))).to.equal(true);
      expect(g.has(T.destinationRule, "pingpong"), "no affinity, no DestinationRule").to.equal(false);
      expect(g.has(T.hpa, "stats")).to.equal(false);
    });

    it("keeps pingpong on the Azure-backed RWX claim with one replica and Recreate", () => {
      const d = g.one(T.deployment, "pingpong");
      expect(envValue(d, "STATE")).to.equal("shared-volume");
      expect(stateVolume(d).persistentVolumeClaim.claimName).to.be.a("string");
      expect(d.inputs.spec.strategy).to.deep.equal({ type: "Recreate" });
      expect(g.has(T.pdb, "pingpong")).to.equal(false);
      expect(stateMount(d), "Azure Files: one share per claim, mounted at its root").to.not.have.property("subPath");
    });

    it("exposes no route for logoutput and no URL output", () => {
      expect(g.has(T.ingress, "logoutput") || g.has(T.virtualService, "logoutput")).to.equal(false);
      expect(g.outputs.logoutputUrl).to.equal(undefined);
      const from = g.one(T.networkPolicy, "logoutput").inputs.spec.ingress.flatMap((r: { from: unknown[] }) => r.from);
      expect(from.some((p: { namespaceSelector?: { matchLabels: Record<string, string> } }) => p.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "istio-ingress")).to.equal(false);
    });

    it("has no schema or policy findings on any of our objects", async () => {
      expect(await findingsAboutOurs(g)).to.deep.equal([]);
    });
  });

  describe("preview (pulumi preview on a pull request: image and cluster unknown)", () => {
    for (const stack of ["dev", "aks"]) {
      it(`${stack}: evaluates, builds every Workload, and has no findings on our objects`, async () => {
        const g = await evaluate(stack, { preview: true });
        expect(ours(g).filter((r) => r.type === T.deployment).map((d) => d.name).sort()).to.deep.equal(["logoutput", "pingpong", "stats"]);
        expect(await findingsAboutOurs(g)).to.deep.equal([]);
      });
    }
  });

  describe("impossible combinations fail before any resource is registered", () => {
    const cases: [string, string, EvaluateOptions, string, RegExp][] = [
      ["cookie affinity through the Istio gateway", "dev", apps({ stats: { affinity: "cookie", exposure: { via: "istio-gateway" } } }), "statefleet:apps.stats.affinity", /"cookie" needs exposure.via ingress-nginx/],
      ["pingpong on the shared volume with 2 replicas", "dev", apps({ pingpong: { state: "shared-volume", replicas: 2 } }), "statefleet:apps.pingpong.state", /single writer/],
      ["pingpong per pod with 2 replicas, logoutput over HTTP", "dev", apps({ pingpong: { state: "pod", replicas: 2, logoutput: { readVia: "http" } } }), "statefleet:apps.pingpong.state", /"pod" gives every replica its own counter/],
      ["an AKS user pool with minCount above maxCount", "aks", { overrides: { "statefleet:cluster": { aks: { userPool: { minCount: 7, maxCount: 3 } } } } }, "statefleet:cluster.aks.userPool.minCount", /7 is above maxCount 3/],
      ["redis state while Redis is disabled", "aks", { overrides: { "statefleet:redis": { enabled: false } } }, "statefleet:apps.stats.state", /"redis" needs Redis, but redis.enabled is false/],
      ["autoscale min above max", "dev", apps({ stats: { replicas: undefined, autoscale: { min: 4, max: 2 } } }), "statefleet:apps.stats.autoscale.min", /4 is above max 2 \(allowed: min ≤ max\)/],
      ["replicas and autoscale together", "dev", apps({ stats: { replicas: 2, autoscale: { min: 2, max: 4 } } }), "statefleet:apps.stats.autoscale", /either replicas or autoscale/],
      ["logoutput at / beside pingpong on one Istio gateway host", "aks", apps({ pingpong: { logoutput: { exposure: { path: "/" } } } }), "statefleet:apps.pingpong.logoutput.exposure.path", /overlaps apps.pingpong.exposure.path "\/pingpong" on istio-gateway/],
    ];
    for (const [what, stack, opts, path, says] of cases) {
      it(`${what} → ${path}`, async () => {
        let registered = -1;
        const err = await evaluate(stack, { ...opts, onRegister: (n) => (registered = n) } as EvaluateOptions).then(() => undefined, (e: Error) => e);
        expect(err, "the program accepted it").to.be.instanceOf(Error);
        const line = err!.message.split("\n").find((l) => l.trim().startsWith(`${path}:`));
        expect(line, err!.message).to.match(says);
        expect(line, "names what is allowed").to.contain("(allowed:");
        expect(registered).to.equal(0);
      });
    }
  });
});
