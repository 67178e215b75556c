/**
 * Workload: the one place that turns "a container + scaling + exposure" into Kubernetes objects.
 * Variants say WHAT runs (role, env, state, who may call it); this file decides HOW, with safe
 * defaults: restricted pods, probes, graceful drain, spread across nodes, HPA or fixed replicas,
 * a PDB, a ServiceMonitor, an Ingress or a VirtualService, and a NetworkPolicy that admits only
 * the callers named here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../config/common";
import type { Scaling } from "../config/types";
import {
  PLATFORM_NAMESPACES,
  type IngressNginxInfo,
  type IstioInfo,
  type MongoAppDatabase,
  type MongoInfo,
  type MonitoringInfo,
  type RedisInfo,
  type RwxClaim,
} from "./contracts";
import { containerSecurityContext, envFromSecret, httpProbes, labels, namespaceSelector, podSecurityContext, resourceBlock, secretChecksumAnnotation, selectorLabels } from "./k8s";
import { istioCustomResource } from "./platform/istio";
import { serviceMonitor } from "./service-monitor";
import { NAMESPACES } from "./platform/namespaces";

import K8sInputs = k8s.types.input;

/** The port every role listens on (`PORT`); the Service maps port 80 to it. */
export const APP_PORT = 8080;
/** The Service port clients use (`http://<service>.<ns>.svc.cluster.local`). */
export const SERVICE_PORT = 80;
/** Where `pod` / `shared-volume` state is mounted (the image's default `STATE_DIR`). */
export const STATE_DIR = "/var/lib/statefleet";
/** Redis' port, for the egress rule. */
export const REDIS_PORT = 6379;
/** MongoDB's port, for the egress rule. */
export const MONGO_PORT = 27017;

/** Where the workload keeps its state; decides volumes, env, labels and dependencies. */
export type WorkloadState =
  /**
   * `pod`: an emptyDir per pod. Deliberately the seed's flaw: each replica counts on its own and
   * the counts vanish with the pod (they survive container restarts only).
   */
  | { kind: "pod"; size: string }
  /** `shared-volume`: one ReadWriteMany claim for every replica (read-only for readers). */
  | { kind: "shared-volume"; claim: RwxClaim; readOnly?: boolean }
  /** `redis`: the external store; pods get Redis' client labels and wait for it. */
  | { kind: "redis"; redis: RedisInfo }
  /**
   * `mongo`: atomic `$inc` upserts in MongoDB; pods get Mongo's client labels and wait for it.
   * `database` picks the database `MONGO_URL` names (default `statefleet`).
   */
  | { kind: "mongo"; mongo: MongoInfo; database?: MongoAppDatabase }
  /** No state of its own (e.g. logoutput reading pingpong over HTTP). */
  | { kind: "none" };

/** How traffic from outside the cluster reaches the workload. */
export type WorkloadExposure =
  | {
      via: "ingress-nginx";
      ingress: IngressNginxInfo;
      /** "" = any host. */
      host: string;
      /** Remove `path` before the request reaches the app (`<path>/x` → `/x`). */
      stripPrefix: boolean;
      /** Path prefix, rewritten to `/` before it reaches the app. */
      path: string;
      /** Sticky sessions with an ingress-nginx cookie (seed 000's real fix for stickiness). */
      cookieAffinity?: { cookieName: string };
    }
  | {
      via: "istio-gateway";
      istio: IstioInfo;
      /** "" = any host. */
      host: string;
      /** Remove `path` before the request reaches the app (`<path>/x` → `/x`). */
      stripPrefix: boolean;
      /** Path prefix, rewritten to `/` before it reaches the app. */
      path: string;
    };

