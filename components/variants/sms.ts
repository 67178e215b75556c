import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Scaling, SmsConfig } from "../../config/types";
import { PLATFORM_NAMESPACES } from "../contracts";
import { labels, namespaceSelector } from "../k8s";
import { istioCustomResource } from "../platform/istio";
import { APP_PORT, SERVICE_PORT, Workload } from "../workload";
import { exposureOf, routeOf, type AppRoute, type VariantArgs } from "./platform";
import { alertRuleGroups, smsDashboards } from "./sms-monitoring";
import { METRIC_TEMPLATES, canarySpec, metricTemplateSpecs } from "./sms-rollout";
import {
  APP_LABEL,
  APP_VERSIONS,
  SHADOW_VERSION,
  VERSION_LABEL,
  appDestinationRuleSpec,
  appVirtualServiceSpec,
  modelDestinationRuleSpec,
  modelVirtualServiceSpec,
  type SmsHosts,
} from "./sms-routing";

export type SmsAppArgs = VariantArgs<SmsConfig>;

/**
 * The SMS checker (seed 004): `sms-app` v1 (stable) and v2 (canary) behind the Istio gateway
 * with a weighted split that a version cookie makes sticky; `sms-model` v1/v2 chosen by the
 * caller's version, v3 as a shadow on mirrored calls; an alert and dashboards.
 * Each version is a Workload; the Services, routing and monitoring across them are built here.
 */
export class SmsApp extends pulumi.ComponentResource {
  /** Workloads by name (`sms-app-v1`, …, `sms-model-v3`). */
  public readonly workloads: Record<string, Workload> = {};
  public readonly route?: AppRoute;

  constructor(name: string, args: SmsAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:variants:SmsApp", name, {}, opts);
    const c = args.config;
    const key = "statefleet:apps.sms";
    const ns = args.namespace;
    const istio = args.platform.istio;
    const exposure = exposureOf(key, { ...c.exposure, stripPrefix: false }, args.platform, args.defaultHost);
    if (!istio?.gateway || exposure?.via !== "istio-gateway") throw new Error(`${key}: needs Istio with its gateway (istio.enabled, istio.gateway.enabled)`);

    const appName = `${name}-app`;
    const modelName = `${name}-model`;
    const fqdn = (service: string) => `${service}.${ns}.svc.cluster.local`;
    const hosts: SmsHosts = { external: exposure.host || "*", gateway: istio.gateway, app: fqdn(appName), model: fqdn(modelName), port: SERVICE_PORT };
    const appPods = { [APP_LABEL]: appName };
    const modelPods = { [APP_LABEL]: modelName };
    const common = { namespace: ns, image: args.image, monitoring: args.platform.monitoring, mesh: istio, dependsOn: args.dependsOn };
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };

    const flagger = c.rollout === "flagger";
    if (flagger && !args.platform.flagger) throw new Error(`${key}.rollout: flagger, but Flagger is not installed (it needs monitoring.enabled)`);
    const appEnv = (v: string) => [
      { name: "APP_VERSION", value: v },
      { name: "MODEL_HOST", value: `http://${hosts.model}` },
      { name: "MODEL_TIMEOUT_MS", value: String(Math.round(c.model.timeoutSeconds * 1000)) },
      { name: "SESSION_COOKIE", value: c.stickiness.cookieName },
      { name: "SESSION_MAX_AGE_SECONDS", value: String(c.stickiness.maxAgeSeconds) },
    ];
    /** `name` is the Workload's (static: `sms-app-v1`; flagger: `sms-app`, Flagger's target). */
    const version = (role: "app" | "model", v: string, scaling: Scaling, env: k8s.types.input.core.v1.EnvVar[], name?: string) => {
      const service = role === "app" ? appName : modelName;
      const workloadName = name ?? `${service}-${v}`;
      const w = new Workload(
        workloadName,
        {
          ...common,
          args: [`sms-${role}`],
          component: `sms-${role}`,
          resources: role === "app" ? c.app.resources : c.model.resources,
          scaling,
          state: { kind: "none" },
          env,
          podLabels: { [APP_LABEL]: service, [VERSION_LABEL]: v },
          // The app calls every model version (the shadow gets its copy from the app's sidecar).
          ...(role === "app" ? { calls: [modelPods] } : { clients: [appPods] }),
          ...(name !== undefined ? { progressiveDelivery: true } : {}),
        },
        { parent: this },
      );
      this.workloads[workloadName] = w;
    };
    if (flagger) {
      // One Deployment; a release changes its pod template (version, fault) and Flagger takes it from there.
      version("app", c.flagger.version, c.flagger.scaling, [...appEnv(c.flagger.version), { name: "SMS_FAULT", value: c.flagger.fault }], appName);
    } else {
      for (const v of APP_VERSIONS) version("app", v, c.app[v], appEnv(v));
    }
    for (const v of APP_VERSIONS) version("model", v, c.model[v], [{ name: "MODEL_VERSION", value: v }]);
    if (c.shadow.enabled) version("model", SHADOW_VERSION, c.shadow.scaling, [{ name: "MODEL_VERSION", value: SHADOW_VERSION }]);

