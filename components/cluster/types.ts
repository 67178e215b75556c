import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Where the app image is pushed from the operator's machine and pulled from by the nodes. */
export interface ImageRegistry {
  /** Registry host the build pushes to (e.g. `localhost:5111`, `<acr>.azurecr.io`). */
  pushAddress: pulumi.Output<string>;
  /** Registry host pods reference in `image:` (k3d sees its registry under another name). */
  pullAddress: pulumi.Output<string>;
  /** Push credentials, when the registry needs them (secret). */
  credentials?: { username: pulumi.Output<string>; password: pulumi.Output<string> };
}

/** How the cluster offers ReadWriteMany volumes. */
export type RwxSupport =
  /** A host directory mounted at `nodePath` on every k3d node: static hostPath PVs. */
  | { kind: "host-path"; nodePath: string }
  /** The Azure Files CSI driver (`file.csi.azure.com`). */
  | { kind: "azure-files" };

/** How LoadBalancer Services are reached from outside. */
export type EntryPoints =
  /** k3d: the serverlb maps host ports to LoadBalancer Service ports (klipper-lb). */
  | { kind: "host-ports"; http: number; https: number; istio: number; istioServicePort: number }
  /** A cloud LoadBalancer per Service, with its own public IP. */
  | { kind: "cloud-load-balancer" };

/** The small interface every cluster gives the rest of the program. */
export interface ClusterInfo {
  kind: "k3d" | "aks";
  name: pulumi.Output<string>;
  /** Every Kubernetes object is created through this provider, never a default one. */
  provider: k8s.Provider;
  /** Kubeconfig (always a Pulumi secret). */
  kubeconfig: pulumi.Output<string>;
  registry: ImageRegistry;
  rwx: RwxSupport;
  entry: EntryPoints;
}
