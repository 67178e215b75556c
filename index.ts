/**
 * statefleet: one `pulumi up` per environment.
 * config → cluster → image → platform → data → apps → outputs. Only config/ reads pulumi.Config.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { AksCluster } from "./components/cluster/aks-cluster";
import { K3dCluster } from "./components/cluster/k3d-cluster";
import type { ClusterInfo } from "./components/cluster/types";
import { AppImage } from "./components/image";
import { PLATFORM_NAMESPACES } from "./components/contracts";
import { NAMESPACES, Namespaces } from "./components/platform/namespaces";
import { entryPoint, resolveGrafanaVia } from "./components/platform/entry-points";
import { IngressNginx } from "./components/platform/ingress-nginx";
import { Flagger } from "./components/platform/flagger";
import { Istio } from "./components/platform/istio";
import { Monitoring } from "./components/platform/monitoring";
import { SharedStorage } from "./components/platform/shared-storage";
import { Mongo } from "./components/data/mongo";
import { Redis } from "./components/data/redis";
import { ApiApp } from "./components/variants/api";
import { PingPongApp } from "./components/variants/pingpong";
import { appUrl } from "./components/variants/platform";
import { ShopApp } from "./components/variants/shop";
import { SmsApp } from "./components/variants/sms";
import { StatsApp } from "./components/variants/stats";
import { stackOutputs } from "./components/stack-outputs";

// Parse first: a bad config fails here, before any resource is registered.
const cfg = loadStackConfig();

// ── cluster ──
const cluster: ClusterInfo =
  cfg.cluster.provider === "k3d"
    ? new K3dCluster("cluster", { clusterName: cfg.cluster.name, settings: cfg.cluster.k3d })
    : new AksCluster("cluster", { clusterName: cfg.cluster.name, settings: cfg.cluster.aks });

/** Every Kubernetes object goes through the cluster's provider (never an ambient kubeconfig). */
const k8sOpts: pulumi.ComponentResourceOptions = { providers: { kubernetes: cluster.provider } };

const image = new AppImage("app", { context: __dirname, registry: cluster.registry, platform: cfg.cluster.imagePlatform });

// ── platform ──
const namespaces = new Namespaces("namespaces", { istioInjection: cfg.istio.enabled }, k8sOpts);

const gatewayEnabled = cfg.istio.enabled && cfg.istio.gateway.enabled;
const grafanaVia = resolveGrafanaVia(cfg.monitoring.grafanaVia, cfg.ingress.nginx.enabled, gatewayEnabled);
/** Progressive delivery of sms by Flagger (config rules guarantee Istio and monitoring are on). */
const flaggerOn = cfg.apps.sms.enabled && cfg.apps.sms.rollout === "flagger";
/** Prometheus, Grafana, Alertmanager; first, because ingress-nginx's ServiceMonitor needs its CRDs. */
const monitoring = cfg.monitoring.enabled
  ? new Monitoring("monitoring", { settings: cfg.monitoring, host: cfg.ingress.host, grafanaVia, entry: cluster.entry, queryClients: flaggerOn ? [PLATFORM_NAMESPACES.flagger] : [] }, k8sOpts)
  : undefined;
/** ingress-nginx (retired upstream in March 2026; kept for the seeds). */
const ingressNginx = cfg.ingress.nginx.enabled
  ? new IngressNginx("ingress-nginx", { settings: cfg.ingress.nginx, entry: cluster.entry, monitoring }, k8sOpts)
  : undefined;
/** Istio (sidecar mode) and, when on, its ingress gateway with the shared Gateway. */
const istio = cfg.istio.enabled ? new Istio("istio", { settings: cfg.istio, entry: cluster.entry, clusterKind: cluster.kind }, k8sOpts) : undefined;
monitoring?.exposeGrafana({ ingressNginx, istio });
/** Flagger: releases sms step by step, judged by Prometheus, through Istio routing. */
const flagger = flaggerOn && monitoring && istio ? new Flagger("flagger", { watchNamespace: NAMESPACES.apps, monitoring, dependsOn: [istio.crdsReady] }, k8sOpts) : undefined;

/** ReadWriteMany claims for `shared-volume` state (Azure Files on AKS, the shared host dir on k3d). */
const storage = cfg.storage.enabled
  ? new SharedStorage("shared-storage", { rwx: cluster.rwx, azureFilesSku: cfg.storage.azureFilesSku, defaultSize: cfg.storage.defaultSize }, k8sOpts)
  : undefined;

// ── data ──
const dataNamespaces = { namespace: namespaces.data.metadata.name, clientNamespace: namespaces.apps.metadata.name };
const redis = cfg.redis.enabled
  ? new Redis("redis", {
      ...dataNamespaces,
      maxMemory: cfg.redis.maxMemory,
      maxMemoryPolicy: cfg.redis.maxMemoryPolicy,
      appendOnly: cfg.redis.appendOnly,
      storageSize: cfg.redis.storageSize,
      resources: cfg.redis.resources,
      monitoring, // with monitoring on: an exporter sidecar and a ServiceMonitor
    }, k8sOpts)
  : undefined;
const mongo = cfg.mongo.enabled
  ? new Mongo("mongo", {
      ...dataNamespaces,
      throttle: cfg.mongo.throttle,
      storageSize: cfg.mongo.storageSize,
      resources: cfg.mongo.resources,
      monitoring, // with monitoring on: an exporter sidecar and a ServiceMonitor
    }, k8sOpts)
  : undefined;

