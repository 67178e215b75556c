import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../config";
import { CHARTS } from "../components/platform/charts";
import type { IstioResourceArgs } from "../components/platform/istio";
import { merge, stackFileConfig } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { validateManifests } from "./harness/manifests";
import { MOCK_SECRET_PREFIX } from "./harness/mocks";
import { policyViolations } from "./harness/policies";
import { isSecret, plainStrings } from "./harness/unwrap";
import { graphOf, releasesOf } from "./platform-graphs";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PEER_AUTH = "kubernetes:security.istio.io/v1:PeerAuthentication";
const GATEWAY = "kubernetes:networking.istio.io/v1:Gateway";
const VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const COMPONENTS = ["statefleet:platform:IngressNginx", "statefleet:platform:Istio", "statefleet:platform:Monitoring"];

/** The Release installing `chart` (exactly one). */
function release(graph: Graph, chart: string): Res {
  const hits = releasesOf(graph).filter((r) => r.inputs.chart === chart);
  if (hits.length !== 1) throw new Error(`expected one Release of chart ${chart}, found ${hits.length}`);
  return hits[0];
}

/** Every resource inside our three components (what this part of the program creates). */
function ours(graph: Graph): Res[] {
  return graph.resources.filter((r) => COMPONENTS.includes(r.type)).flatMap((c) => [c, ...graph.descendants(c)]);
}

/** Schema and policy findings on our objects only (other components are checked by their own tests). */
async function findingsOnOurs(graph: Graph): Promise<string[]> {
  const names = ours(graph).map((r) => ` ${r.type} ${r.name}:`);
  const lines = [...(await validateManifests(graph)).map((l) => ` ${l}`), ...policyViolations(graph)];
  return lines.filter((l) => names.some((n) => l.includes(n)));
}

function problemsOf(stack: string, change: Record<string, unknown>): string[] {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) raw[k.slice("statefleet:".length)] = v;
  try {
    parseStackConfig(stack, merge(raw, change) as Record<string, unknown>);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("config was accepted");
}

