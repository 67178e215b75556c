import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secureNamespace, type PodSecurityLevel, type SecureNamespace } from "../k8s";

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

/**
 * Our namespaces, each enforcing the `restricted` Pod Security Standard and default-deny
 * NetworkPolicies (ingress and egress, DNS allowed): nothing reaches or leaves a pod here unless
 * the pod's own policy (Workload, Redis, Mongo) opens that flow. docs/network-policies.md.
 */
export class Namespaces extends pulumi.ComponentResource {
  public readonly apps: k8s.core.v1.Namespace;
  public readonly data: k8s.core.v1.Namespace;
  /** Namespace + default-deny + DNS allow, per namespace. */
  public readonly secured: { apps: SecureNamespace; data: SecureNamespace };

  constructor(name: string, args: NamespacesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:Namespaces", name, {}, opts);
    const level: PodSecurityLevel = "restricted";
    const mesh: Record<string, string> = args.istioInjection ? { "istio-injection": "enabled" } : {};
    this.secured = {
      apps: secureNamespace(NAMESPACES.apps, level, { parent: this }, mesh),
      data: secureNamespace(NAMESPACES.data, level, { parent: this }),
    };
    this.apps = this.secured.apps.namespace;
    this.data = this.secured.data.namespace;
    this.registerOutputs({});
  }
}
