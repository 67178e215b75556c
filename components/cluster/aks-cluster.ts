import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AksConfig } from "../../config/cluster";
import { toNonInteractiveKubeconfig } from "./kubeconfig";
import type { ClusterInfo, EntryPoints, ImageRegistry, RwxSupport } from "./types";

export interface AksClusterArgs {
  /** Prefix of every Azure resource name. */
  clusterName: string;
  settings: AksConfig;
}

/** Built-in role "AcrPull". */
export const ACR_PULL_ROLE_ID = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

/**
 * AKS with a tainted system pool and an autoscaling user pool, a user-assigned control-plane
 * identity, OIDC issuer + workload identity, Azure CNI overlay with network policy, zones,
 * the Azure Files CSI driver, auto-upgrade channels, and an ACR the kubelet can pull from.
 */
export class AksCluster extends pulumi.ComponentResource implements ClusterInfo {
  public readonly kind = "aks" as const;
  public readonly name: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly registry: ImageRegistry;
  public readonly rwx: RwxSupport = { kind: "azure-files" };
  public readonly entry: EntryPoints = { kind: "cloud-load-balancer" };
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly oidcIssuerUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: AksClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:cluster:AksCluster", name, {}, opts);
    const s = args.settings;
    const child = { parent: this };
    const zones = s.zones.length > 0 ? s.zones : undefined;

    const rg = new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: `${args.clusterName}-rg`, location: s.location }, child);
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceGroupName: rg.name, location: rg.location, resourceName: `${args.clusterName}-control-plane` },
      child,
    );

    const cluster = new containerservice.ManagedCluster(
      `${name}-aks`,
      {
        resourceGroupName: rg.name,
        resourceName: args.clusterName,
        location: rg.location,
        dnsPrefix: args.clusterName,
        kubernetesVersion: s.kubernetesVersion,
        sku: { name: "Base", tier: s.skuTier },
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        enableRBAC: true,
        disableLocalAccounts: s.entraIdOnly,
        aadProfile: s.entraIdOnly ? { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: s.adminGroupObjectIds } : undefined,
        agentPoolProfiles: [
          {
            name: "system",
            mode: "System",
            type: "VirtualMachineScaleSets",
            osType: "Linux",
            vmSize: s.systemPool.vmSize,
            count: s.systemPool.count,
            availabilityZones: zones,
            // Keep apps off the system pool; only critical add-ons tolerate this taint.
            nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
          },
        ],
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkPolicy: s.networkPolicy,
          networkDataplane: s.networkPolicy === "cilium" ? "cilium" : "azure",
          podCidr: "10.244.0.0/16",
          serviceCidr: "10.0.0.0/16",
          dnsServiceIP: "10.0.0.10",
          loadBalancerSku: "standard",
        },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        storageProfile: { fileCSIDriver: { enabled: true }, diskCSIDriver: { enabled: true } },
        autoUpgradeProfile: { upgradeChannel: s.upgradeChannel, nodeOSUpgradeChannel: s.nodeOsUpgradeChannel },
        apiServerAccessProfile: s.authorizedIpRanges.length > 0 ? { authorizedIPRanges: s.authorizedIpRanges } : undefined,
      },
      // The auto-upgrade channel moves kubernetesVersion; don't fight it on every `up`.
      { ...child, ignoreChanges: ["kubernetesVersion", "agentPoolProfiles[0].count"] },
    );

    new containerservice.AgentPool(
      `${name}-user-pool`,
      {
        resourceGroupName: rg.name,
        resourceName: cluster.name,
        agentPoolName: "user",
        mode: "User",
        type: "VirtualMachineScaleSets",
        osType: "Linux",
        vmSize: s.userPool.vmSize,
        availabilityZones: zones,
        enableAutoScaling: true,
        minCount: s.userPool.minCount,
        maxCount: s.userPool.maxCount,
        count: s.userPool.minCount,
      },
      // The cluster autoscaler owns `count` after creation.
      { ...child, ignoreChanges: ["count"] },
    );

    const suffix = new random.RandomString(`${name}-acr-suffix`, { length: 6, special: false, upper: false }, child);
    const acr = new containerregistry.Registry(
      `${name}-acr`,
      {
        resourceGroupName: rg.name,
        location: rg.location,
        registryName: pulumi.interpolate`${args.clusterName.replace(/-/g, "")}${suffix.result}`,
        sku: { name: s.acrSku },
        adminUserEnabled: s.acrAdminUser,
      },
      child,
    );

    const client = authorization.getClientConfigOutput(child);
    const kubeletObjectId = cluster.identityProfile.apply((p) => {
      const id = p?.["kubeletidentity"]?.objectId;
      if (!id) throw new Error("AKS returned no kubelet identity; cannot grant AcrPull");
      return id;
    });
    new authorization.RoleAssignment(
      `${name}-acr-pull`,
      {
        principalId: kubeletObjectId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL_ROLE_ID}`,
        scope: acr.id,
      },
      child,
    );

    const creds = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: rg.name, resourceName: cluster.name, format: s.entraIdOnly ? "exec" : undefined },
      child,
    );
    const raw = creds.kubeconfigs.apply((k) => {
      if (!k || k.length === 0) throw new Error("AKS returned no user kubeconfig");
      return Buffer.from(k[0].value, "base64").toString("utf8");
    });
    this.kubeconfig = pulumi.secret(s.entraIdOnly ? raw.apply((kc) => toNonInteractiveKubeconfig(kc, s.kubeloginMode)) : raw);

    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, child);
    let credentials: ImageRegistry["credentials"];
    if (s.acrAdminUser) {
      const acrCreds = containerregistry.listRegistryCredentialsOutput({ resourceGroupName: rg.name, registryName: acr.name }, child);
      credentials = {
        username: pulumi.secret(acrCreds.apply((c) => c.username ?? "")),
        password: pulumi.secret(acrCreds.apply((c) => c.passwords?.[0]?.value ?? "")),
      };
    }
    this.registry = { pushAddress: acr.loginServer, pullAddress: acr.loginServer, credentials };
    this.name = cluster.name;
    this.resourceGroupName = rg.name;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((o) => o?.issuerURL);
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, oidcIssuerUrl: this.oidcIssuerUrl });
  }
}
