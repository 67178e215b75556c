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
  zones: z
    .array(z.enum(["1", "2", "3"]))
    .max(3)
    .superRefine((zones, ctx) => {
      zones.forEach((zone, i) => {
        if (zones.indexOf(zone) !== i) ctx.addIssue({ code: "custom", path: [i], message: `"${zone}" is listed twice (allowed: each zone once, e.g. ["1", "2", "3"])` });
      });
    })
    .default(["1", "2", "3"]),
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
  adminGroupObjectIds: z.array(z.uuid({ message: `not an Entra ID group object id (allowed: a uuid such as 0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d; find a group's id with \`az ad group show --group <name> --query id -o tsv\`)` })).default([]),
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

/**
 * A Linux OCI platform `linux/<arch>[/<variant>]`: the `os/arch[/variant]` form Docker, BuildKit
 * and containerd parse (each part `[A-Za-z0-9_-]+`, containerd/platforms Parse), lower case as
 * they are normalised, and Linux because every node we run is.
 */
export const LINUX_PLATFORM = /^linux\/[a-z0-9_-]+(\/[a-z0-9_-]+)?$/;

/** The app image. */
export const imageSchema = z
  .strictObject({
    /**
     * Target platform of the image build. `auto`: the architecture of the machine running
     * `pulumi up` on k3d (its nodes are containers on that machine), linux/amd64 on AKS (the
     * default VM sizes are x86). Set it for ARM AKS pools (e.g. Standard_D4pds_v5 → linux/arm64).
     */
    platform: z
      .string()
      .refine((v) => v === "auto" || LINUX_PLATFORM.test(v), { message: "not auto or a Linux platform os/arch[/variant] (allowed: auto, linux/amd64, linux/arm64, linux/arm/v7, …)" })
      .default("auto"),
  })
  .prefault({});

/** Node's `process.arch` → the Go/OCI architecture Docker names platforms with. */
const NODE_ARCH_TO_PLATFORM: Record<string, string> = {
  x64: "linux/amd64",
  arm64: "linux/arm64",
  // 32-bit ARM Linux under Node is ARMv7 (Node has no ARMv6 builds); k3s and node:alpine ship arm/v7.
  arm: "linux/arm/v7",
  ia32: "linux/386",
  // Node reports ppc64 for little-endian POWER, the only POWER Linux it supports.
  ppc64: "linux/ppc64le",
  s390x: "linux/s390x",
  riscv64: "linux/riscv64",
  loong64: "linux/loong64",
};

/**
 * The platform the app image is built for, decided once here. k3d nodes run on this machine,
 * so `auto` builds for its architecture (an amd64 image would die with "exec format error" on
 * Apple Silicon); AKS nodes are amd64 unless the operator says otherwise.
 */
export function resolveImagePlatform(provider: "k3d" | "aks", platform: string, hostArch: string): string {
  if (platform !== "auto") return platform;
  if (provider === "aks") return "linux/amd64";
  const p = NODE_ARCH_TO_PLATFORM[hostArch];
  if (!p) throw new Error(`no Linux platform known for this machine's architecture "${hostArch}"`);
  return p;
}

/** Which cluster the stack runs on. Only the block of the chosen provider may be set. */
export const clusterSchema = z
  .strictObject({
    /** `k3d` for a laptop, `aks` for Azure. */
    provider: z.enum(["k3d", "aks"]).default("k3d"),
    /** Cluster name (k3d cluster name; AKS resource name prefix). */
    name: dnsLabel(32).default("statefleet"),
    /** The app image build. */
    image: imageSchema,
    /** k3d settings; an error in an aks stack. */
    k3d: k3dSchema.optional(),
    /** AKS settings; an error in a k3d stack. */
    aks: aksSchema.optional(),
  })
  .prefault({});
export type ClusterInput = z.infer<typeof clusterSchema>;
