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
import { Namespaces } from "./components/platform/namespaces";

// Parse first: a bad config fails here, before any resource is registered.
const cfg = loadStackConfig();

// ── cluster ──
const cluster: ClusterInfo =
  cfg.cluster.provider === "k3d"
    ? new K3dCluster("cluster", { clusterName: cfg.cluster.name, settings: cfg.cluster.k3d })
    : new AksCluster("cluster", { clusterName: cfg.cluster.name, settings: cfg.cluster.aks });

/** Every Kubernetes object goes through the cluster's provider (never an ambient kubeconfig). */
const k8sOpts: pulumi.ComponentResourceOptions = { providers: { kubernetes: cluster.provider } };

const image = new AppImage("app", { context: __dirname, registry: cluster.registry });

// ── platform ──
const namespaces = new Namespaces("namespaces", { istioInjection: cfg.istio.enabled }, k8sOpts);

// ── data ──

// ── apps ──

// ── outputs ──
/** The cluster's name (k3d cluster or AKS resource). */
export const clusterName = cluster.name;
/** `pulumi stack output kubeconfig --show-secrets > kubeconfig.yaml` */
export const kubeconfig = pulumi.secret(cluster.kubeconfig);
/** The app image every variant runs. */
export const appImage = image.ref;
/** Namespace of the app variants. */
export const appsNamespace = namespaces.apps.metadata.name;
