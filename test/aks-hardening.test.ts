/**
 * AKS: what a first `pulumi up` needs from Azure, checked against azure-native 3.28.0's own
 * types (the SDK the program is built with) and Microsoft's documented rules.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluate, REPO_ROOT, type EvaluateOptions } from "./harness/evaluate";
import type { Graph } from "./harness/graph";
import { invokes, MOCK_ACR_PASSWORD, MOCK_ACR_TOKEN } from "./harness/mocks";
import { plainStrings } from "./harness/unwrap";

const T = {
  aks: "azure-native:containerservice:ManagedCluster",
  pool: "azure-native:containerservice:AgentPool",
  role: "azure-native:authorization:RoleAssignment",
  acr: "azure-native:containerregistry:Registry",
  image: "docker-build:index:Image",
  provider: "pulumi:providers:kubernetes",
};

/** Evaluates with every `pulumi.log.warn` captured, and every invoke made. */
async function evaluateCapturing(stack: string, opts: EvaluateOptions = {}) {
  const warnings: string[] = [];
  const original = pulumi.log.warn;
  (pulumi.log as { warn: typeof pulumi.log.warn }).warn = (msg: string) => { warnings.push(msg); return Promise.resolve(); };
  invokes.length = 0;
  try {
    const g = await evaluate(stack, opts);
    return { g, warnings, calls: [...invokes] };
  } finally {
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = original;
  }
}

/**
 * The SDK's enum members and the rule each one's doc comment states about the dataplane
 * (azure-native types/enums/containerservice: NetworkPolicy "cilium" — "This requires
 * networkDataplane to be 'cilium'").
 */
function sdkNetworkEnums() {
  const enums = require("@pulumi/azure-native/types/enums/containerservice"); // eslint-disable-line @typescript-eslint/no-require-imports
  const dts = fs.readFileSync(path.join(REPO_ROOT, "node_modules/@pulumi/azure-native/types/enums/containerservice/index.d.ts"), "utf8");
  const block = dts.slice(dts.indexOf("export declare const NetworkPolicy: {"), dts.indexOf("export type NetworkPolicy ="));
  const requiresDataplane: Record<string, string> = {};
  for (const m of block.matchAll(/\/\*\*([^]*?)\*\/\s*readonly \w+: "(\w+)"/g)) {
    const rule = /requires networkDataplane to be '(\w+)'/.exec(m[1]);
    if (rule) requiresDataplane[m[2]] = rule[1];
  }
  return {
    policies: Object.values(enums.NetworkPolicy) as string[],
    dataplanes: Object.values(enums.NetworkDataplane) as string[],
    pluginModes: Object.values(enums.NetworkPluginMode) as string[],
    requiresDataplane,
  };
}

describe("aks stack: ordering on a fresh cluster", () => {
  let g: Graph;
  before(async () => { g = await evaluate("aks"); });

  it("applies nothing to the cluster before the user node pool exists (the system pool is tainted CriticalAddonsOnly)", () => {
    const provider = g.one(T.provider);
    expect(g.dependsOn(provider, g.one(T.pool)), "the Kubernetes provider waits for the user pool").to.equal(true);
  });

  it("applies nothing to the cluster before the kubelet may pull from ACR (AcrPull assigned)", () => {
    const provider = g.one(T.provider);
    const acrPull = g.find(T.role).filter((r) => String(r.inputs.roleDefinitionId).endsWith("/7f951dda-4ed3-4680-a7ca-43fe172d538d"));
    expect(acrPull, "one AcrPull assignment (built-in role id from Azure's built-in roles list)").to.have.length(1);
    expect(g.dependsOn(provider, acrPull[0]), "the Kubernetes provider waits for AcrPull").to.equal(true);
  });

  it("sends every Kubernetes object (releases, Deployments, StatefulSets…) through that provider", () => {
    const provider = g.one(T.provider);
    const k8s = g.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(k8s.some((r) => r.type === "kubernetes:apps/v1:Deployment")).to.equal(true);
    expect(k8s.some((r) => r.type === "kubernetes:helm.sh/v3:Release")).to.equal(true);
    for (const r of k8s) expect(r.provider?.startsWith(`${provider.urn}::`), `${r.type} ${r.name}`).to.equal(true);
  });
});

