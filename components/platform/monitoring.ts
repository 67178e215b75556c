/**
 * kube-prometheus-stack: the Prometheus operator, Prometheus, Alertmanager, Grafana,
 * kube-state-metrics and node-exporter, with Grafana served under `<ingress.host><grafanaPath>`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ParsedStack } from "../../config/schema";
import type { EntryPoints } from "../cluster/types";
import { PLATFORM_NAMESPACES, type IngressNginxInfo, type IstioInfo, type MonitoringInfo } from "../contracts";
import { labels, namespace, resourceBlock, secretChecksum, secretChecksumAnnotation } from "../k8s";
import { CHARTS, helmRelease } from "./charts";
import { istioCustomResource } from "./istio";
import { fromAnywhere, fromNamespaces, platformNetworkPolicies, toAnywhere, toEverything } from "./network-policies";

const RELEASE = "kube-prometheus-stack";
/** node-exporter needs the host's network, PIDs and filesystem: a `privileged` namespace of its own. */
export const NODE_EXPORTER_NAMESPACE = "node-exporter";
/** Grafana's Service, as the grafana subchart names it (`<release>-grafana`, port 80 → 3000). */
export const GRAFANA_SERVICE = `${RELEASE}-grafana`;
/** Prometheus' query API inside the cluster (the chart's Service `<release>-prometheus`, port 9090). */
export const PROMETHEUS_URL = `http://${RELEASE}-prometheus.${PLATFORM_NAMESPACES.monitoring}.svc.cluster.local:9090`;
/** The Secret with Grafana's admin login (keys `admin-user`, `admin-password`). */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** Where Alertmanager finds the receivers' webhook URL Secrets, one directory per Secret. */
export const ALERTMANAGER_RECEIVERS_DIR = "/etc/alertmanager/receivers";
/** Labels Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by, cluster-wide. */
export const MONITOR_LABELS: Record<string, string> = { "statefleet.io/monitor": "true" };
/** Label a ConfigMap needs for Grafana's sidecar to load it as a dashboard (any namespace). */
export const DASHBOARD_LABEL: Record<string, string> = { grafana_dashboard: "1" };

export interface MonitoringArgs {
  /** `monitoring` from the stack config. */
  settings: ParsedStack["monitoring"];
  /** `ingress.host`: Grafana's host ("" = any host). */
  host: string;
  /** Where Grafana is exposed, already resolved from `monitoring.grafanaVia: auto`. */
  grafanaVia: "ingress-nginx" | "istio-gateway" | "none";
  /** How entry points are reached: Grafana's public URL (root_url) depends on it. */
  entry: EntryPoints;
  /** Namespaces whose pods query Prometheus' API (port 9090), e.g. Flagger's. */
  queryClients?: string[];
}

/** The browser-facing URL of Grafana, ending in `/`: what Grafana puts in its links and redirects. */
export function grafanaRootUrl(args: Pick<MonitoringArgs, "host" | "grafanaVia" | "entry" | "settings">): string {
  const path = `${args.settings.grafanaPath.replace(/\/+$/, "")}/`;
  if (args.entry.kind === "host-ports") {
    const port = args.grafanaVia === "istio-gateway" ? args.entry.istio : args.entry.http;
    return `http://${args.host || "localhost"}:${port}${path}`;
  }
  // Without a host the load balancer's address is not known here: Grafana's own default domain.
  return args.host ? `http://${args.host}${path}` : `%(protocol)s://%(domain)s${path}`;
}