// ── apps ──
/** What the variants get from the layers above (each undefined when off), and what they all share. */
const appArgs = {
  image: image.ref,
  namespace: NAMESPACES.apps,
  defaultHost: cfg.ingress.host,
  platform: { ingressNginx, istio, monitoring, storage, redis, mongo, flagger },
  dependsOn: [namespaces.apps],
};
const stats = cfg.apps.stats.enabled ? new StatsApp("stats", { ...appArgs, config: cfg.apps.stats }, k8sOpts) : undefined;
const pingpong = cfg.apps.pingpong.enabled ? new PingPongApp("pingpong", { ...appArgs, config: cfg.apps.pingpong }, k8sOpts) : undefined;
const api = cfg.apps.api.enabled ? new ApiApp("api", { ...appArgs, config: cfg.apps.api }, k8sOpts) : undefined;
const sms = cfg.apps.sms.enabled ? new SmsApp("sms", { ...appArgs, config: cfg.apps.sms }, k8sOpts) : undefined;
const shop = cfg.apps.shop.enabled ? new ShopApp("shop", { ...appArgs, config: cfg.apps.shop }, k8sOpts) : undefined;

// ── outputs ──
// Only the outputs this stack has: a top-level `undefined` makes the engine warn
// "Undefined value (x) will not show as a stack output" on every preview and up.
export = stackOutputs({
  /** The cluster's name (k3d cluster or AKS resource). */
  clusterName: cluster.name,
  /** `npm run pulumi -- stack output kubeconfig --show-secrets > kubeconfig.yaml` (dev) */
  kubeconfig: pulumi.secret(cluster.kubeconfig),
  /** The app image every variant runs. */
  appImage: image.ref,
  /** Namespace of the app variants. */
  appsNamespace: namespaces.apps.metadata.name,
  /** Namespace of Redis and MongoDB. */
  dataNamespace: namespaces.data.metadata.name,
  /** Where the apps reach Redis (no credentials; the password is the Secret `redisPasswordSecret` in the apps namespace). */
  redisUrl: redis?.url,
  /** Secret (in the apps namespace) holding the Redis password, key `password`. */
  redisPasswordSecret: redis?.passwordSecret.name,
  /** Where MongoDB listens (no credentials; the apps' connection string is the Secret `mongoUrlSecret`). */
  mongoAddress: mongo?.address,
  /** Secret (in the apps namespace) holding the apps' MongoDB connection string, key `url`. */
  mongoUrlSecret: mongo?.urlSecret.name,
  /** StorageClass of the ReadWriteMany claims (AKS; none on k3d, whose volumes are static). */
  sharedStorageClass: storage?.storageClass?.metadata.name,
  /** ingress-nginx: `url` (k3d: the host port; AKS: `http://<ingress.host>`) and, on AKS, how to read the load balancer's address. */
  ingressNginxEntry: ingressNginx ? entryPoint(cluster.entry, "ingress-nginx", cfg.ingress.host) : undefined,
  /** The Istio ingress gateway, same shape as `ingressNginxEntry`. */
  istioGatewayEntry: istio?.gateway ? entryPoint(cluster.entry, "istio-gateway", cfg.ingress.host) : undefined,
  /** Grafana (user `admin`, password: `npm run pulumi -- stack output grafanaAdminPassword --show-secrets` on dev). */
  grafanaUrl: monitoring && grafanaVia !== "none" ? monitoring.grafanaUrl : undefined,
  /** Grafana's admin password (secret). */
  grafanaAdminPassword: monitoring ? pulumi.secret(monitoring.grafanaAdminPassword) : undefined,
  /**
   * The variants this stack runs. `npm run smoke` checks each one at its `<variant>Url` output and
   * fails for one it has no check for; a variant without a URL output is on but not exposed.
   */
  enabledVariants: [...(stats ? ["stats"] : []), ...(pingpong ? ["pingpong"] : []), ...(pingpong?.logoutput ? ["logoutput"] : []), ...(api ? ["api"] : []), ...(sms ? ["sms"] : []), ...(shop ? ["shop"] : [])],
  /** The stats page (absent when stats is off or not exposed). */
  statsUrl: appUrl(cluster.entry, stats?.route),
  /** `curl` it for `pong N` (absent when pingpong is off or not exposed). */
  pingpongUrl: appUrl(cluster.entry, pingpong?.pingpongRoute),
  /** logoutput's status text (absent when logoutput is off or not exposed). */
  logoutputUrl: appUrl(cluster.entry, pingpong?.logoutputRoute),
  /** The api's `/api/data` (absent when api is off or not exposed); the load runner's base URL is this without `/api/data`. */
  apiUrl: appUrl(cluster.entry, api?.route),
  /** The SMS checker's page through the Istio gateway (absent when sms is off). */
  smsUrl: appUrl(cluster.entry, sms?.route),
  /**
   * The shop's gateway (absent when shop is off or not exposed): `<shopUrl>/orders/…`, `/payment/…`,
   * `/stock/…`. The course's benchmark takes it, without the trailing `/`, as all three urls.json entries.
   */
  shopUrl: appUrl(cluster.entry, shop?.route),
});
