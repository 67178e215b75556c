import * as pulumi from "@pulumi/pulumi";
import { isSecret, SECRET_SIG, SECRET_VALUE_SIG } from "./unwrap";

/** A fake kubeconfig, as `k3d kubeconfig get` or AKS would return it. */
export const FAKE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: { server: https://127.0.0.1:6550, certificate-authority-data: AAAA }
  name: fake
contexts:
- context: { cluster: fake, user: fake }
  name: fake
current-context: fake
users:
- name: fake
  user: { client-certificate-data: BBBB, client-key-data: CCCC }
`;

/** An Entra-ID exec kubeconfig as AKS returns it with format=exec (device-code login). */
export const FAKE_EXEC_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: { server: https://statefleet.hcp.westeurope.azmk8s.io:443, certificate-authority-data: AAAA }
  name: statefleet
contexts:
- context: { cluster: statefleet, user: clusterUser_statefleet-rg_statefleet }
  name: statefleet
current-context: statefleet
users:
- name: clusterUser_statefleet-rg_statefleet
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, 00000000-0000-0000-0000-00000000000a, --environment, AzurePublicCloud]
`;

/** Every fabricated password starts with this, so tests can search for leaks. */
export const MOCK_SECRET_PREFIX = "MOCKSECRET";
/** The ACR admin password the mock returns. */
export const MOCK_ACR_PASSWORD = `${MOCK_SECRET_PREFIX}-acr-admin-password`;
/** The ACR access token `az acr login --expose-token` returns in the mocks (a JWT in real life). */
export const MOCK_ACR_TOKEN = `${MOCK_SECRET_PREFIX}-acr-access-token`;

/** Every invoke the program made since the last `invokes.length = 0`, in order (token and inputs). */
export const invokes: { token: string; inputs: Record<string, any> }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * What the engine does with a registration's `additionalSecretOutputs` once the provider has
 * answered (pulumi/pulumi pkg/resource/deploy/step_executor.go): every named output that exists and
 * is not secret yet becomes a secret, in the program and in the state file; `id` cannot be one.
 * (Outputs copied from secret inputs are secret already: the mock state starts as the inputs.)
 */
export function markSecretOutputs(state: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  for (const k of keys) {
    if (k === "id" || !(k in state) || isSecret(state[k])) continue;
    state[k] = { [SECRET_SIG]: SECRET_VALUE_SIG, value: state[k] };
  }
  return state;
}

/** What a registration asked of the engine beyond its inputs (not in MockResourceArgs). */
export interface RegistrationExtras {
  additionalSecretOutputs: string[];
}

/**
 * Mocks that fabricate what the program reads back from providers: names, passwords,
 * kubeconfigs, registry addresses. In preview, provider-computed values are unknown.
 * `onResource` is told of each registration and answers with what the request carried beyond
 * MockResourceArgs; `onState` is told the outputs as the engine would store them.
 */
export function makeMocks(
  preview: boolean,
  onResource: (a: pulumi.runtime.MockResourceArgs) => RegistrationExtras,
  onState: (state: Record<string, unknown>) => void = () => undefined,
  /** Changes every generated password (as a rotation would), keeping the MOCKSECRET prefix. */
  passwordSeed = "",
): pulumi.runtime.Mocks {
  const unknown = pulumi.runtime.unknownValue;
  return {
    newResource(a) {
      const { additionalSecretOutputs } = onResource(a);
      const s: Record<string, unknown> = { ...a.inputs };
      const id = `${a.name}-id`;
      switch (a.type) {
        case "random:index/randomPassword:RandomPassword":
          s.result = `${MOCK_SECRET_PREFIX}-${passwordSeed}${a.name}-${"x".repeat(Math.max(0, (a.inputs.length ?? 32) - 20))}`;
          break;
        case "random:index/randomString:RandomString":
          s.result = "a1b2c3".slice(0, a.inputs.length ?? 6);
          break;
        case "command:local:Command":
          s.stdout = preview ? unknown : /kubeconfig get/.test(a.inputs.create ?? "") ? FAKE_KUBECONFIG : "";
          break;
        case "azure-native:resources:ResourceGroup":
          s.name = a.inputs.resourceGroupName ?? a.name;
          break;
        case "azure-native:containerservice:ManagedCluster":
          s.name = a.inputs.resourceName ?? a.name;
          s.identityProfile = preview ? unknown : { kubeletidentity: { objectId: "11111111-2222-3333-4444-555555555555", clientId: "c", resourceId: "r" } };
          s.oidcIssuerProfile = { enabled: true, issuerURL: preview ? unknown : "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/" };
          break;
        case "azure-native:containerregistry:Registry":
          s.name = a.inputs.registryName;
          s.loginServer = preview ? unknown : `${a.inputs.registryName}.azurecr.io`;
          break;
        case "docker-build:index:Image":
          s.ref = preview ? unknown : `${a.inputs.tags?.[0]}@sha256:${"0".repeat(64)}`;
          s.digest = preview ? unknown : `sha256:${"0".repeat(64)}`;
          break;
        case "kubernetes:helm.sh/v3:Release":
          s.status = { name: a.inputs.name ?? a.name, namespace: a.inputs.namespace, status: "deployed" };
          break;
        default:
          if (a.type.startsWith("kubernetes:") && a.inputs.metadata) {
            // The provider auto-names objects without metadata.name; fabricate the same shape.
            s.metadata = { ...a.inputs.metadata, name: a.inputs.metadata.name ?? `${a.name}-abc123` };
          }
      }
      markSecretOutputs(s, additionalSecretOutputs);
      onState(s);
      return { id, state: s };
    },
    call(a) {
      invokes.push({ token: a.token, inputs: a.inputs });
      switch (a.token) {
        case "azure-native:authorization:getClientConfig":
          return { subscriptionId: "00000000-0000-0000-0000-000000000001", tenantId: "00000000-0000-0000-0000-00000000000a", clientId: "c", objectId: "o" };
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
          if (preview) return { kubeconfigs: unknown };
          const kc = a.inputs.format === "exec" ? FAKE_EXEC_KUBECONFIG : FAKE_KUBECONFIG;
          return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kc).toString("base64") }] };
        }
        case "command:local:run": {
          // Only the ACR token exchange runs a local command through an invoke; anything else is a new invoke to mock on purpose.
          if (!/^az acr login --name "\$ACR_NAME" --expose-token\b/.test(a.inputs.command ?? "")) throw new Error(`unmocked local command ${a.inputs.command}`);
          return { ...a.inputs, stdout: `${MOCK_ACR_TOKEN}\n`, stderr: "" };
        }
        case "azure-native:containerregistry:listRegistryCredentials":
          return preview ? { username: unknown, passwords: unknown } : { username: "acradmin", passwords: [{ name: "password", value: MOCK_ACR_PASSWORD }] };
        default:
          throw new Error(`unmocked invoke ${a.token}: add it to test/harness/mocks.ts`);
      }
    },
  };
}