/** Helm values of kube-prometheus-stack (exported for tests and the chart key check). */
export function monitoringValues(args: MonitoringArgs, grafanaAdminChecksum?: pulumi.Output<string>): Record<string, unknown> {
  const s = args.settings;
  const r = s.resources;
  const am = s.alertmanager;
  const small = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } };
  const monitor = { additionalLabels: MONITOR_LABELS };
  const secretNames = [...new Set(am.receivers.map((x) => x.webhookUrlSecret.name))];
  // Each receiver Secret as an *optional* Secret volume (the operator's `secrets:` list mounts
  // them as required, so Alertmanager could not start before you create them — and on a fresh
  // stack the namespace they belong in does not exist before the first `up`). Alertmanager reads
  // `url_file` when it sends (notify/webhook/webhook.go, v0.34.0): until the Secret exists, sends
  // to that receiver fail and are retried; once created, the kubelet fills the volume in.
  const volumeName = (i: number) => `receiver-url-${i}`;
  return {
    // Every object of the chart carries the selector label, so Prometheus keeps scraping the
    // chart's own targets (kubelet, API server, CoreDNS) and loading its default rules.
    commonLabels: MONITOR_LABELS,
    // k3s and AKS run these inside managed or embedded processes Prometheus cannot reach;
    // scraping them would only raise "target down" alerts.
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    prometheusOperator: {
      resources: resourceBlock(r.operator),
      // Defaults kept: Helm hooks create and patch the admission webhook's certificate.
      admissionWebhooks: { patch: { resources: small } },
    },
    prometheus: {
      prometheusSpec: {
        retention: s.retention,
        resources: resourceBlock(r.prometheus),
        storageSpec: {
          volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: s.prometheusStorageSize } } } },
        },
        // Select by our label in every namespace, not by this release's `release` label.
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: { matchLabels: MONITOR_LABELS },
        serviceMonitorNamespaceSelector: {},
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: { matchLabels: MONITOR_LABELS },
        podMonitorNamespaceSelector: {},
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: { matchLabels: MONITOR_LABELS },
        ruleNamespaceSelector: {},
      },
    },
    alertmanager: {
      enabled: am.enabled,
      // Helm merges maps and replaces lists: route.group_by/intervals and inhibit_rules stay the
      // chart's; routes and receivers are ours (the chart's Watchdog → null route kept first).
      config: {
        route: {
          receiver: am.defaultReceiver,
          routes: [
            { receiver: "null", matchers: ['alertname = "Watchdog"'] },
            ...am.receivers.filter((x) => x.matchers.length > 0).map((x) => ({ receiver: x.name, matchers: x.matchers })),
          ],
        },
        receivers: [
          { name: "null" },
          ...am.receivers.map((x) => ({
            name: x.name,
            // The URL (and any token in it) is read from the mounted Secret; it never passes through Pulumi.
            webhook_configs: [{ url_file: `${ALERTMANAGER_RECEIVERS_DIR}/${x.webhookUrlSecret.name}/${x.webhookUrlSecret.key}`, send_resolved: x.sendResolved }],
          })),
        ],
      },
      alertmanagerSpec: {
        resources: resourceBlock(r.alertmanager),
        volumes: secretNames.map((secretName, i) => ({ name: volumeName(i), secret: { secretName, optional: true } })),
        volumeMounts: secretNames.map((secretName, i) => ({ name: volumeName(i), mountPath: `${ALERTMANAGER_RECEIVERS_DIR}/${secretName}`, readOnly: true })),
      },
    },
    grafana: {
      enabled: true,
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      // With existingSecret the chart adds no checksum of it; ours restarts Grafana onto a rotated
      // password (its database is disposable, so the new admin password applies at start).
      podAnnotations: secretChecksumAnnotation([grafanaAdminChecksum]),
      "grafana.ini": {
        server: { root_url: grafanaRootUrl(args), serve_from_sub_path: true },
        // The NetworkPolicies give Grafana no internet egress anyway.
        analytics: { check_for_updates: false, reporting_enabled: false },
      },
      resources: resourceBlock(r.grafana),
      // Dashboards are ConfigMaps, the database is disposable: no volume, so no root chown init container.
      persistence: { enabled: false },
      initChownData: { enabled: false },
      // We create the Ingress / VirtualService ourselves (exposeGrafana), so they are checked like ours.
      ingress: { enabled: false },
      sidecar: {
        dashboards: { enabled: true, label: Object.keys(DASHBOARD_LABEL)[0], labelValue: Object.values(DASHBOARD_LABEL)[0], searchNamespace: "ALL" },
        resources: small,
      },
      serviceMonitor: { labels: MONITOR_LABELS },
    },
    "kube-state-metrics": {
      resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
      prometheus: { monitor },
    },
    "prometheus-node-exporter": {
      namespaceOverride: NODE_EXPORTER_NAMESPACE,
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
      prometheus: { monitor },
    },
  };
}

/** What Grafana is exposed through (the matching entry point of `grafanaVia`). */
export interface GrafanaEntry {
  ingressNginx?: IngressNginxInfo;
  istio?: IstioInfo;
}

/**
 * kube-prometheus-stack in namespace `monitoring`, Grafana's admin password generated here and
 * handed over only as a Kubernetes Secret, NetworkPolicies for every component.
 *
 * Pod Security: `monitoring` enforces `baseline` and warns/audits `restricted`. The chart's
 * values put every component in a restricted-compliant context, but the operator generates the
 * Prometheus and Alertmanager pods itself and that could not be checked without a cluster;
 * enforcing baseline keeps a surprise from stopping Prometheus. node-exporter is `privileged`
 * by nature and runs in its own namespace.
 */
