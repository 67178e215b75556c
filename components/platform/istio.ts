/**
 * Istio in sidecar mode: base (CRDs) → CNI node agent → istiod → ingress gateway, a mesh-wide
 * PeerAuthentication and the shared `istio-ingress/statefleet-gateway` Gateway.
 *
 * Why a CNI node agent (a fourth release): the app namespace enforces the `restricted` Pod
 * Security Standard, and without Istio CNI every injected pod carries an `istio-init` container
 * that runs as root with NET_ADMIN/NET_RAW — admission would reject every app pod. With CNI the
 * pod gets `istio-validation` instead (uid 1337, no capabilities) and stays restricted.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IAuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import type { IPeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway";
import type { IServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import type { ParsedStack } from "../../config/schema";
import type { EntryPoints } from "../cluster/types";
import { PLATFORM_NAMESPACES, type IstioInfo } from "../contracts";
import { labels, namespace, podSecurityContext, resourceBlock } from "../k8s";
import { CHARTS, helmRelease } from "./charts";
import { fromAllPods, fromAnywhere, fromNamespaces, platformNetworkPolicies, toAllPods } from "./network-policies";

/** Where the CNI node agent runs: privileged (host network setup), so apart from istiod. */
export const ISTIO_CNI_NAMESPACE = "istio-cni";
/** Name of the shared Gateway every VirtualService on the ingress gateway binds to. */
export const SHARED_GATEWAY = "statefleet-gateway";
/** Release name of the gateway; its pods are labelled `istio: ingress` (release name minus `istio-`). */
const GATEWAY_RELEASE = "istio-ingress";
const GATEWAY_SELECTOR = { istio: "ingress" };
/** uid/gid of istio-proxy. */
const PROXY_UID = 1337;

// ── typed Istio custom resources ──

/** `spec` of the Istio kinds we create, from the Istio 1.29 CRD schemas (type-only imports). */
export interface IstioSpecs {
  VirtualService: NonNullable<IVirtualService["spec"]>;
  DestinationRule: NonNullable<IDestinationRule["spec"]>;
  Gateway: NonNullable<IGateway["spec"]>;
  ServiceEntry: NonNullable<IServiceEntry["spec"]>;
  PeerAuthentication: NonNullable<IPeerAuthentication["spec"]>;
  AuthorizationPolicy: NonNullable<IAuthorizationPolicy["spec"]>;
}

const API_VERSIONS: { [K in keyof IstioSpecs]: string } = {
  VirtualService: "networking.istio.io/v1",
  DestinationRule: "networking.istio.io/v1",
  Gateway: "networking.istio.io/v1",
  ServiceEntry: "networking.istio.io/v1",
  PeerAuthentication: "security.istio.io/v1",
  AuthorizationPolicy: "security.istio.io/v1",
};

/** A plain type where any leaf (or list) may be a Pulumi Input; object keys stay exact. */
export type DeepInput<T> = T extends string | number | boolean | null | undefined
  ? pulumi.Input<T>
  : T extends readonly (infer U)[]
    ? pulumi.Input<DeepInput<U>[]>
    : { [K in keyof T]: DeepInput<T[K]> };

export interface IstioResourceArgs<K extends keyof IstioSpecs> {
  kind: K;
  metadata: { name: string; namespace: pulumi.Input<string>; labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Typed by the CRD schema: an unknown field is a compile error, not a silently dropped setting. */
  spec: DeepInput<IstioSpecs[K]>;
}

/**
 * An Istio custom resource that waits for Istio (`crdsReady`: the CRDs and istiod's validating
 * webhook). Every Istio object of the program goes through here.
 */
export function istioCustomResource<K extends keyof IstioSpecs>(
  name: string,
  args: IstioResourceArgs<K>,
  istio: Pick<IstioInfo, "crdsReady">,
  opts: Omit<pulumi.CustomResourceOptions, "dependsOn"> & { dependsOn?: pulumi.Resource[] } = {},
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    { apiVersion: API_VERSIONS[args.kind], kind: args.kind, metadata: args.metadata, spec: args.spec },
    { ...opts, dependsOn: [...(opts.dependsOn ?? []), istio.crdsReady] },
  );
}

