import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { toNonInteractiveKubeconfig } from "../components/cluster/kubeconfig";
import { k3dCreateCommand, k3dDeleteCommand } from "../components/cluster/k3d-cluster";
import { evaluate, isSecretOutput, valueOf } from "./harness/evaluate";
import type { Graph } from "./harness/graph";
import { FAKE_EXEC_KUBECONFIG, FAKE_KUBECONFIG, MOCK_SECRET_PREFIX } from "./harness/mocks";
import { isSecret, plainStrings } from "./harness/unwrap";

const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** A line only the fake kubeconfigs carry: the client key (k3d) or the AKS API server (exec). */
const KUBECONFIG_MARKERS = ["client-key-data: CCCC", "statefleet.hcp.westeurope.azmk8s.io"];

/**
 * Cluster credentials reach the state file only encrypted: the Kubernetes provider's `kubeconfig`
 * input is a secret, and no input or stored output of any resource carries it in plain text.
 */
function expectKubeconfigOnlyAsSecret(g: Graph) {
  const provider = g.one(K8S_PROVIDER);
  expect(isSecret((provider.raw as Record<string, unknown>).kubeconfig), "the provider's kubeconfig input is a secret").to.equal(true);
  for (const r of g.resources) {
    for (const [where, v] of [["inputs", r.raw], ["stored outputs", r.stored]] as const) {
      const leaked = plainStrings(v).filter((s) => KUBECONFIG_MARKERS.some((m) => s.includes(m)));
      expect(leaked, `${r.type} ${r.name}: kubeconfig in plain text in its ${where}`).to.deep.equal([]);
    }
  }
}

/** Every Kubernetes resource goes through the cluster's provider, never an ambient default. */
function expectExplicitProvider(g: Graph) {
  const provider = g.one(K8S_PROVIDER);
  const k8s = g.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  expect(k8s.length).to.be.greaterThan(0);
  for (const r of k8s) expect(r.provider, `${r.type} ${r.name}`).to.match(new RegExp(`^${provider.urn.replace(/[$]/g, "\\$&")}::`));
}

describe("dev stack (k3d)", () => {
  let g: Graph;
  before(async () => { g = await evaluate("dev"); });

  it("creates the cluster with one idempotent command: traefik off, ports, registry, shared dir on all nodes", () => {
    const create = g.one("command:local:Command", "cluster-create");
    const cmd: string = create.inputs.create;
    expect(cmd).to.contain("k3d cluster get 'statefleet' >/dev/null 2>&1; then");
    expect(cmd).to.contain("--k3s-arg '--disable=traefik@server:*'");
    expect(cmd).to.contain("--port '8080:80@loadbalancer'");
    expect(cmd).to.contain("--port '8443:443@loadbalancer'");
    expect(cmd).to.contain("--port '8081:8081@loadbalancer'");
    expect(cmd).to.contain("--volume '/tmp/statefleet-shared:/var/lib/statefleet/shared@all'");
    expect(cmd).to.contain("--registry-create 'statefleet-registry.localhost:127.0.0.1:5111'");
    expect(cmd).to.contain("--image 'rancher/k3s:v1.33.4-k3s1'");
    expect(cmd).to.contain("--kubeconfig-update-default=false");
    expect(create.inputs.delete).to.contain("k3d cluster delete 'statefleet'");
    expect(create.inputs.triggers).to.include("rancher/k3s:v1.33.4-k3s1");
  });

  it("reads the kubeconfig after the cluster exists, without logging it, as a secret", async () => {
    const kc = g.one("command:local:Command", "cluster-kubeconfig");
    expect(g.dependsOn(kc, g.one("command:local:Command", "cluster-create"))).to.equal(true);
    expect(kc.inputs.logging).to.equal("none");
    expect(await isSecretOutput(g.outputs.kubeconfig)).to.equal(true);
    expect(await valueOf(g.outputs.kubeconfig as never)).to.equal(FAKE_KUBECONFIG);
  });

  it("stores the kubeconfig only as a secret: the command's stdout, the provider's input, nowhere in plain text", () => {
    expect(isSecret(g.one("command:local:Command", "cluster-kubeconfig").stored.stdout), "k3d kubeconfig get's stdout in the state file").to.equal(true);
    expectKubeconfigOnlyAsSecret(g);
  });

  it("builds one image, pushes it to the k3d registry after the cluster exists, tagged by content", async () => {
    const img = g.one("docker-build:index:Image");
    expect(img.inputs.tags).to.have.length(1);
    expect(img.inputs.tags[0]).to.match(/^localhost:5111\/statefleet-app:[0-9a-f]{16}$/);
    expect(img.inputs.push).to.equal(true);
    expect(img.inputs.buildOnPreview).to.equal(false);
    expect(img.inputs.dockerfile.location).to.match(/app\/Dockerfile$/);
    expect(g.dependsOn(img, g.one("command:local:Command", "cluster-create")), "push waits for the registry").to.equal(true);
    const tag = img.inputs.tags[0].split(":").pop();
    // The registry host itself is checked against k3d's rules in test/k3d-registry.test.ts.
    expect(await valueOf(g.outputs.appImage as never)).to.match(new RegExp(`/statefleet-app:${tag}$`));
  });

  it("uses the cluster's provider for every Kubernetes object", () => expectExplicitProvider(g));

  it("parents every resource to a statefleet component", () => {
    for (const r of g.resources) {
      if (r.type.startsWith("statefleet:")) continue;
      expect(g.ancestry(r)[0] ?? "", `${r.type} ${r.name}`).to.match(/^statefleet:/);
    }
  });

  it("creates no Azure resources", () => {
    expect(g.resources.filter((r) => r.type.startsWith("azure-native:"))).to.deep.equal([]);
  });
});

