import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../contracts";
import { namespaceSelector } from "../k8s";

export interface DataAccessPolicyArgs {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Pods of the data service. */
  selector: Record<string, string>;
  /** Namespace of the pods that may connect, and the labels they must carry. */
  clientNamespace: pulumi.Input<string>;
  clientLabels: Record<string, string>;
  /** The service port clients use. */
  port: number;
  /** The exporter port Prometheus scrapes, when monitored. */
  exporterPort?: number;
}

/**
 * Ingress only from app pods that declare they use this service, from the apps namespace, and
 * from Prometheus on the exporter. Egress stays shut (besides the namespace's DNS allow): a data
 * service calls nobody.
 */
export function dataAccessPolicy(resourceName: string, args: DataAccessPolicyArgs, parent: pulumi.Resource): k8s.networking.v1.NetworkPolicy {
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
    { from: [{ namespaceSelector: namespaceSelector(args.clientNamespace), podSelector: { matchLabels: args.clientLabels } }], ports: [{ protocol: "TCP", port: args.port }] },
  ];
  if (args.exporterPort !== undefined) {
    ingress.push({ from: [{ namespaceSelector: namespaceSelector(PLATFORM_NAMESPACES.monitoring) }], ports: [{ protocol: "TCP", port: args.exporterPort }] });
  }
  return new k8s.networking.v1.NetworkPolicy(
    resourceName,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      spec: { podSelector: { matchLabels: args.selector }, policyTypes: ["Ingress", "Egress"], ingress, egress: [] },
    },
    { parent },
  );
}
