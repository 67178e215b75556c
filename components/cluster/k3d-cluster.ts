import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { K3dConfig } from "../../config/cluster";
import type { ClusterInfo, EntryPoints, ImageRegistry, RwxSupport } from "./types";

export interface K3dClusterArgs {
  /** k3d cluster name (containers are `k3d-<name>-…`). */
  clusterName: string;
  settings: K3dConfig;
}

/** Where the shared host directory appears inside every node. */
export const K3D_SHARED_NODE_PATH = "/var/lib/statefleet/shared";
/** The LoadBalancer Service port the Istio gateway uses on k3d (80/443 belong to ingress-nginx). */
export const K3D_ISTIO_SERVICE_PORT = 8081;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The registry created with the cluster, and the addresses the build and the nodes use for it. */
export interface K3dRegistry {
  /** The registry container's name, which is also the host name the nodes know it by. */
  name: string;
  /** Value of `k3d cluster create --registry-create` (`NAME:HOST:HOSTPORT`). */
  createFlag: string;
  /** Where `docker push` on the operator's machine reaches it (bound to 127.0.0.1). */
  pushAddress: string;
  /** What pods put in `image:`; k3d writes a containerd mirror for exactly this host:port. */
  pullAddress: string;
}

/**
 * The one place the registry's name and addresses come from. k3d v5.8.3 names a registry made by
 * `--registry-create NAME:…` exactly NAME (pkg/config/transform.go TransformSimpleToClusterConfig:
 * `regName = simpleConfig.Registries.Create.Name`; only `k3d registry create` prepends `k3d-`,
 * cmd/registry/registryCreate.go parseCreateRegistryCmd), and gives every node a mirror for
 * `NAME:HOSTPORT` and `NAME:5000` (pkg/client/registry.go RegistryGenerateK3sConfig).
 */
export function k3dRegistry(clusterName: string, port: number): K3dRegistry {
  const name = `${clusterName}-registry.localhost`;
  return {
    name,
    createFlag: `${name}:127.0.0.1:${port}`,
    pushAddress: `localhost:${port}`,
    pullAddress: `${name}:${port}`,
  };
}

/** The `k3d cluster create` command line, one flag per line for readable previews. */
export function k3dCreateCommand(name: string, s: K3dConfig): string {
  const registry = k3dRegistry(name, s.registryPort);
  const flags = [
    `--image ${q(s.k3sImage)}`,
    `--servers ${s.servers}`,
    `--agents ${s.agents}`,
    `--api-port 127.0.0.1:${s.apiPort}`,
    `--port ${q(`${s.httpPort}:80@loadbalancer`)}`,
    `--port ${q(`${s.httpsPort}:443@loadbalancer`)}`,
    `--port ${q(`${s.istioPort}:${K3D_ISTIO_SERVICE_PORT}@loadbalancer`)}`,
    `--volume ${q(`${s.sharedHostPath}:${K3D_SHARED_NODE_PATH}@all`)}`,
    `--k3s-arg ${q("--disable=traefik@server:*")}`,
    `--registry-create ${q(registry.createFlag)}`,
    `--kubeconfig-update-default=false`,
    `--kubeconfig-switch-context=false`,
    `--wait --timeout 300s`,
  ];
  // Idempotent: a re-run after a partial `pulumi up` finds the cluster and keeps it.
  return [
    "set -eu",
    `mkdir -p ${q(s.sharedHostPath)}`,
    `chmod 0777 ${q(s.sharedHostPath)}`,
    `if k3d cluster get ${q(name)} >/dev/null 2>&1; then echo "k3d cluster ${name} exists"; else`,
    `  k3d cluster create ${q(name)} \\\n    ${flags.join(" \\\n    ")}`,
    "fi",
  ].join("\n");
}

/**
 * Deletes the cluster and the registry created with it; succeeds when they are already gone.
 * `k3d cluster delete` keeps a registry that is still on another network, so delete it by name
 * too (`k3d registry delete NAME` looks the container up by exactly NAME).
 */
export function k3dDeleteCommand(name: string, registryPort: number): string {
  const registry = k3dRegistry(name, registryPort).name;
  return [
    `k3d cluster delete ${q(name)} || true`,
    `if k3d registry list ${q(registry)} >/dev/null 2>&1; then k3d registry delete ${q(registry)}; fi`,
  ].join("\n");
}

/**
 * A k3d cluster on the operator's Docker: traefik off, ingress/Istio ports mapped to the
 * host, a registry created with the cluster, one host directory on every node for RWX.
 */
export class K3dCluster extends pulumi.ComponentResource implements ClusterInfo {
  public readonly kind = "k3d" as const;
  public readonly name: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly registry: ImageRegistry;
  public readonly rwx: RwxSupport;
  public readonly entry: EntryPoints;

  constructor(name: string, args: K3dClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:cluster:K3dCluster", name, {}, opts);
    const s = args.settings;
    const cluster = new command.local.Command(
      `${name}-create`,
      {
        create: k3dCreateCommand(args.clusterName, s),
        delete: k3dDeleteCommand(args.clusterName, s.registryPort),
        interpreter: ["/bin/bash", "-c"],
        // Any of these changes means a new cluster: k3d cannot change them in place.
        triggers: [s.k3sImage, s.servers, s.agents, s.apiPort, s.httpPort, s.httpsPort, s.istioPort, s.registryPort, s.sharedHostPath],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    const kubeconfig = new command.local.Command(
      `${name}-kubeconfig`,
      {
        create: `k3d kubeconfig get ${q(args.clusterName)}`,
        interpreter: ["/bin/bash", "-c"],
        logging: command.local.Logging.None,
        triggers: [cluster.id],
      },
      { parent: this, dependsOn: [cluster], additionalSecretOutputs: ["stdout"] },
    );
    this.name = pulumi.output(args.clusterName);
    this.kubeconfig = pulumi.secret(kubeconfig.stdout);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // deleteUnreachable: a cluster deleted out of band (`k3d cluster delete`) must not block `pulumi destroy`.
      { kubeconfig: this.kubeconfig, deleteUnreachable: true, enableServerSideApply: true },
      { parent: this },
    );
    // Derived from the create command so nothing pushes before the registry exists.
    const afterCreate = (v: string) => cluster.stdout.apply(() => v);
    const registry = k3dRegistry(args.clusterName, s.registryPort);
    this.registry = { pushAddress: afterCreate(registry.pushAddress), pullAddress: afterCreate(registry.pullAddress) };
    this.rwx = { kind: "host-path", nodePath: K3D_SHARED_NODE_PATH };
    this.entry = { kind: "host-ports", http: s.httpPort, https: s.httpsPort, istio: s.istioPort, istioServicePort: K3D_ISTIO_SERVICE_PORT };
    this.registerOutputs({ name: this.name, kubeconfig: this.kubeconfig });
  }
}