describe("aks stack", () => {
  let g: Graph;
  before(async () => { g = await evaluate("aks"); });

  it("creates AKS as designed: pools, identity, OIDC + workload identity, CNI overlay, zones, Azure Files, upgrades", () => {
    const aks = g.one("azure-native:containerservice:ManagedCluster").inputs;
    expect(aks.identity.type).to.equal("UserAssigned");
    expect(aks.oidcIssuerProfile.enabled).to.equal(true);
    expect(aks.securityProfile.workloadIdentity.enabled).to.equal(true);
    expect(aks.networkProfile).to.include({ networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium" });
    expect(aks.storageProfile.fileCSIDriver.enabled).to.equal(true);
    expect(aks.autoUpgradeProfile).to.deep.equal({ upgradeChannel: "stable", nodeOSUpgradeChannel: "NodeImage" });
    expect(aks.sku.tier).to.equal("Standard");
    const system = aks.agentPoolProfiles[0];
    expect(system).to.include({ mode: "System", count: 3 });
    expect(system.availabilityZones).to.deep.equal(["1", "2", "3"]);
    expect(system.nodeTaints).to.deep.equal(["CriticalAddonsOnly=true:NoSchedule"]);
    const user = g.one("azure-native:containerservice:AgentPool").inputs;
    expect(user).to.include({ mode: "User", enableAutoScaling: true, minCount: 2, maxCount: 6 });
    expect(aks.disableLocalAccounts).to.equal(false);
  });

  it("grants AcrPull on the registry to the kubelet identity", () => {
    const ra = g.one("azure-native:authorization:RoleAssignment").inputs;
    expect(ra.roleDefinitionId).to.equal("/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d");
    expect(ra.principalId).to.equal("11111111-2222-3333-4444-555555555555");
    expect(ra.scope).to.equal("cluster-acr-id");
  });

  it("pushes to ACR tagged by content, with push credentials that are secrets (which ones: test/aks-hardening.test.ts)", () => {
    const img = g.one("docker-build:index:Image");
    expect(img.inputs.tags[0]).to.match(/^statefleeta1b2c3\.azurecr\.io\/statefleet-app:[0-9a-f]{16}$/);
    const password: string = img.inputs.registries[0].password;
    expect(password).to.match(new RegExp(`^${MOCK_SECRET_PREFIX}`));
    for (const r of g.resources) expect(plainStrings(r.raw).join("\n"), `${r.type} ${r.name}`).not.to.contain(password);
  });

  it("hands the user kubeconfig to the provider as a secret, and stores it nowhere in plain text", async () => {
    expect(await isSecretOutput(g.outputs.kubeconfig)).to.equal(true);
    expect(await valueOf(g.outputs.kubeconfig as never)).to.equal(FAKE_KUBECONFIG);
    expectKubeconfigOnlyAsSecret(g);
  });

  it("uses the cluster's provider for every Kubernetes object", () => expectExplicitProvider(g));

  it("supports Entra-ID-only clusters with a non-interactive exec kubeconfig", async () => {
    const e = await evaluate("aks", { overrides: { "statefleet:cluster": { aks: { entraIdOnly: true, adminGroupObjectIds: ["0a0a0a0a-0000-4000-8000-000000000001"], kubeloginMode: "workloadidentity" } } } });
    const aks = e.one("azure-native:containerservice:ManagedCluster").inputs;
    expect(aks.disableLocalAccounts).to.equal(true);
    expect(aks.aadProfile).to.deep.equal({ managed: true, enableAzureRBAC: true, adminGroupObjectIDs: ["0a0a0a0a-0000-4000-8000-000000000001"] });
    const kc = parseYaml(await valueOf(e.outputs.kubeconfig as never));
    expect(kc.users[0].user.exec.args.slice(-2)).to.deep.equal(["--login", "workloadidentity"]);
    expect(kc.users[0].user.exec.args).not.to.include("devicecode");
    expectKubeconfigOnlyAsSecret(e);
  });
});

describe("preview (no cluster yet)", () => {
  for (const stack of ["dev", "aks"]) {
    it(`${stack}: evaluates with unknown kubeconfig and image, registering the same resources as an update`, async () => {
      const [p, u] = [await evaluate(stack, { preview: true }), await evaluate(stack)];
      expect(p.resources.map((r) => `${r.type}::${r.name}`).sort()).to.deep.equal(u.resources.map((r) => `${r.type}::${r.name}`).sort());
      const provider = p.one(K8S_PROVIDER);
      expect(provider.inputs.kubeconfig).to.satisfy((v: unknown) => v === undefined || JSON.stringify(v).includes("04da6b54") || JSON.stringify(v).includes("__pulumiUnknown"));
      expect(await (p.outputs.appImage as { isKnown: Promise<boolean> }).isKnown).to.equal(false);
    });
  }
});

describe("k3d commands", () => {
  it("quote what the operator configures, so a path cannot inject shell", () => {
    const cmd = k3dCreateCommand("c", { k3sImage: "rancher/k3s:v1.33.4-k3s1", servers: 1, agents: 0, apiPort: 6550, httpPort: 80, httpsPort: 443, istioPort: 8081, registryPort: 5000, sharedHostPath: "/tmp/a'b" });
    expect(cmd).to.contain(`mkdir -p '/tmp/a'\\''b'`);
  });
  it("delete tolerates a cluster that is already gone and removes the registry", () => {
    const cmd = k3dDeleteCommand("c", 5000);
    expect(cmd).to.contain("k3d cluster delete 'c' || true");
    expect(cmd).to.match(/k3d registry delete '[^']+'/);
  });
});

describe("Entra-ID kubeconfig conversion", () => {
  it("rewrites a device-code kubelogin exec to the chosen non-interactive mode, keeping the other args", () => {
    const out = parseYaml(toNonInteractiveKubeconfig(FAKE_EXEC_KUBECONFIG, "azurecli"));
    const args: string[] = out.users[0].user.exec.args;
    expect(args.slice(-2)).to.deep.equal(["--login", "azurecli"]);
    expect(args.filter((a) => a === "--login")).to.have.length(1);
    expect(args).to.include.members(["get-token", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]);
  });
  it("refuses a kubeconfig without a kubelogin user instead of passing it on unchanged", () => {
    expect(() => toNonInteractiveKubeconfig(FAKE_KUBECONFIG, "azurecli")).to.throw(/no kubelogin exec user/);
  });
});
