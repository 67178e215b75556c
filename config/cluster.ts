import { z } from "zod";
import { dnsLabel, port } from "./common";

/** k3d (a k3s cluster in Docker on the operator's machine). */
export const k3dSchema = z.strictObject({
  /** k3s image the nodes run; pinned, never `latest`. */
  k3sImage: z.string().regex(/^rancher\/k3s:v\d+\.\d+\.\d+-k3s\d+$/, { message: "not a pinned k3s image (allowed: rancher/k3s:vX.Y.Z-k3sN)" }).default("rancher/k3s:v1.33.4-k3s1"),
  /** Control-plane nodes. */
  servers: z.number().int().min(1).max(3).default(1),
  /** Worker nodes; with 2+ the shared volume is really shared across nodes. */
  agents: z.number().int().min(0).max(9).default(2),
  /** Host port of the Kubernetes API (bound to 127.0.0.1). */
  apiPort: port.default(6550),
  /** Host port mapped to the cluster's HTTP entry (ingress-nginx). */
  httpPort: port.default(8080),
  /** Host port mapped to the cluster's HTTPS entry (ingress-nginx). */
  httpsPort: port.default(8443),
  /** Host port mapped to the Istio ingress gateway. */
  istioPort: port.default(8081),
  /** Host port of the local image registry created with the cluster (bound to 127.0.0.1). */
  registryPort: port.default(5111),
  /** Host directory mounted on every node; ReadWriteMany volumes live here. Absolute path. */
  sharedHostPath: z.string().regex(/^\/[^\s:@]*$/, { message: "not an absolute path without ':', '@' or spaces (allowed: e.g. /tmp/statefleet-shared)" }).default("/tmp/statefleet-shared"),
});
export type K3dConfig = z.infer<typeof k3dSchema>;

/** AKS (Azure Kubernetes Service). */
export const aksSchema = z.strictObject({
  /** Azure region, e.g. westeurope. */
  location: z.string().regex(/^[a-z0-9]+$/, { message: "not an Azure region name (allowed: e.g. westeurope, eastus2)" }).default("westeurope"),
  /** Kubernetes minor version; AKS picks the newest patch. */
  kubernetesVersion: z.string().regex(/^\d+\.\d+$/, { message: "not a minor version (allowed: e.g. 1.33)" }).default("1.33"),
  /** AKS pricing tier; Standard carries the uptime SLA. */
  skuTier: z.enum(["Free", "Standard"]).default("Standard"),
  /** Availability zones for both pools; [] where the region has none. */
  zones: z.array(z.enum(["1", "2", "3"])).max(3).default(["1", "2", "3"]),
  /** System node pool: runs kube-system and the platform's control planes. */
  systemPool: z
    .strictObject({
      vmSize: z.string().min(1).default("Standard_D4ds_v5"),
      count: z.number().int().min(1).max(10).default(3),
    })
    .prefault({}),
  /** User node pool, autoscaled: runs the platform services and the apps. */
  userPool: z
    .strictObject({
      vmSize: z.string().min(1).default("Standard_D4ds_v5"),
      minCount: z.number().int().min(0).max(100).default(2),
      maxCount: z.number().int().min(1).max(100).default(6),
    })
    .prefault({}),
  /** Kubernetes version auto-upgrade channel. */
  upgradeChannel: z.enum(["none", "patch", "stable", "rapid", "node-image"]).default("stable"),
  /** Node OS image upgrade channel. */
  nodeOsUpgradeChannel: z.enum(["None", "Unmanaged", "NodeImage", "SecurityPatch"]).default("NodeImage"),
  /**
   * Network policy engine on Azure CNI overlay. `cilium` (default): Azure CNI powered by Cilium
   * (Cilium dataplane + policy). `calico`: Calico on the Azure dataplane. `azure`: Azure Network
   * Policy Manager, which Microsoft is retiring (a warning says so).
   */
  networkPolicy: z.enum(["azure", "calico", "cilium"]).default("cilium"),
  /** Entra-ID-only cluster: local accounts off, Azure RBAC, and an exec (kubelogin) kubeconfig. */
  entraIdOnly: z.boolean().default(false),
  /** Entra ID group object ids that get cluster-admin (needed when entraIdOnly is true). */
  adminGroupObjectIds: z.array(z.string().uuid()).default([]),
  /** kubelogin login mode for the exec kubeconfig (entraIdOnly). */
  kubeloginMode: z.enum(["azurecli", "workloadidentity", "spn", "msi"]).default("azurecli"),
  /** CIDRs allowed to reach the API server; [] = no restriction. */
  authorizedIpRanges: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { message: "not an IPv4 CIDR (allowed: e.g. 203.0.113.0/24)" })).default([]),
  /** Azure Container Registry tier. */
  acrSku: z.enum(["Basic", "Standard", "Premium"]).default("Standard"),
  /**
   * false (default): the registry's admin user is off and the build pushes with an access token
   * of your own Azure identity (`az acr login --expose-token`, fetched on every run).
   * true: turns the admin user on and pushes with its shared, non-expiring password (warned).
   * Nodes always pull with AcrPull granted to the kubelet identity.
   */
  acrAdminUser: z.boolean().default(false),
});
export type AksConfig = z.infer<typeof aksSchema>;

/** Which cluster the stack runs on. Only the block of the chosen provider may be set. */
export const clusterSchema = z
  .strictObject({
    /** `k3d` for a laptop, `aks` for Azure. */
    provider: z.enum(["k3d", "aks"]).default("k3d"),
    /** Cluster name (k3d cluster name; AKS resource name prefix). */
    name: dnsLabel(32).default("statefleet"),
    /** k3d settings; an error in an aks stack. */
    k3d: k3dSchema.optional(),
    /** AKS settings; an error in a k3d stack. */
    aks: aksSchema.optional(),
  })
  .prefault({});
export type ClusterInput = z.infer<typeof clusterSchema>;