    // One Service per role spanning its versions: the name callers use and the host the routing splits.
    // With Flagger the app's Services are Flagger's (`sms-app`, `-primary`, `-canary`).
    const services = (flagger ? [modelName] : [appName, modelName]).map(
      (service) =>
        new k8s.core.v1.Service(
          service,
          {
            metadata: { name: service, namespace: ns, labels: labels(service, service === appName ? "sms-app" : "sms-model") },
            spec: {
              type: "ClusterIP",
              selector: { [APP_LABEL]: service, "app.kubernetes.io/part-of": "statefleet" },
              ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
            },
          },
          child,
        ),
    );
    const meshChild = { parent: this, dependsOn: [...(args.dependsOn ?? []), ...services] };
    const meta = (n: string, component: string) => ({ name: n, namespace: ns, labels: labels(n, component) });
    if (!flagger) {
      istioCustomResource(appName, { kind: "DestinationRule", metadata: meta(appName, "sms-app"), spec: appDestinationRuleSpec(hosts) }, istio, meshChild);
      istioCustomResource(appName, { kind: "VirtualService", metadata: meta(appName, "sms-app"), spec: appVirtualServiceSpec(c, hosts) }, istio, meshChild);
    } else if (args.platform.flagger) {
      // Flagger generates the app's DestinationRules and VirtualService from the Canary.
      const fl = args.platform.flagger;
      const crChild = { parent: this, dependsOn: [...(args.dependsOn ?? []), fl.crdsReady] };
      const specs = metricTemplateSpecs(fl.prometheusUrl);
      const templates = (Object.keys(METRIC_TEMPLATES) as (keyof typeof METRIC_TEMPLATES)[]).map(
        (k) =>
          new k8s.apiextensions.CustomResource(
            METRIC_TEMPLATES[k],
            { apiVersion: "flagger.app/v1beta1", kind: "MetricTemplate", metadata: meta(METRIC_TEMPLATES[k], "sms-app"), spec: specs[k] },
            crChild,
          ),
      );
      const target = this.workloads[appName] as Workload;
      new k8s.apiextensions.CustomResource(
        appName,
        { apiVersion: "flagger.app/v1beta1", kind: "Canary", metadata: meta(appName, "sms-app"), spec: canarySpec(c, appName, { external: hosts.external, gateway: hosts.gateway, namespace: ns }) },
        { ...crChild, dependsOn: [...crChild.dependsOn, ...templates, target, istio.crdsReady] },
      );
    }
    istioCustomResource(modelName, { kind: "DestinationRule", metadata: meta(modelName, "sms-model"), spec: modelDestinationRuleSpec(c, hosts) }, istio, meshChild);
    istioCustomResource(modelName, { kind: "VirtualService", metadata: meta(modelName, "sms-model"), spec: modelVirtualServiceSpec(c, hosts, appName) }, istio, meshChild);

    // The gateway reaches every app version; each Workload's own policy admits only its named callers.
    new k8s.networking.v1.NetworkPolicy(
      `${appName}-from-gateway`,
      {
        metadata: meta(`${appName}-from-gateway`, "sms-app"),
        spec: {
          podSelector: { matchLabels: appPods },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.istioIngress) }], ports: [{ protocol: "TCP", port: APP_PORT }] }],
        },
      },
      child,
    );

    const monitoring = args.platform.monitoring;
    if (monitoring && c.alert.enabled) {
      new k8s.apiextensions.CustomResource(
        `${name}-alerts`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: `${name}-alerts`, namespace: ns, labels: { ...labels(`${name}-alerts`, "sms-app"), ...monitoring.selectorLabels } },
          spec: { groups: alertRuleGroups(c, ns) },
        },
        { parent: this, dependsOn: [...(args.dependsOn ?? []), monitoring.crdsReady] },
      );
    }
    if (monitoring && c.dashboards) {
      for (const [file, board] of Object.entries(smsDashboards(c, ns))) {
        const n = `${name}-dashboard-${file.replace(/^sms-|\.json$/g, "")}`;
        new k8s.core.v1.ConfigMap(n, { metadata: { ...meta(n, "sms-app"), labels: { ...labels(n, "sms-app"), ...monitoring.dashboardLabel } }, data: { [file]: JSON.stringify(board) } }, child);
      }
    }

    this.route = routeOf(exposure, "/sms/");
    this.registerOutputs({ appService: appName, modelService: modelName });
  }
}