export class Monitoring extends pulumi.ComponentResource implements MonitoringInfo {
  public readonly crdsReady: k8s.helm.v3.Release;
  public readonly selectorLabels = MONITOR_LABELS;
  public readonly dashboardLabel = DASHBOARD_LABEL;
  public readonly namespace: string = PLATFORM_NAMESPACES.monitoring;
  /** Grafana's admin password (secret). */
  public readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Where Grafana is reached from a browser (`<EXTERNAL-IP>`: the entry point's load balancer, see the stack outputs). */
  public readonly grafanaUrl: string;
  private readonly args: MonitoringArgs;
  private readonly release: k8s.helm.v3.Release;
  private readonly resourceName: string;

  constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:Monitoring", name, {}, opts);
    this.args = args;
    this.resourceName = name;
    const child = { parent: this };
    const ns = namespace(this.namespace, "baseline", child, {
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
    const nodeNs = namespace(NODE_EXPORTER_NAMESPACE, "privileged", child);
    const app = (n: string) => ({ "app.kubernetes.io/name": n });
    const policies = platformNetworkPolicies(
      this.namespace,
      [
        // Scrapes pods in every namespace, kubelets and node-exporters on the nodes.
        {
          name: "prometheus",
          podSelector: app("prometheus"),
          egress: [toEverything()],
          ...(args.queryClients && args.queryClients.length > 0 ? { ingress: [fromNamespaces(args.queryClients, [9090])] } : {}),
        },
        { name: "grafana", podSelector: app("grafana"), ingress: [fromNamespaces([PLATFORM_NAMESPACES.ingressNginx, PLATFORM_NAMESPACES.istioIngress], [3000])] },
        // The operator's admission webhook, called by the API server.
        { name: "operator", podSelector: { "app.kubernetes.io/component": "prometheus-operator" }, ingress: [fromAnywhere([10250])] },
        ...(args.settings.alertmanager.receivers.length > 0 ? [{ name: "alertmanager", podSelector: app("alertmanager"), egress: [toAnywhere([443, 80])] }] : []),
      ],
      { ...child, dependsOn: [ns] },
    );
    const nodePolicies = platformNetworkPolicies(NODE_EXPORTER_NAMESPACE, [], { ...child, dependsOn: [nodeNs] });

    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 24, special: false }, child);
    this.grafanaAdminPassword = password.result;
    const adminData = pulumi.secret({ "admin-user": "admin", "admin-password": password.result });
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace: ns.metadata.name, labels: labels("grafana", "monitoring") },
        type: "Opaque",
        stringData: adminData,
      },
      child,
    );

    this.release = helmRelease(
      `${name}-release`,
      CHARTS.kubePrometheusStack,
      { releaseName: RELEASE, namespace: ns.metadata.name, values: monitoringValues(args, secretChecksum(adminData)), timeout: 900 },
      { ...child, dependsOn: [ns, nodeNs, adminSecret, ...policies, ...nodePolicies] },
    );
    this.crdsReady = this.release;
    const rootUrl = grafanaRootUrl(args);
    this.grafanaUrl = rootUrl.startsWith("%") ? `http://<EXTERNAL-IP>${args.settings.grafanaPath.replace(/\/+$/, "")}/` : rootUrl;
    this.registerOutputs({ grafanaUrl: this.grafanaUrl });
  }

  /**
   * Routes `<host><grafanaPath>` to Grafana through the configured entry point. Separate from
   * the constructor because ingress-nginx itself waits for this release (its ServiceMonitor).
   */
  public exposeGrafana(entry: GrafanaEntry): pulumi.Resource | undefined {
    const { settings, host, grafanaVia } = this.args;
    const child = { parent: this };
    const path = settings.grafanaPath;
    if (grafanaVia === "ingress-nginx") {
      const nginx = entry.ingressNginx;
      if (!nginx) throw new Error("monitoring.grafanaVia: ingress-nginx is not installed");
      return new k8s.networking.v1.Ingress(
        `${this.resourceName}-grafana`,
        {
          metadata: { name: "grafana", namespace: this.namespace, labels: labels("grafana", "monitoring") },
          spec: {
            ingressClassName: nginx.className,
            rules: [
              {
                ...(host ? { host } : {}),
                // No rewrite: Grafana serves from the sub path itself (serve_from_sub_path).
                http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: GRAFANA_SERVICE, port: { number: 80 } } } }] },
              },
            ],
          },
        },
        { ...child, dependsOn: [nginx.ready, this.release] },
      );
    }
    if (grafanaVia === "istio-gateway") {
      const istio = entry.istio;
      if (!istio?.gateway) throw new Error("monitoring.grafanaVia: the Istio gateway is not installed");
      return istioCustomResource(
        `${this.resourceName}-grafana`,
        {
          kind: "VirtualService",
          metadata: { name: "grafana", namespace: this.namespace, labels: labels("grafana", "monitoring") },
          spec: {
            hosts: [host || "*"],
            gateways: [istio.gateway],
            http: [
              {
                match: [{ uri: { prefix: path } }],
                route: [{ destination: { host: `${GRAFANA_SERVICE}.${this.namespace}.svc.cluster.local`, port: { number: 80 } } }],
              },
            ],
          },
        },
        istio,
        { ...child, dependsOn: [this.release] },
      );
    }
    return undefined;
  }
}
