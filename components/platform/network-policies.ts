/**
 * NetworkPolicies for the platform's namespaces: default-deny, then a baseline every platform pod
 * needs (DNS, the API server, its own namespace), then what each component admits or reaches.
 *
 * Third-party pods are selected by the labels their charts set; API server and load-balancer
 * sources have no stable address, so ports they use are opened to every source.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CLUSTER_DNS, labels, namespaceSelector } from "../k8s";
import K8sInputs = k8s.types.input;

type Ingress = K8sInputs.networking.v1.NetworkPolicyIngressRule;
type Egress = K8sInputs.networking.v1.NetworkPolicyEgressRule;

const tcp = (ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const nsSelector = (name: string) => ({ namespaceSelector: namespaceSelector(name) });

/** Ingress on these TCP ports from any source (clients through a load balancer, the API server). */
export const fromAnywhere = (ports: number[]): Ingress => ({ ports: tcp(ports) });
/** Ingress on these TCP ports from pods of the named namespaces. */
export const fromNamespaces = (names: readonly string[], ports: number[]): Ingress => ({ from: names.map(nsSelector), ports: tcp(ports) });
/** Ingress on these TCP ports from pods of every namespace (e.g. sidecars to istiod). */
export const fromAllPods = (ports: number[]): Ingress => ({ from: [{ namespaceSelector: {} }], ports: tcp(ports) });
/** Egress to every pod of every namespace (entry points route to the apps; they are the apps' gate). */
export const toAllPods = (): Egress => ({ to: [{ namespaceSelector: {} }] });
/** Egress on these TCP ports to any address (webhook receivers outside the cluster). */
export const toAnywhere = (ports: number[]): Egress => ({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(ports) });
/** Egress anywhere on any port (Prometheus scrapes pods, kubelets and node-exporters). */
export const toEverything = (): Egress => ({});

/** What one set of pods in the namespace admits and reaches beyond the baseline. */
export interface PodAllowance {
  /** Becomes the NetworkPolicy's name (`allow-<name>`). */
  name: string;
  /** Labels of the pods (as their chart sets them). */
  podSelector: Record<string, string>;
  ingress?: Ingress[];
  egress?: Egress[];
}

/**
 * default-deny (ingress and egress) for the whole namespace, a baseline (CoreDNS in kube-system, the
 * API server on 443/6443 — ClusterIP `kubernetes` DNATs to the server's address — and traffic
 * among the namespace's own pods), and one policy per allowance.
 */
export function platformNetworkPolicies(
  namespace: string,
  allowances: PodAllowance[],
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy[] {
  const meta = (name: string) => ({ name, namespace, labels: labels(namespace, "network-policy") });
  const policies = [
    new k8s.networking.v1.NetworkPolicy(
      `${namespace}-default-deny`,
      { metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
      opts,
    ),
    new k8s.networking.v1.NetworkPolicy(
      `${namespace}-baseline`,
      {
        metadata: meta("platform-baseline"),
        spec: {
          podSelector: {},
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: [{ podSelector: {} }] }],
          egress: [
            { to: [{ podSelector: {} }] },
            {
              to: [{ namespaceSelector: namespaceSelector(CLUSTER_DNS.namespace), podSelector: { matchLabels: { ...CLUSTER_DNS.podLabels } } }],
              ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            },
            toAnywhere([443, 6443]),
          ],
        },
      },
      opts,
    ),
  ];
  for (const a of allowances) {
    const types = [...(a.ingress ? ["Ingress"] : []), ...(a.egress ? ["Egress"] : [])];
    policies.push(
      new k8s.networking.v1.NetworkPolicy(
        `${namespace}-allow-${a.name}`,
        {
          metadata: meta(`allow-${a.name}`),
          spec: { podSelector: { matchLabels: a.podSelector }, policyTypes: types, ingress: a.ingress, egress: a.egress },
        },
        opts,
      ),
    );
  }
  return policies;
}