export interface WorkloadArgs {
  /** Namespace of every object (must exist; put it in `dependsOn` when this program creates it). */
  namespace: string;
  /** Container image (pinned tag or digest). */
  image: pulumi.Input<string>;
  /** Arguments after the image's ENTRYPOINT (`node /app/dist/main.js`): the role. */
  args: string[];
  /** `app.kubernetes.io/component` label. */
  component: string;
  resources: Resources;
  scaling: Scaling;
  state: WorkloadState;
  /**
   * Data services the container connects to besides its state store (the api's documents, its
   * cache): each adds its connection env, client labels, egress and a wait, as a store would.
   */
  uses?: { redis?: RedisInfo; mongo?: MongoInfo };
  /** Extra environment (role settings); PORT, POD_*, STATE*, REDIS_*, MONGO_URL, SHUTDOWN_TIMEOUT_MS are set here. */
  env?: K8sInputs.core.v1.EnvVar[];
  /**
   * Stick a caller IP to one pod: Service `sessionAffinity: ClientIP` with this timeout (kube-proxy
   * callers) and, in the mesh, a DestinationRule hashing on the source IP (the gateway, sidecars).
   */
  clientIpAffinity?: { timeoutSeconds: number };
  exposure?: WorkloadExposure;
  /** Scrape `/metrics` with a ServiceMonitor and admit Prometheus on the app port. */
  monitoring?: MonitoringInfo;
  /** The mesh the namespace is injected into: adds istiod egress and, under STRICT mTLS, plaintext callers on the app port. */
  mesh?: IstioInfo;
  /** Pod labels of workloads in the same namespace that may call this one on its app port. */
  clients?: Record<string, string>[];
  /** Pod labels of workloads in the same namespace this one calls on their app port. */
  calls?: Record<string, string>[];
  /**
   * Only one pod may run at a time (a single writer on a volume): `Recreate` instead of a
   * rolling update, which would briefly run the old and the new pod side by side.
   */
  singleWriter?: boolean;
  /** Seconds the pod keeps serving after it is marked terminating, while endpoints drop it. Default 5. */
  drainSeconds?: number;
  /** The app's own shutdown budget (`SHUTDOWN_TIMEOUT_MS`), seconds. Default 20. */
  shutdownTimeoutSeconds?: number;
  /** Resources every child waits for (the namespace, …); the data services are added from `state`. */
  dependsOn?: pulumi.Resource[];
  /**
   * Extra pod labels (e.g. the mesh's `app` / `version`, which routing selects on). The
   * ServiceMonitor copies them onto every scraped series (`podTargetLabels`).
   */
  podLabels?: Record<string, string>;
  /**
   * The Deployment is the target of a progressive-delivery controller (a Flagger `Canary`):
   * the controller copies it to `<name>-primary` (same pod labels except the selector's
   * `app.kubernetes.io/name`, which becomes `<name>-primary`), owns the Services and routing named
   * `<name>`, `<name>-primary`, `<name>-canary`, and scales this Deployment to zero between
   * releases. So: no Service `<name>` and no exposure here; the NetworkPolicy, PDB, mTLS exception
   * and scraping select both copies by `statefleet.io/workload: <name>` (a headless `<name>-pods`
   * Service for the ServiceMonitor); the replica count is left to the controller after creation.
   */
  progressiveDelivery?: boolean;
}

/** Pod label that a progressive-delivery target and its controller-made primary copy share. */
export const WORKLOAD_LABEL = "statefleet.io/workload";

/** The Istio `uri` rewrite pair for a prefix: `/p` and `/p/...` both reach the app as `/...`. */
export function istioMatches(path: string): { uri: { exact?: string; prefix?: string } }[] {
  const p = trimPath(path);
  return p === "/" ? [{ uri: { prefix: "/" } }] : [{ uri: { exact: p } }, { uri: { prefix: `${p}/` } }];
}

/** The ingress-nginx regex path whose second group is what the app sees (`rewrite-target: /$2`). */
export function nginxRegexPath(path: string): string {
  const p = trimPath(path);
  return p === "/" ? "/()(.*)" : `${p}(/|$)(.*)`;
}

function trimPath(path: string): string {
  const t = path.replace(/\/+$/, "");
  return t === "" ? "/" : t;
}

/**
 * Deployment + Service (+ HPA, PDB, ServiceMonitor, Ingress or VirtualService, NetworkPolicy,
 * DestinationRule, PeerAuthentication) for one container.
 */
export class Workload extends pulumi.ComponentResource {
  /** The Service name: `http://<serviceName>.<namespace>.svc.cluster.local`. */
  public readonly serviceName: string;
  /** In-cluster URL of the Service (port 80). */
  public readonly url: string;
  /** Labels the pods carry that selectors and NetworkPolicies use. */
  public readonly selector: Record<string, string>;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;

