import * as command from "@pulumi/command";
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
/** The user name ACR expects with an access token from `az acr login --expose-token`. */
export const ACR_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

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
    if (s.networkPolicy === "azure") {
      pulumi.log.warn(
        'cluster.aks.networkPolicy: "azure" is Azure Network Policy Manager, which Microsoft is retiring on AKS ' +
          '(https://learn.microsoft.com/azure/aks/use-network-policies); use "cilium" (Azure CNI powered by Cilium, the default)',
        this,
      );
    }

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

    const userPool = new containerservice.AgentPool(
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
    const acrPull = new authorization.RoleAssignment(
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

    // Nothing is applied to the cluster before apps can run there: the system pool is tainted
    // CriticalAddonsOnly, so without the user pool every pod would stay Pending, and without
    // AcrPull every app pod would sit in ImagePullBackOff. Every Kubernetes object goes through
    // this provider, so waiting here orders all of them.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { ...child, dependsOn: [userPool, acrPull] },
    );
    this.registry = { pushAddress: acr.loginServer, pullAddress: acr.loginServer, credentials: this.pushCredentials(name, s, rg.name, acr) };
    this.name = cluster.name;
    this.resourceGroupName = rg.name;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((o) => o?.issuerURL);
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig, oidcIssuerUrl: this.oidcIssuerUrl });
  }

  /**
   * How the image build logs in to ACR. By default with the operator's own Azure identity: an
   * ACR access token from `az acr login --expose-token`, fetched by an invoke on every
   * `pulumi up` (so it is never older than ~3 hours when the build pushes) and used
   * with ACR's fixed token user name. Why not the alternatives: the admin user is one shared,
   * non-expiring password for the whole registry; a repository-scoped ACR Token needs its
   * password generated by `generateCredentials`, which azure-native 3.28 exposes neither as a
   * resource output nor as an invoke. The token never reaches a resource but the build (as a
   * secret; docker-build ignores password changes when diffing, so a fresh token alone rebuilds
   * nothing). The identity needs push rights on the registry (Owner, Contributor or AcrPush).
   * A preview builds nothing (buildOnPreview: false), so it asks for no token: `pulumi preview`
   * needs no rights on the registry.
   */
  private pushCredentials(
    name: string,
    s: AksConfig,
    resourceGroupName: pulumi.Output<string>,
    acr: containerregistry.Registry,
  ): ImageRegistry["credentials"] {
    const child = { parent: this };
    if (s.acrAdminUser) {
      pulumi.log.warn(
        "cluster.aks.acrAdminUser: true pushes with the registry's shared, non-expiring admin password; " +
          "set it to false to push with your own Azure identity (az login)",
        this,
      );
      const acrCreds = containerregistry.listRegistryCredentialsOutput({ resourceGroupName, registryName: acr.name }, child);
      return {
        username: pulumi.secret(acrCreds.apply((c) => c.username ?? "")),
        password: pulumi.secret(acrCreds.apply((c) => c.passwords?.[0]?.value ?? "")),
      };
    }
    if (pulumi.runtime.isDryRun()) {
      return { username: pulumi.output(ACR_TOKEN_USERNAME), password: pulumi.secret(pulumi.output(pulumi.unknown) as pulumi.Output<string>) };
    }
    const token = command.local.runOutput(
      {
        command: 'az acr login --name "$ACR_NAME" --expose-token --output tsv --query accessToken',
        environment: { ACR_NAME: acr.name },
        interpreter: ["/bin/bash", "-c"],
        logging: command.local.Logging.None,
      },
      child,
    );
    return {
      username: pulumi.output(ACR_TOKEN_USERNAME),
      password: pulumi.secret(
        token.apply((r) => {
          const t = r.stdout.trim();
          if (!t) throw new Error(`az acr login --expose-token returned no token for registry ${name}: run \`az login\` (an identity with push rights on the registry) and retry`);
          return t;
        }),
      ),
    };
  }
}