// ── the component ──

export interface IstioArgs {
  /** `istio` from the stack config. */
  settings: ParsedStack["istio"];
  /** How LoadBalancer Services are reached: decides the gateway's Service ports. */
  entry: EntryPoints;
  /** k3d keeps its CNI configuration under /var/lib/rancher/k3s. */
  clusterKind: "k3d" | "aks";
}

/** Helm values of the four releases (exported for tests and the chart key check). */
export function istioValues(args: IstioArgs) {
  const s = args.settings;
  const g = s.gateway;
  const restrictedSeccomp = { type: "RuntimeDefault" };
  const gatewayPorts =
    args.entry.kind === "host-ports"
      ? // klipper-lb gives 80/443 to ingress-nginx; k3d maps the host's istioPort to this port.
        [{ name: "http2", port: args.entry.istioServicePort, protocol: "TCP", targetPort: 80 }]
      : [{ name: "http2", port: 80, protocol: "TCP", targetPort: 80 }];
  return {
    base: { defaultRevision: "default" },
    cni: {
      ...(args.clusterKind === "k3d" ? { cniConfDir: "/var/lib/rancher/k3s/agent/etc/cni/net.d", cniBinDir: "/bin" } : {}),
      resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    },
    istiod: {
      autoscaleEnabled: false,
      replicaCount: s.istiodReplicas,
      resources: resourceBlock(s.istiodResources),
      seccompProfile: restrictedSeccomp,
      cni: { enabled: true },
      global: {
        // Sidecars and istio-validation get RuntimeDefault seccomp: the last piece `restricted` wants.
        proxy: { resources: resourceBlock(s.proxyResources), seccompProfile: restrictedSeccomp },
      },
      // Apps that connect to Redis at start would otherwise race their own sidecar.
      meshConfig: { defaultConfig: { holdApplicationUntilProxyStarts: true } },
    },
    gateway: {
      replicaCount: g.replicas,
      autoscaling: { enabled: false },
      resources: resourceBlock(g.resources),
      // Setting securityContext replaces the chart's default sysctl, so keep it: Envoy binds 80
      // as uid 1337 through the (safe, namespaced) unprivileged-port sysctl.
      securityContext: { ...podSecurityContext(PROXY_UID, PROXY_UID), sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] },
      service: {
        type: "LoadBalancer",
        ports: [{ name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 }, ...gatewayPorts],
        ...(args.entry.kind === "cloud-load-balancer" ? { externalTrafficPolicy: "Local" } : {}),
      },
      podDisruptionBudget: g.replicas > 1 ? { minAvailable: 1 } : {},
    },
  };
}

/**
 * Istio in sidecar mode. `crdsReady` is istiod's Release: it waits for the CRDs (base) and the
 * CNI agent, and once it is up the validating and injecting webhooks answer — so Istio objects
 * are accepted and pods in injected namespaces get their sidecar.
 */
export class Istio extends pulumi.ComponentResource implements IstioInfo {
  public readonly crdsReady: k8s.helm.v3.Release;
  public readonly gateway?: string;
  public readonly mtls: "STRICT" | "PERMISSIVE";
  public readonly base: k8s.helm.v3.Release;
  public readonly cni: k8s.helm.v3.Release;
  public readonly istiod: k8s.helm.v3.Release;
  public readonly gatewayRelease?: k8s.helm.v3.Release;
  public readonly peerAuthentication: k8s.apiextensions.CustomResource;
  public readonly sharedGateway?: k8s.apiextensions.CustomResource;