  constructor(name: string, args: WorkloadArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:app:Workload", name, {}, opts);
    const ns = args.namespace;
    const drain = args.drainSeconds ?? 5;
    const shutdown = args.shutdownTimeoutSeconds ?? 20;
    const sel = selectorLabels(name);
    const pd = args.progressiveDelivery === true;
    /** Selects every pod of the workload: with a controller-made primary copy, both copies. */
    const pods = pd ? { "app.kubernetes.io/part-of": "statefleet", [WORKLOAD_LABEL]: name } : sel;
    const meta = (extra: Record<string, string> = {}) => ({ name, namespace: ns, labels: { ...labels(name, args.component), ...extra } });
    const waitFor = [...(args.dependsOn ?? [])];
    /** Only the pods wait for the data service; everything else can be created meanwhile. */
    const podsWaitFor: pulumi.Resource[] = [];
    // In the mesh, pods created before istiod's injection webhook exists would run without a
    // sidecar (and, under STRICT mTLS, be unreachable) until their next restart.
    if (args.mesh) podsWaitFor.push(args.mesh.crdsReady);
    const child = (...more: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, dependsOn: [...waitFor, ...more] });

    // ── state: volumes, env, labels, dependencies ──
    const state = args.state;
    const stateEnv: K8sInputs.core.v1.EnvVar[] = [];
    const volumes: K8sInputs.core.v1.Volume[] = [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }];
    const mounts: K8sInputs.core.v1.VolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
    let podExtraLabels: Record<string, string> = {};
    switch (state.kind) {
      case "pod":
        stateEnv.push({ name: "STATE", value: "pod" }, { name: "STATE_DIR", value: STATE_DIR });
        volumes.push({ name: "state", emptyDir: { sizeLimit: state.size } });
        mounts.push({ name: "state", mountPath: STATE_DIR });
        break;
      case "shared-volume": {
        stateEnv.push({ name: "STATE", value: "shared-volume" }, { name: "STATE_DIR", value: STATE_DIR });
        // Read-only on the mount, not the volume: the kubelet may still need to create the subPath.
        volumes.push({ name: "state", persistentVolumeClaim: { claimName: state.claim.claimName } });
        // On k3d a claim is its own sub-directory of the shared host directory (RwxClaim.subPath).
        const subPath = state.claim.subPath;
        mounts.push({ name: "state", mountPath: STATE_DIR, readOnly: state.readOnly ?? false, ...(subPath !== undefined ? { subPath } : {}) });
        break;
      }
      case "redis":
        stateEnv.push({ name: "STATE", value: "redis" });
        break;
      case "mongo":
        stateEnv.push({ name: "STATE", value: "mongo" });
        break;
      case "none":
        break;
    }

    // ── data services: the state store and whatever else the container uses ──
    const redis = state.kind === "redis" ? state.redis : args.uses?.redis;
    const mongo = state.kind === "mongo" ? state.mongo : args.uses?.mongo;
    if (redis) {
      stateEnv.push({ name: "REDIS_URL", value: redis.url }, envFromSecret("REDIS_PASSWORD", redis.passwordSecret));
      podExtraLabels = { ...podExtraLabels, ...redis.clientLabels };
      podsWaitFor.push(redis.ready);
    }
    if (mongo) {
      // The connection string carries the app user's password: only ever by secretKeyRef.
      const database = state.kind === "mongo" ? state.database : undefined;
      stateEnv.push(envFromSecret("MONGO_URL", database ? mongo.urlSecretFor(database) : mongo.urlSecret));
      podExtraLabels = { ...podExtraLabels, ...mongo.clientLabels };
      podsWaitFor.push(mongo.ready);
    }

    const podLabels = { ...labels(name, args.component), ...podExtraLabels, ...(args.podLabels ?? {}), ...(pd ? { [WORKLOAD_LABEL]: name } : {}) };
    const env: K8sInputs.core.v1.EnvVar[] = [
      { name: "PORT", value: String(APP_PORT) },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "SHUTDOWN_TIMEOUT_MS", value: String(shutdown * 1000) },
      ...stateEnv,
      ...(args.env ?? []),
    ];
    const fixed = args.scaling.kind === "fixed" ? args.scaling.replicas : undefined;
    const manyPods = args.scaling.kind === "autoscale" || (fixed ?? 1) > 1;

    // Spread replicas over nodes and zones when the scheduler can; never block scheduling on it.
    const spread = (topologyKey: string): K8sInputs.core.v1.TopologySpreadConstraint => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: sel },
      matchLabelKeys: ["pod-template-hash"],
    });

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta(),
        spec: {
          // Absent under an HPA: the HPA owns the count and an update must not reset it.
          ...(fixed !== undefined ? { replicas: fixed } : {}),
          revisionHistoryLimit: 3,
          selector: { matchLabels: sel },
          strategy: args.singleWriter ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            // A rotated Redis password or MongoDB connection string rolls the pods onto it.
            metadata: { labels: podLabels, annotations: secretChecksumAnnotation([redis?.passwordSecret.checksum, mongo?.urlSecret.checksum]) },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: podSecurityContext(),
              // preStop drain + the app's own shutdown budget + a margin before SIGKILL.
              terminationGracePeriodSeconds: drain + shutdown + 5,
              topologySpreadConstraints: [spread("kubernetes.io/hostname"), spread("topology.kubernetes.io/zone")],
              containers: [
                {
                  name: "app",
                  image: args.image,
                  imagePullPolicy: "IfNotPresent",
                  args: args.args,
                  ports: [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }],
                  env,
                  resources: resourceBlock(args.resources),
                  securityContext: containerSecurityContext(),
                  ...httpProbes("http"),
                  // The kubelet's own sleep (1.30+): nothing is exec'd in the container, whatever the image ships.
                  lifecycle: { preStop: { sleep: { seconds: drain } } },
                  volumeMounts: mounts,
                },
              ],
              volumes,
            },
          },
        },
      },
      // The controller scales the target (to zero between releases); an update must not fight it.
      pd ? { ...child(...podsWaitFor), ignoreChanges: ["spec.replicas"] } : child(...podsWaitFor),
    );

    this.serviceName = name;
    this.url = `http://${name}.${ns}.svc.cluster.local`;
    this.selector = sel;
    // Under a progressive-delivery controller the Service `<name>` is the controller's; ours is
    // headless, only for scraping every pod of both copies.
    this.service = new k8s.core.v1.Service(
      pd ? `${name}-pods` : name,
      {
        metadata: pd ? { name: `${name}-pods`, namespace: ns, labels: labels(`${name}-pods`, args.component) } : meta(),
        spec: {
          type: "ClusterIP",
          ...(pd ? { clusterIP: "None" } : {}),
          selector: pods,
          ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
          ...(args.clientIpAffinity
            ? { sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: args.clientIpAffinity.timeoutSeconds } } }
            : {}),
        },
      },
      child(),
    );

    if (args.scaling.kind === "autoscale") {
      const s = args.scaling;
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        name,
        {
          metadata: meta(),
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
            minReplicas: s.min,
            maxReplicas: s.max,
            // The app container only: an Istio sidecar's CPU would skew a pod-level average.
            metrics: [{ type: "ContainerResource", containerResource: { name: "cpu", container: "app", target: { type: "Utilization", averageUtilization: s.cpuPercent } } }],
            behavior: {
              scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 30 }, { type: "Percent", value: 100, periodSeconds: 30 }] },
              // Scale down slowly: a short lull must not drop pods that the next burst needs.
              scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
            },
          },
        },
        child(this.deployment),
      );
    }

    if (manyPods) {
      new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta(), spec: { maxUnavailable: 1, selector: { matchLabels: pods } } }, child());
    }

    if (args.monitoring) {
      serviceMonitor(
        name,
        { name, namespace: ns, labels: labels(name, args.component), selector: pd ? selectorLabels(`${name}-pods`) : sel, port: "http", monitoring: args.monitoring, service: this.service, dependsOn: waitFor, podTargetLabels: Object.keys(args.podLabels ?? {}) },
        this,
      );
    }

    if (pd && args.exposure) throw new Error(`${name}: a progressive-delivery target is exposed by its controller's routing, not by the Workload`);
    const exp = args.exposure;
    if (exp?.via === "ingress-nginx") {
      const cookie = exp.cookieAffinity;
      const annotations: Record<string, string> = {
        // The standard ingress-nginx prefix strip: the second capture group is what the app sees.
        ...(exp.stripPrefix ? { "nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$2" } : {}),
        ...(cookie
          ? {
              "nginx.ingress.kubernetes.io/affinity": "cookie",
              "nginx.ingress.kubernetes.io/affinity-mode": "persistent",
              "nginx.ingress.kubernetes.io/session-cookie-name": cookie.cookieName,
              // Required with use-regex: a regex is not a valid cookie path.
              "nginx.ingress.kubernetes.io/session-cookie-path": trimPath(exp.path),
              "nginx.ingress.kubernetes.io/session-cookie-samesite": "Lax",
            }
          : {}),
      };
      new k8s.networking.v1.Ingress(
        name,
        {
          metadata: { ...meta(), annotations },
          spec: {
            ingressClassName: exp.ingress.className,
            rules: [
              {
                ...(exp.host ? { host: exp.host } : {}),
                http: {
                  paths: [
                    exp.stripPrefix
                      ? { path: nginxRegexPath(exp.path), pathType: "ImplementationSpecific", backend: { service: { name, port: { name: "http" } } } }
                      : { path: trimPath(exp.path), pathType: "Prefix", backend: { service: { name, port: { name: "http" } } } },
                  ],
                },
              },
            ],
          },
        },
        child(exp.ingress.ready, this.service),
      );
    } else if (exp?.via === "istio-gateway") {
      if (!exp.istio.gateway) throw new Error(`${name}: exposure via istio-gateway, but the Istio gateway is off`);
      istioCustomResource(
        name,
        {
          kind: "VirtualService",
          metadata: meta(),
          spec: {
            hosts: [exp.host || "*"],
            gateways: [exp.istio.gateway],
            http: [
              {
                name,
                match: istioMatches(exp.path),
                ...(exp.stripPrefix ? { rewrite: { uri: "/" } } : {}),
                route: [{ destination: { host: `${name}.${ns}.svc.cluster.local`, port: { number: SERVICE_PORT } } }],
              },
            ],
          },
        },
        exp.istio,
        { parent: this, dependsOn: [...waitFor, this.service] },
      );
    }

    // ── ClientIP affinity in the mesh: Envoy (the gateway, every sidecar) picks endpoints itself and
    // ignores the Service's sessionAffinity, so the same stickiness is asked of Envoy: a hash of
    // the caller's IP. (ingress-nginx bypasses both; see StatsApp.)
    if (args.clientIpAffinity && args.mesh) {
      istioCustomResource(
        name,
        {
          kind: "DestinationRule",
          metadata: meta(),
          spec: { host: `${name}.${ns}.svc.cluster.local`, trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } },
        },
        args.mesh,
        { parent: this, dependsOn: waitFor },
      );
    }

    // ── mesh: callers without a sidecar (ingress-nginx, Prometheus) speak plaintext ──
    const plaintextCallers = exp?.via === "ingress-nginx" || args.monitoring !== undefined;
    if (args.mesh && args.mesh.mtls === "STRICT" && plaintextCallers) {
      istioCustomResource(
        name,
        {
          kind: "PeerAuthentication",
          metadata: meta(),
          spec: {
            selector: { matchLabels: pods },
            mtls: { mode: "STRICT" },
            // Only the app port; the NetworkPolicy below still admits nobody but the named callers.
            portLevelMtls: { [String(APP_PORT)]: { mode: "PERMISSIVE" } },
          },
        },
        args.mesh,
        { parent: this, dependsOn: waitFor },
      );
    }

    // ── NetworkPolicy: who may call this workload, and whom it may call ──
    const appPort = [{ protocol: "TCP", port: APP_PORT }];
    const from: K8sInputs.networking.v1.NetworkPolicyPeer[] = [];
    if (exp?.via === "ingress-nginx") from.push({ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.ingressNginx) });
    if (exp?.via === "istio-gateway") from.push({ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.istioIngress) });
    if (args.monitoring) from.push({ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.monitoring) });
    for (const c of args.clients ?? []) from.push({ podSelector: { matchLabels: c } });

    // DNS is not here: the apps namespace allows it for every pod (secureNamespace in components/k8s.ts).
    const egress: K8sInputs.networking.v1.NetworkPolicyEgressRule[] = [];
    if (redis) egress.push({ to: [{ namespaceSelector: namespaceSelector(NAMESPACES.data) }], ports: [{ protocol: "TCP", port: REDIS_PORT }] });
    if (mongo) egress.push({ to: [{ namespaceSelector: namespaceSelector(NAMESPACES.data) }], ports: [{ protocol: "TCP", port: MONGO_PORT }] });
    for (const c of args.calls ?? []) egress.push({ to: [{ podSelector: { matchLabels: c } }], ports: appPort });
    // The sidecar fetches its config and certificates from istiod.
    if (args.mesh) egress.push({ to: [{ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.istioSystem) }], ports: [{ protocol: "TCP", port: 15012 }] });

    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: meta(),
        spec: {
          podSelector: { matchLabels: pods },
          policyTypes: ["Ingress", "Egress"],
          ingress: from.length > 0 ? [{ from, ports: appPort }] : [],
          egress,
        },
      },
      child(),
    );

    this.registerOutputs({ serviceName: this.serviceName, url: this.url });
  }
}