describe("aks stack: network dataplane and policy (azure-native 3.28.0 ManagedCluster)", () => {
  const sdk = sdkNetworkEnums();

  it("reads the dataplane rule from the SDK (guards this test's own parsing)", () => {
    expect(sdk.requiresDataplane).to.have.property("cilium");
    expect(sdk.dataplanes).to.include(sdk.requiresDataplane.cilium);
  });

  it("defaults to Azure CNI powered by Cilium on overlay: the SDK's values, and the dataplane its policy requires", async () => {
    const { g, warnings } = await evaluateCapturing("aks", { overrides: { "statefleet:cluster": { aks: { networkPolicy: undefined } } } });
    const net = g.one(T.aks).inputs.networkProfile;
    expect(net.networkPlugin).to.equal("azure");
    expect(sdk.pluginModes).to.include(net.networkPluginMode);
    expect(net.networkPluginMode).to.equal("overlay");
    expect(net.networkPolicy, "default policy engine").to.equal("cilium");
    expect(sdk.policies).to.include(net.networkPolicy);
    expect(sdk.dataplanes).to.include(net.networkDataplane);
    expect(net.networkDataplane).to.equal(sdk.requiresDataplane[net.networkPolicy]);
    expect(warnings.filter((w) => /networkPolicy/.test(w))).to.deep.equal([]);
  });

  it("the committed aks stack uses Cilium", async () => {
    const { g } = await evaluateCapturing("aks");
    expect(g.one(T.aks).inputs.networkProfile).to.include({ networkPolicy: "cilium", networkDataplane: "cilium" });
  });

  for (const policy of ["azure", "calico"]) {
    it(`keeps "${policy}" selectable, on a dataplane the SDK allows for it${policy === "azure" ? ", warning that Azure NPM is being retired" : ""}`, async () => {
      const { g, warnings } = await evaluateCapturing("aks", { overrides: { "statefleet:cluster": { aks: { networkPolicy: policy } } } });
      const net = g.one(T.aks).inputs.networkProfile;
      expect(net.networkPolicy).to.equal(policy);
      expect(sdk.dataplanes).to.include(net.networkDataplane);
      expect(net.networkDataplane, "Cilium's dataplane only with Cilium's policy").to.not.equal("cilium");
      const npm = warnings.filter((w) => /networkPolicy/.test(w));
      if (policy === "azure") {
        expect(npm).to.have.length(1);
        expect(npm[0]).to.match(/cluster\.aks\.networkPolicy/).and.match(/retir/i).and.match(/cilium/);
      } else {
        expect(npm).to.deep.equal([]);
      }
    });
  }
});

describe("aks stack: pushing the image to ACR without the admin password", () => {
  let g: Graph;
  let warnings: string[];
  let calls: typeof invokes;
  before(async () => { ({ g, warnings, calls } = await evaluateCapturing("aks")); });

  it("turns the registry's admin user off", () => {
    expect(g.one(T.acr).inputs.adminUserEnabled).to.equal(false);
  });

  it("never asks Azure for the admin credentials", () => {
    expect(calls.map((c) => c.token)).to.not.include("azure-native:containerregistry:listRegistryCredentials");
  });

  it("pushes with an access token of the operator's own identity, for this registry, as Microsoft documents it", () => {
    const exchange = calls.filter((c) => c.token === "command:local:run");
    expect(exchange, "one token exchange per run").to.have.length(1);
    const { command, environment, logging } = exchange[0].inputs;
    // https://learn.microsoft.com/azure/container-registry/container-registry-authentication#az-acr-login-with---expose-token
    expect(command).to.match(/^az acr login --name "\$ACR_NAME" --expose-token --output tsv --query accessToken$/);
    expect(environment.ACR_NAME).to.equal(g.one(T.acr).inputs.registryName);
    expect(logging, "the token is not written to the engine log").to.equal("none");
    const reg = g.one(T.image).inputs.registries;
    expect(reg).to.have.length(1);
    expect(reg[0].address).to.equal(`${g.one(T.acr).inputs.registryName}.azurecr.io`);
    // The user name docs give for `docker login` with an exposed token.
    expect(reg[0].username).to.equal("00000000-0000-0000-0000-000000000000");
    expect(reg[0].password).to.equal(MOCK_ACR_TOKEN).and.not.equal(MOCK_ACR_PASSWORD);
  });

  it("keeps the token a secret everywhere it goes", () => {
    expect(g.one(T.image).inputs.registries[0].password, "the build gets it").to.equal(MOCK_ACR_TOKEN);
    for (const r of g.resources) expect(plainStrings(r.raw).join("\n"), `${r.type} ${r.name}`).not.to.contain(MOCK_ACR_TOKEN);
  });

  it("does not warn about the admin user when it is off", () => {
    expect(warnings.filter((w) => /acrAdminUser/.test(w))).to.deep.equal([]);
  });

  it("with acrAdminUser: true, turns the admin user on, pushes with its password, and warns", async () => {
    const r = await evaluateCapturing("aks", { overrides: { "statefleet:cluster": { aks: { acrAdminUser: true } } } });
    expect(r.g.one(T.acr).inputs.adminUserEnabled).to.equal(true);
    expect(r.g.one(T.image).inputs.registries[0].password).to.equal(MOCK_ACR_PASSWORD);
    expect(r.calls.map((c) => c.token)).to.not.include("command:local:run");
    expect(r.warnings.filter((w) => /acrAdminUser/.test(w))).to.have.length(1);
  });

  it("asks for no token in a preview (nothing is pushed then), yet registers the same build", async () => {
    const p = await evaluateCapturing("aks", { preview: true });
    expect(p.calls.map((c) => c.token)).to.not.include("command:local:run");
    expect(p.g.one(T.image).inputs.registries[0].username).to.equal("00000000-0000-0000-0000-000000000000");
  });
});
