import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { namespace, type PodSecurityLevel } from "../k8s";

/** Names of the namespaces statefleet owns. */
export const NAMESPACES = {
  /** The app variants. */
  apps: "statefleet-apps",
  /** Redis and MongoDB. */
  data: "statefleet-data",
} as const;

export interface NamespacesArgs {
  /** Label the app namespace for Istio sidecar injection. */
  istioInjection: boolean;
}

/** Our namespaces, each enforcing a Pod Security Standard (restricted for everything we run). */
export class Namespaces extends pulumi.ComponentResource {
  public readonly apps: k8s.core.v1.Namespace;
  public readonly data: k8s.core.v1.Namespace;

  constructor(name: string, args: NamespacesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:Namespaces", name, {}, opts);
    const level: PodSecurityLevel = "restricted";
    const mesh: Record<string, string> = args.istioInjection ? { "istio-injection": "enabled" } : {};
    this.apps = namespace(NAMESPACES.apps, level, { parent: this }, mesh);
    this.data = namespace(NAMESPACES.data, level, { parent: this });
    this.registerOutputs({});
  }
}
