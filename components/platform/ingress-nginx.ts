/**
 * ingress-nginx, the seeds' entry point.
 *
 * RETIRED UPSTREAM: Kubernetes SIG Network retired ingress-nginx in March 2026 — no further
 * releases, bug fixes or security fixes (kubernetes.io/blog/2025/11/11/ingress-nginx-retirement).
 * We pin the last chart (4.15.1, controller v1.15.1) because the seeds and the cookie-affinity
 * demonstration use it. The Istio ingress gateway (components/platform/istio.ts) is the
 * maintained alternative and every variant can use it (`exposure.via: istio-gateway`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ParsedStack } from "../../config/schema";
import type { EntryPoints } from "../cluster/types";
import { PLATFORM_NAMESPACES, type IngressNginxInfo, type MonitoringInfo } from "../contracts";
import { containerSecurityContext, namespace, podSecurityContext, resourceBlock } from "../k8s";
import { CHARTS, helmRelease } from "./charts";
import { fromAnywhere, fromNamespaces, platformNetworkPolicies, toAllPods } from "./network-policies";

/** uid/gid the official controller image runs as (www-data); the chart says never change them. */
const NGINX_UID = 101;
const NGINX_GID = 82;
const RELEASE = "ingress-nginx";

export interface IngressNginxArgs {
  /** `ingress.nginx` from the stack config. */
  settings: ParsedStack["ingress"]["nginx"];
  /** How the cluster exposes LoadBalancer Services (k3d host ports or a cloud load balancer). */
  entry: EntryPoints;
  /** When set: metrics on, and a ServiceMonitor (its CRD comes with the monitoring release). */
  monitoring?: MonitoringInfo;
}

/** The Helm values, separate from the component so tests and the key check can read them. */
export function ingressNginxValues(args: IngressNginxArgs): Record<string, unknown> {
  const s = args.settings;
  const cloud = args.entry.kind === "cloud-load-balancer";
  const trusted = s.trustedProxyCidrs.length > 0;
  const controllerPods = {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/instance": RELEASE,
    "app.kubernetes.io/component": "controller",
  };
  const jobResources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
  return {
    controller: {
      replicaCount: s.replicas,
      resources: resourceBlock(s.resources),
      // The restricted baseline from k8s.ts with the two things nginx needs: it binds 80/443 as
      // uid 101 (NET_BIND_SERVICE, which the restricted standard allows) and writes its config
      // under /etc/nginx and /tmp (no read-only root; the chart's default says the same).
      podSecurityContext: podSecurityContext(NGINX_UID, NGINX_GID),
      containerSecurityContext: {
        ...containerSecurityContext(NGINX_UID, NGINX_GID),
        readOnlyRootFilesystem: false,
        capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
      },
      allowSnippetAnnotations: false,
      ingressClass: "nginx",
      ingressClassResource: { name: "nginx", enabled: true, default: false },
      config: {
        // Off (default): X-Forwarded-For is overwritten with the TCP peer — the real client behind
        // an L4 load balancer with externalTrafficPolicy Local — so clients cannot forge it. On
        // only behind a trusted L7 proxy, whose addresses realip then accepts.
        "use-forwarded-headers": String(trusted),
        "compute-full-forwarded-for": String(trusted),
        ...(trusted ? { "proxy-real-ip-cidr": s.trustedProxyCidrs.join(",") } : {}),
      },
      service: {
        type: "LoadBalancer",
        ports: { http: 80, https: 443 },
        // k3d: klipper-lb binds 80/443 on every node and the k3d load balancer maps the host's
        // httpPort/httpsPort there; the source address is always that proxy's, so Local buys
        // nothing and would drop traffic reaching nodes without a controller pod.
        ...(cloud
          ? {
              externalTrafficPolicy: "Local",
              // Azure probes the health-check node port over HTTP; give it a path that answers.
              annotations: { "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz" },
            }
          : {}),
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: controllerPods } },
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: controllerPods } },
      ],
      admissionWebhooks: {
        createSecretJob: { resources: jobResources },
        patchWebhookJob: { resources: jobResources },
      },
      metrics: {
        enabled: args.monitoring !== undefined,
        serviceMonitor: {
          enabled: args.monitoring !== undefined,
          additionalLabels: args.monitoring?.selectorLabels ?? {},
        },
      },
    },
  };
}

/**
 * The ingress-nginx controller in its own namespace (Pod Security `restricted`: the controller
 * and the admission-webhook jobs comply, see the values), behind a LoadBalancer Service.
 */
export class IngressNginx extends pulumi.ComponentResource implements IngressNginxInfo {
  public readonly className = "nginx";
  /** The Release: Ingress objects wait for it (the admission webhook rejects them until it runs). */
  public readonly ready: k8s.helm.v3.Release;
  public readonly namespace: string = PLATFORM_NAMESPACES.ingressNginx;
  /** The controller's LoadBalancer Service. */
  public readonly serviceName = `${RELEASE}-controller`;

  constructor(name: string, args: IngressNginxArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:IngressNginx", name, {}, opts);
    const child = { parent: this };
    const ns = namespace(this.namespace, "restricted", child);
    const policies = platformNetworkPolicies(
      this.namespace,
      [
        {
          name: "controller",
          podSelector: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
          // 80/443 from clients, 8443 from the API server (admission webhook).
          ingress: [fromAnywhere([80, 443, 8443]), ...(args.monitoring ? [fromNamespaces([PLATFORM_NAMESPACES.monitoring], [10254])] : [])],
          egress: [toAllPods()],
        },
      ],
      { ...child, dependsOn: [ns] },
    );
    this.ready = helmRelease(
      `${name}-release`,
      CHARTS.ingressNginx,
      { releaseName: RELEASE, namespace: ns.metadata.name, values: ingressNginxValues(args), timeout: 600 },
      // The chart's ServiceMonitor needs the CRD that the monitoring release installs.
      { ...child, dependsOn: [ns, ...policies, ...(args.monitoring ? [args.monitoring.crdsReady] : [])] },
    );
    this.registerOutputs({ className: this.className, namespace: this.namespace });
  }
}