describe("platform entry points and monitoring", () => {
  describe("dev stack (k3d)", () => {
    let g: Graph;
    before(async () => {
      g = await graphOf("dev");
    });

    it("installs exactly the pinned charts, each into its own namespace, under fixed release names", () => {
      const got = releasesOf(g).map((r) => `${r.inputs.name} ${r.inputs.chart}@${r.inputs.version} -> ${r.inputs.namespace} (${r.inputs.repositoryOpts.repo})`).sort();
      expect(got).to.deep.equal([
        `ingress-nginx ingress-nginx@4.15.1 -> ingress-nginx (https://kubernetes.github.io/ingress-nginx)`,
        `istio-base base@1.29.6 -> istio-system (https://istio-release.storage.googleapis.com/charts)`,
        `istio-cni cni@1.29.6 -> istio-cni (https://istio-release.storage.googleapis.com/charts)`,
        `istio-ingress gateway@1.29.6 -> istio-ingress (https://istio-release.storage.googleapis.com/charts)`,
        `istiod istiod@1.29.6 -> istio-system (https://istio-release.storage.googleapis.com/charts)`,
        `kube-prometheus-stack kube-prometheus-stack@88.5.3 -> monitoring (https://prometheus-community.github.io/helm-charts)`,
      ]);
      for (const r of releasesOf(g)) expect(r.inputs.createNamespace, r.name).to.equal(false);
      expect(Object.values(CHARTS).every((c) => /^\d+\.\d+\.\d+$/.test(c.version))).to.equal(true);
    });

    it("creates the platform namespaces itself, each with its Pod Security level and a default-deny policy", () => {
      const levels: Record<string, [string, string]> = {
        "ingress-nginx": ["restricted", "restricted"],
        "istio-system": ["restricted", "restricted"],
        "istio-ingress": ["restricted", "restricted"],
        "istio-cni": ["privileged", "privileged"],
        monitoring: ["baseline", "restricted"],
        "node-exporter": ["privileged", "privileged"],
      };
      for (const [name, [enforce, warn]] of Object.entries(levels)) {
        const ns = g.one(NAMESPACE, name);
        const l = ns.inputs.metadata.labels;
        expect([l["pod-security.kubernetes.io/enforce"], l["pod-security.kubernetes.io/warn"]], name).to.deep.equal([enforce, warn]);
        const deny = g.one(NETPOL, `${name}-default-deny`);
        expect(deny.inputs.metadata.namespace).to.equal(name);
        expect(deny.inputs.spec).to.deep.equal({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      }
      // Each release waits for its namespace and its NetworkPolicies.
      expect(g.dependsOn(release(g, "ingress-nginx"), g.one(NETPOL, "ingress-nginx-allow-controller"))).to.equal(true);
      expect(g.dependsOn(release(g, "kube-prometheus-stack"), g.one(NAMESPACE, "node-exporter"))).to.equal(true);
    });

    it("publishes ingress-nginx on the LoadBalancer ports 80/443 that k3d maps, without client-IP tricks klipper cannot do", () => {
      const svc = release(g, "ingress-nginx").inputs.values.controller.service;
      expect(svc.type).to.equal("LoadBalancer");
      expect(svc.ports).to.deep.equal({ http: 80, https: 443 });
      expect(svc.externalTrafficPolicy).to.equal(undefined);
    });

    it("publishes the Istio gateway on LoadBalancer port 8081 → 80, never on ingress-nginx's 80/443", () => {
      const ports = release(g, "gateway").inputs.values.service.ports as { port: number; targetPort: number }[];
      expect(release(g, "gateway").inputs.values.service.type).to.equal("LoadBalancer");
      expect(ports.find((p) => p.targetPort === 80)).to.deep.include({ port: 8081, targetPort: 80 });
      expect(ports.map((p) => p.port)).to.not.include.members([80, 443]);
    });

    it("runs the controller with the shared restricted context plus only NET_BIND_SERVICE, resources from config", () => {
      const c = release(g, "ingress-nginx").inputs.values.controller;
      expect(c.containerSecurityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 101, runAsGroup: 82, allowPrivilegeEscalation: false, privileged: false });
      expect(c.containerSecurityContext.capabilities).to.deep.equal({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
      expect(c.containerSecurityContext.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
      expect(c.podSecurityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      const cfg = stackFileConfig("dev")["statefleet:ingress"] as { nginx: { resources: unknown; replicas: number } };
      expect(c.resources).to.deep.equal(cfg.nginx.resources);
      expect(c.replicaCount).to.equal(cfg.nginx.replicas);
      expect(c.allowSnippetAnnotations).to.equal(false);
    });

    it("never trusts a client's X-Forwarded-For by default: nginx writes the TCP peer into it", () => {
      const config = release(g, "ingress-nginx").inputs.values.controller.config;
      expect(config).to.deep.equal({ "use-forwarded-headers": "false", "compute-full-forwarded-for": "false" });
    });

    it("installs Istio in order: base (CRDs) and the CNI agent → istiod → gateway", () => {
      const [base, cni, istiod, gateway] = ["base", "cni", "istiod", "gateway"].map((c) => release(g, c));
      expect(g.dependsOn(istiod, base), "istiod after base").to.equal(true);
      expect(g.dependsOn(istiod, cni), "istiod after the CNI agent").to.equal(true);
      expect(g.dependsOn(gateway, istiod), "gateway after istiod").to.equal(true);
      expect(g.dependsOn(base, istiod)).to.equal(false);
    });

    it("keeps injected pods restricted: CNI instead of istio-init, RuntimeDefault seccomp for sidecars, k3s CNI paths", () => {
      const v = release(g, "istiod").inputs.values;
      expect(v.cni).to.deep.equal({ enabled: true });
      expect(v.global.proxy.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
      expect(v.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
      expect(v.autoscaleEnabled).to.equal(false);
      const cfg = stackFileConfig("dev")["statefleet:istio"] as { istiodResources: unknown };
      expect(v.resources).to.deep.equal(cfg.istiodResources);
      const cni = release(g, "cni").inputs.values;
      expect([cni.cniConfDir, cni.cniBinDir]).to.deep.equal(["/var/lib/rancher/k3s/agent/etc/cni/net.d", "/bin"]);
      const gw = release(g, "gateway").inputs.values.securityContext;
      expect(gw.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
      expect(gw.sysctls).to.deep.equal([{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }]);
    });

    it("sets mesh-wide mTLS from config and a shared HTTP Gateway, both waiting for the CRDs and istiod", () => {
      const pa = g.one(PEER_AUTH, "istio-mesh-mtls");
      expect(pa.inputs.metadata).to.deep.include({ name: "default", namespace: "istio-system" });
      expect(pa.inputs.spec).to.deep.equal({ mtls: { mode: "STRICT" } });
      const gw = g.one(GATEWAY, "istio-shared-gateway");
      expect(gw.inputs.metadata).to.deep.include({ name: "statefleet-gateway", namespace: "istio-ingress" });
      expect(gw.inputs.spec).to.deep.equal({ selector: { istio: "ingress" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] });
      for (const cr of [pa, gw]) {
        expect(g.dependsOn(cr, release(g, "base")), `${cr.name} after base (CRDs)`).to.equal(true);
        expect(g.dependsOn(cr, release(g, "istiod")), `${cr.name} after istiod (webhook)`).to.equal(true);
      }
    });

    it("types Istio specs by their CRD schema: a misspelled field does not compile", () => {
      const vs: IstioResourceArgs<"VirtualService"> = {
        kind: "VirtualService",
        metadata: { name: "typo", namespace: "statefleet-apps" },
        // @ts-expect-error -- "htttp" is no VirtualService field (tsc fails if this ever compiles)
        spec: { hosts: ["*"], htttp: [] },
      };
      const pa: IstioResourceArgs<"PeerAuthentication"> = {
        kind: "PeerAuthentication",
        metadata: { name: "typo", namespace: "istio-system" },
        // @ts-expect-error -- "OFF" is no mTLS mode
        spec: { mtls: { mode: "OFF" } },
      };
      expect([vs.kind, pa.kind]).to.deep.equal(["VirtualService", "PeerAuthentication"]);
    });

    it("labels the apps namespace for sidecar injection", () => {
      expect(g.one(NAMESPACE, "statefleet-apps").inputs.metadata.labels["istio-injection"]).to.equal("enabled");
    });

    it("asks ingress-nginx for a ServiceMonitor Prometheus picks up, after the release that brings its CRD", () => {
      const nginx = release(g, "ingress-nginx");
      expect(nginx.inputs.values.controller.metrics).to.deep.equal({
        enabled: true,
        serviceMonitor: { enabled: true, additionalLabels: { "statefleet.io/monitor": "true" } },
      });
      expect(g.dependsOn(nginx, release(g, "kube-prometheus-stack"))).to.equal(true);
    });

    it("makes Prometheus select ServiceMonitors and rules by our label in every namespace, keeping the chart's own", () => {
      const v = release(g, "kube-prometheus-stack").inputs.values;
      const spec = v.prometheus.prometheusSpec;
      const sel = { matchLabels: { "statefleet.io/monitor": "true" } };
      expect(spec).to.deep.include({
        retention: "2d",
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: sel,
        serviceMonitorNamespaceSelector: {},
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: sel,
        ruleNamespaceSelector: {},
      });
      expect(v.commonLabels).to.deep.equal({ "statefleet.io/monitor": "true" });
      expect(v["kube-state-metrics"].prometheus.monitor.additionalLabels).to.deep.equal({ "statefleet.io/monitor": "true" });
      expect(v["prometheus-node-exporter"]).to.deep.include({ namespaceOverride: "node-exporter" });
      expect(v.grafana.sidecar.dashboards).to.deep.include({ enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" });
    });

    it("hands Grafana its admin password only through a Secret; the password never appears in plain text", async () => {
      const v = release(g, "kube-prometheus-stack").inputs.values.grafana;
      expect(v.admin).to.deep.equal({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
      expect(v).to.not.have.property("adminPassword");
      const secret = g.one("kubernetes:core/v1:Secret", "monitoring-grafana-admin");
      expect(secret.inputs.metadata).to.deep.include({ name: "grafana-admin", namespace: "monitoring" });
      expect(isSecret((secret.raw as Record<string, unknown>).stringData), "stringData is a Pulumi secret").to.equal(true);
      expect(secret.inputs.stringData["admin-password"]).to.match(new RegExp(`^${MOCK_SECRET_PREFIX}`));
      const leaks = ours(g).flatMap((r) => plainStrings(r.raw).filter((s) => s.includes(MOCK_SECRET_PREFIX)).map((s) => `${r.type} ${r.name}: ${s}`));
      expect(leaks).to.deep.equal([]);
      expect(await (g.outputs.grafanaAdminPassword as { isSecret: Promise<boolean> }).isSecret).to.equal(true);
    });

    it("serves Grafana under ingress.host + grafanaPath through ingress-nginx, once nginx and Grafana exist", () => {
      const ini = release(g, "kube-prometheus-stack").inputs.values.grafana["grafana.ini"].server;
      expect(ini).to.deep.equal({ root_url: "http://statefleet.localhost:8080/grafana/", serve_from_sub_path: true });
      const ing = g.one(INGRESS, "monitoring-grafana");
      expect(ing.inputs.spec.ingressClassName).to.equal("nginx");
      expect(ing.inputs.spec.rules).to.deep.equal([
        { host: "statefleet.localhost", http: { paths: [{ path: "/grafana", pathType: "Prefix", backend: { service: { name: "kube-prometheus-stack-grafana", port: { number: 80 } } } }] } },
      ]);
      expect(g.dependsOn(ing, release(g, "ingress-nginx"))).to.equal(true);
      expect(g.dependsOn(ing, release(g, "kube-prometheus-stack"))).to.equal(true);
      expect(g.has(VIRTUAL_SERVICE, /grafana/)).to.equal(false);
    });

    it("sends every alert to the null receiver when none is configured", () => {
      const am = release(g, "kube-prometheus-stack").inputs.values.alertmanager;
      expect(am.config.route).to.deep.equal({ receiver: "null", routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }] });
      expect(am.config.receivers).to.deep.equal([{ name: "null" }]);
      expect(am.alertmanagerSpec.volumes).to.deep.equal([]);
      expect(am.alertmanagerSpec.volumeMounts).to.deep.equal([]);
    });

    it("parents every platform resource under its component", () => {
      const expected: [RegExp, string][] = [
        [/^ingress-nginx/, "statefleet:platform:IngressNginx"],
        [/^istio/, "statefleet:platform:Istio"],
        [/^monitoring|^node-exporter/, "statefleet:platform:Monitoring"],
      ];
      for (const r of [...releasesOf(g), g.one(PEER_AUTH, "istio-mesh-mtls"), g.one(GATEWAY, "istio-shared-gateway"), g.one(INGRESS, "monitoring-grafana"), ...g.ofType(NETPOL).filter((n) => /^(ingress-nginx|istio|monitoring|node-exporter)-/.test(n.name))]) {
        const owner = expected.find(([re]) => re.test(r.name))?.[1];
        expect(g.ancestry(r), `${r.type} ${r.name}`).to.include(owner);
      }
      for (const ns of ["ingress-nginx", "istio-system", "istio-cni", "istio-ingress", "monitoring", "node-exporter"]) {
        expect(g.ancestry(g.one(NAMESPACE, ns)), ns).to.satisfy((a: string[]) => a.some((t) => COMPONENTS.includes(t)));
      }
    });

    it("exports the k3d entry points on the host ports", () => {
      expect(g.outputs.ingressNginxEntry).to.deep.equal({ url: "http://statefleet.localhost:8080" });
      expect(g.outputs.istioGatewayEntry).to.deep.equal({ url: "http://statefleet.localhost:8081" });
      expect(g.outputs.grafanaUrl).to.equal("http://statefleet.localhost:8080/grafana/");
    });

    it("has no schema or policy findings on the platform's objects", async () => {
      expect(await findingsOnOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks stack", () => {
    let g: Graph;
    before(async () => {
      g = await graphOf("aks");
    });

    it("keeps the client IP: ingress-nginx and the gateway on their own load balancers with externalTrafficPolicy Local", () => {
      const svc = release(g, "ingress-nginx").inputs.values.controller.service;
      expect(svc).to.deep.include({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
      expect(svc.annotations).to.deep.equal({ "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz" });
      const gw = release(g, "gateway").inputs.values.service;
      expect(gw).to.deep.include({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
      expect(gw.ports.find((p: { targetPort: number }) => p.targetPort === 80)).to.deep.include({ port: 80 });
      expect(release(g, "ingress-nginx").inputs.values.controller.config["use-forwarded-headers"]).to.equal("false");
    });

    it("runs 2 controllers and 2 gateways with a PodDisruptionBudget, and the AKS CNI paths", () => {
      expect(release(g, "ingress-nginx").inputs.values.controller.replicaCount).to.equal(2);
      const gw = release(g, "gateway").inputs.values;
      expect([gw.replicaCount, gw.autoscaling, gw.podDisruptionBudget]).to.deep.equal([2, { enabled: false }, { minAvailable: 1 }]);
      expect(release(g, "cni").inputs.values).to.not.have.property("cniConfDir");
    });

    it("exports how to find the load balancers, since their addresses exist only after up", () => {
      expect(g.outputs.ingressNginxEntry).to.deep.equal({
        url: "http://<EXTERNAL-IP>",
        addressCommand: "kubectl -n ingress-nginx get svc ingress-nginx-controller -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
      });
      expect((g.outputs.istioGatewayEntry as { addressCommand: string }).addressCommand).to.contain("-n istio-ingress get svc istio-ingress");
      expect(g.outputs.grafanaUrl).to.equal("http://<EXTERNAL-IP>/grafana/");
      expect(release(g, "kube-prometheus-stack").inputs.values.grafana["grafana.ini"].server.root_url).to.equal("%(protocol)s://%(domain)s/grafana/");
    });

    it("has no schema or policy findings on the platform's objects", async () => {
      expect(await findingsOnOurs(g)).to.deep.equal([]);
    });
  });

  describe("aks with every option on", () => {
    let g: Graph;
    before(async () => {
      g = await graphOf("aksOptions");
    });

    it("trusts X-Forwarded-For only from the configured proxies", () => {
      expect(release(g, "ingress-nginx").inputs.values.controller.config).to.deep.equal({
        "use-forwarded-headers": "true",
        "compute-full-forwarded-for": "true",
        "proxy-real-ip-cidr": "10.1.0.0/16,10.2.0.0/16",
      });
    });

    it("takes the mTLS mode and istiod replicas from config", () => {
      expect(g.one(PEER_AUTH, "istio-mesh-mtls").inputs.spec).to.deep.equal({ mtls: { mode: "PERMISSIVE" } });
      expect(release(g, "istiod").inputs.values.replicaCount).to.equal(2);
    });

    it("serves Grafana through a VirtualService on the shared gateway instead of an Ingress", () => {
      const vs = g.one(VIRTUAL_SERVICE, "monitoring-grafana");
      expect(vs.inputs.metadata.namespace).to.equal("monitoring");
      expect(vs.inputs.spec).to.deep.equal({
        hosts: ["*"],
        gateways: ["istio-ingress/statefleet-gateway"],
        http: [{ match: [{ uri: { prefix: "/grafana" } }], route: [{ destination: { host: "kube-prometheus-stack-grafana.monitoring.svc.cluster.local", port: { number: 80 } } }] }],
      });
      expect(g.dependsOn(vs, release(g, "istiod")), "after Istio's CRDs and webhook").to.equal(true);
      expect(g.has(INGRESS, "monitoring-grafana")).to.equal(false);
    });

    it("routes alerts to webhook receivers whose URLs are read from mounted Secrets, never from config", () => {
      const am = release(g, "kube-prometheus-stack").inputs.values.alertmanager;
      expect(am.config.route.receiver).to.equal("team");
      expect(am.config.route.routes).to.deep.equal([
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "oncall", matchers: ['severity="critical"'] },
      ]);
      expect(am.config.receivers).to.deep.equal([
        { name: "null" },
        { name: "oncall", webhook_configs: [{ url_file: "/etc/alertmanager/receivers/alertmanager-oncall/url", send_resolved: true }] },
        { name: "team", webhook_configs: [{ url_file: "/etc/alertmanager/receivers/alertmanager-team/url", send_resolved: false }] },
      ]);
      // Optional volumes, not `secrets:` (required mounts): the first `up` of a fresh stack succeeds
      // before the Secrets exist (their namespace is created by that `up`), and each url_file lies
      // in the volume of its Secret.
      expect(am.alertmanagerSpec.secrets, "required Secret mounts").to.equal(undefined);
      expect(am.alertmanagerSpec.volumes).to.deep.equal([
        { name: "receiver-url-0", secret: { secretName: "alertmanager-oncall", optional: true } },
        { name: "receiver-url-1", secret: { secretName: "alertmanager-team", optional: true } },
      ]);
      for (const r of am.config.receivers.slice(1)) {
        const file: string = r.webhook_configs[0].url_file;
        const mount = am.alertmanagerSpec.volumeMounts.find((m: { mountPath: string }) => file.startsWith(`${m.mountPath}/`));
        expect(mount, file).to.not.equal(undefined);
        const volume = am.alertmanagerSpec.volumes.find((v: { name: string }) => v.name === mount.name);
        expect(file).to.equal(`${mount.mountPath}/${file.split("/").pop()}`);
        expect(mount.mountPath.endsWith(`/${volume.secret.secretName}`)).to.equal(true);
        expect(mount.readOnly).to.equal(true);
      }
      expect(g.one(NETPOL, "monitoring-allow-alertmanager").inputs.spec.egress[0].ports.map((p: { port: number }) => p.port)).to.deep.equal([443, 80]);
    });

    it("has no schema or policy findings on the platform's objects", async () => {
      expect(await findingsOnOurs(g)).to.deep.equal([]);
    });
  });

  describe("switching a component off removes it", () => {
    it("istio.enabled: false → no Istio releases, namespaces, custom resources or injection label", async () => {
      const g = await graphOf("devNoIstio");
      expect(releasesOf(g).map((r) => r.inputs.chart).sort()).to.deep.equal(["ingress-nginx", "kube-prometheus-stack"]);
      expect(g.has("statefleet:platform:Istio")).to.equal(false);
      for (const ns of ["istio-system", "istio-cni", "istio-ingress"]) expect(g.has(NAMESPACE, ns), ns).to.equal(false);
      expect(g.has(PEER_AUTH) || g.has(GATEWAY) || g.has(VIRTUAL_SERVICE)).to.equal(false);
      expect(g.one(NAMESPACE, "statefleet-apps").inputs.metadata.labels).to.not.have.property("istio-injection");
      expect(g.outputs.istioGatewayEntry).to.equal(undefined);
    });

    it("monitoring.enabled: false → no kube-prometheus-stack, and ingress-nginx neither exports metrics nor waits for it", async () => {
      const g = await graphOf("devNoMonitoring");
      expect(releasesOf(g).some((r) => r.inputs.chart === "kube-prometheus-stack")).to.equal(false);
      expect(g.has(NAMESPACE, "monitoring")).to.equal(false);
      expect(release(g, "ingress-nginx").inputs.values.controller.metrics).to.deep.equal({ enabled: false, serviceMonitor: { enabled: false, additionalLabels: {} } });
      expect(g.outputs.grafanaUrl).to.equal(undefined);
      expect(g.outputs.grafanaAdminPassword).to.equal(undefined);
    });

    it("ingress.nginx.enabled: false → no ingress-nginx; Grafana moves to the Istio gateway (grafanaVia auto)", async () => {
      const g = await graphOf("devNoNginx");
      expect(releasesOf(g).some((r) => r.inputs.chart === "ingress-nginx")).to.equal(false);
      expect(g.has(NAMESPACE, "ingress-nginx")).to.equal(false);
      expect(g.has(INGRESS, "monitoring-grafana")).to.equal(false);
      expect(g.one(VIRTUAL_SERVICE, "monitoring-grafana").inputs.spec.hosts).to.deep.equal(["statefleet.localhost"]);
      expect(release(g, "kube-prometheus-stack").inputs.values.grafana["grafana.ini"].server.root_url).to.equal("http://statefleet.localhost:8081/grafana/");
      expect(g.outputs.ingressNginxEntry).to.equal(undefined);
      expect(await findingsOnOurs(g)).to.deep.equal([]);
    });
  });

  describe("what needs a component fails config validation, naming the key", () => {
    const cases: { what: string; stack: string; change: Record<string, unknown>; line: RegExp }[] = [
      {
        what: "an app on the Istio gateway while Istio is off",
        stack: "dev",
        change: { istio: { enabled: false, gateway: { enabled: false } } },
        line: /^statefleet:apps\.pingpong\.logoutput\.exposure\.via: "istio-gateway" but the Istio gateway is off/,
      },
      {
        what: "Grafana with no entry point left (grafanaVia auto)",
        stack: "dev",
        change: { ingress: { nginx: { enabled: false } }, istio: { gateway: { enabled: false } }, apps: { stats: { exposure: { via: "none" } }, pingpong: { exposure: { via: "none" }, logoutput: { exposure: { via: "none" } } } } },
        line: /^statefleet:monitoring\.grafanaVia: "auto" but ingress-nginx and the Istio gateway are both off.*\(allowed: none/,
      },
      {
        what: "Grafana on ingress-nginx while it is off",
        stack: "aks",
        change: { ingress: { nginx: { enabled: false } }, apps: { stats: { affinity: "none", exposure: { via: "none" } } }, monitoring: { grafanaVia: "ingress-nginx" } },
        line: /^statefleet:monitoring\.grafanaVia: "ingress-nginx" but ingress-nginx is off/,
      },
      {
        what: "an app host the shared Gateway does not accept",
        stack: "dev",
        change: { istio: { gateway: { hosts: ["other.localhost"] } }, monitoring: { grafanaVia: "ingress-nginx" } },
        line: /^statefleet:apps\.pingpong\.logoutput\.exposure\.host: "statefleet\.localhost" matches none of istio\.gateway\.hosts \[other\.localhost\]/,
      },
      {
        what: "Grafana under a path an app on the gateway already covers",
        stack: "dev",
        change: { monitoring: { grafanaVia: "istio-gateway" } },
        line: /^statefleet:monitoring\.grafanaPath: "\/grafana" overlaps apps\.pingpong\.logoutput\.exposure\.path "\/" on istio-gateway/,
      },
      {
        what: "a default receiver that does not exist",
        stack: "dev",
        change: { monitoring: { alertmanager: { defaultReceiver: "pager" } } },
        line: /^statefleet:monitoring\.alertmanager\.defaultReceiver: "pager" is not a receiver \(allowed: null \| /,
      },
      {
        what: "a webhook URL written into plain config",
        stack: "dev",
        change: { monitoring: { alertmanager: { receivers: [{ name: "oncall", url: "https://hooks.example.com/T0KEN" }] } } },
        line: /^statefleet:monitoring\.alertmanager\.receivers\[0\]\.url: unknown key \(allowed: name, webhookUrlSecret, matchers, sendResolved\)/,
      },
      {
        what: "the same receiver name twice",
        stack: "dev",
        change: { monitoring: { alertmanager: { receivers: [{ name: "a", webhookUrlSecret: { name: "s" } }, { name: "a", webhookUrlSecret: { name: "t" } }] } } },
        line: /^statefleet:monitoring\.alertmanager\.receivers\[1\]\.name: "a" is used twice/,
      },
      {
        what: "a trusted proxy that is no CIDR",
        stack: "aks",
        change: { ingress: { nginx: { trustedProxyCidrs: ["10.0.0.1"] } } },
        line: /^statefleet:ingress\.nginx\.trustedProxyCidrs\[0\]: "10\.0\.0\.1" is not an IPv4 CIDR/,
      },
      {
        what: "a receiver named like the built-in null receiver",
        stack: "dev",
        change: { monitoring: { alertmanager: { receivers: [{ name: "null", webhookUrlSecret: { name: "s" } }] } } },
        line: /^statefleet:monitoring\.alertmanager\.receivers\[0\]\.name: "null" is the built-in receiver/,
      },
      {
        what: "an unknown mTLS mode",
        stack: "dev",
        change: { istio: { mtls: "OFF" } },
        line: /^statefleet:istio\.mtls: "OFF" is not allowed \(allowed: STRICT \| PERMISSIVE\)/,
      },
    ];
    it("accepts defaultReceiver written as YAML null (the built-in receiver)", () => {
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(stackFileConfig("dev"))) if (k.startsWith("statefleet:")) raw[k.slice("statefleet:".length)] = v;
      const cfg = parseStackConfig("dev", merge(raw, { monitoring: { alertmanager: { defaultReceiver: null } } }) as Record<string, unknown>);
      expect(cfg.monitoring.alertmanager.defaultReceiver).to.equal("null");
    });
    for (const c of cases) {
      it(`rejects ${c.what}`, () => {
        const lines = problemsOf(c.stack, c.change);
        expect(lines.some((l) => c.line.test(l)), lines.join("\n")).to.equal(true);
      });
    }
  });

  describe("preview (no cluster yet)", () => {
    for (const stack of ["dev", "aks"] as const) {
      it(`${stack}: registers the same releases and Istio objects, with no findings on ours`, async () => {
        const g = await graphOf(stack === "dev" ? "devPreview" : "aksPreview");
        const update = await graphOf(stack);
        expect(releasesOf(g).map((r) => `${r.name}:${JSON.stringify(r.inputs.values)}`)).to.deep.equal(releasesOf(update).map((r) => `${r.name}:${JSON.stringify(r.inputs.values)}`));
        expect([g.has(PEER_AUTH), g.has(GATEWAY)]).to.deep.equal([true, true]);
        expect(await findingsOnOurs(g)).to.deep.equal([]);
      });
    }
  });
});