  constructor(name: string, args: IstioArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:Istio", name, {}, opts);
    const child = { parent: this };
    const s = args.settings;
    const values = istioValues(args);
    const monitoringNs = [PLATFORM_NAMESPACES.monitoring];

    // istiod and the gateway comply with `restricted` (values above); the CNI agent cannot.
    const systemNs = namespace(PLATFORM_NAMESPACES.istioSystem, "restricted", child);
    const cniNs = namespace(ISTIO_CNI_NAMESPACE, "privileged", child);
    const systemPolicies = platformNetworkPolicies(
      PLATFORM_NAMESPACES.istioSystem,
      [
        {
          name: "istiod",
          podSelector: { app: "istiod" },
          // xDS/CA from every sidecar and gateway, metrics; 15017 is the webhook the API server calls.
          ingress: [fromAllPods([15010, 15012, 15014]), fromAnywhere([15017])],
        },
      ],
      { ...child, dependsOn: [systemNs] },
    );
    const cniPolicies = platformNetworkPolicies(
      ISTIO_CNI_NAMESPACE,
      [{ name: "metrics", podSelector: { "k8s-app": "istio-cni-node" }, ingress: [fromNamespaces(monitoringNs, [15014])] }],
      { ...child, dependsOn: [cniNs] },
    );

    this.base = helmRelease(
      `${name}-base`,
      CHARTS.istioBase,
      { releaseName: "istio-base", namespace: systemNs.metadata.name, values: values.base },
      { ...child, dependsOn: [systemNs] },
    );
    this.cni = helmRelease(
      `${name}-cni`,
      CHARTS.istioCni,
      { releaseName: "istio-cni", namespace: cniNs.metadata.name, values: values.cni },
      { ...child, dependsOn: [cniNs, ...cniPolicies] },
    );
    this.istiod = helmRelease(
      `${name}-istiod`,
      CHARTS.istiod,
      { releaseName: "istiod", namespace: systemNs.metadata.name, values: values.istiod },
      // No injected pod may start before the CNI agent is on every node.
      { ...child, dependsOn: [this.base, this.cni, ...systemPolicies] },
    );
    this.crdsReady = this.istiod;
    this.mtls = s.mtls;
    const crOpts = { ...child, dependsOn: [this.base] };

    this.peerAuthentication = istioCustomResource(
      `${name}-mesh-mtls`,
      {
        kind: "PeerAuthentication",
        // In the root namespace, without a selector: the mesh-wide default.
        metadata: { name: "default", namespace: systemNs.metadata.name, labels: labels("istio", "mesh-policy") },
        spec: { mtls: { mode: s.mtls } },
      },
      this,
      crOpts,
    );

    if (s.gateway.enabled) {
      const ingressNs = namespace(PLATFORM_NAMESPACES.istioIngress, "restricted", child);
      const ingressPolicies = platformNetworkPolicies(
        PLATFORM_NAMESPACES.istioIngress,
        [
          {
            name: "gateway",
            podSelector: GATEWAY_SELECTOR,
            // 80: clients; 15021: load-balancer health; 15020/15090: Prometheus.
            ingress: [fromAnywhere([80, 15021]), fromNamespaces(monitoringNs, [15020, 15090])],
            egress: [toAllPods()],
          },
        ],
        { ...child, dependsOn: [ingressNs] },
      );
      this.gatewayRelease = helmRelease(
        `${name}-gateway`,
        CHARTS.istioGateway,
        { releaseName: GATEWAY_RELEASE, namespace: ingressNs.metadata.name, values: values.gateway },
        { ...child, dependsOn: [this.istiod, ingressNs, ...ingressPolicies] },
      );
      this.sharedGateway = istioCustomResource(
        `${name}-shared-gateway`,
        {
          kind: "Gateway",
          metadata: { name: SHARED_GATEWAY, namespace: ingressNs.metadata.name, labels: labels(SHARED_GATEWAY, "gateway") },
          spec: {
            selector: GATEWAY_SELECTOR,
            // Port 80 is the listener (targetPort); on k3d the Service publishes it as 8081.
            servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: s.gateway.hosts }],
          },
        },
        this,
        crOpts,
      );
      this.gateway = `${PLATFORM_NAMESPACES.istioIngress}/${SHARED_GATEWAY}`;
    }
    this.registerOutputs({ gateway: this.gateway, mtls: this.mtls });
  }
}
