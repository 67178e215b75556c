import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../contracts";
import { namespaceSelector } from "../k8s";

export interface DataServicesArgs {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  selector: Record<string, string>;
  /** Named container port and the port number clients use. */
  portName: string;
  port: number;
  /** Exporter port published as `metrics` on the ClusterIP Service, when monitored. */
  exporterPort?: number;
}

/**
 * The two Services of a single-node data StatefulSet: `<name>-headless` (the StatefulSet's
 * stable network identity) and `<name>` (what clients connect to, plus the exporter port).
 */
export function dataServices(args: DataServicesArgs, parent: pulumi.Resource): { headless: k8s.core.v1.Service; service: k8s.core.v1.Service } {
  const metadata = (name: string) => ({ name, namespace: args.namespace, labels: args.labels });
  const main = { name: args.portName, port: args.port, targetPort: args.portName };
  const headless = new k8s.core.v1.Service(
    `${args.name}-headless`,
    { metadata: metadata(`${args.name}-headless`), spec: { clusterIP: "None", selector: args.selector, ports: [main] } },
    { parent },
  );
  const service = new k8s.core.v1.Service(
    args.name,
    {
      metadata: metadata(args.name),
      spec: {
        type: "ClusterIP",
        selector: args.selector,
        ports: [main, ...(args.exporterPort !== undefined ? [{ name: "metrics", port: args.exporterPort, targetPort: "metrics" }] : [])],
      },
    },
    { parent },
  );
  return { headless, service };
}

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
