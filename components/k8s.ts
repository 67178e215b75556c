/**
 * Shared Kubernetes building blocks: labels, the restricted security context, probes,
 * resource blocks, namespaces. Every component builds pods from these; a second copy
 * of a security context anywhere else is a bug.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../config/common";

type Input<T> = pulumi.Input<T>;
import K8sInputs = k8s.types.input;

/** The uid/gid our images run as (and the Azure Files mount owner). */
export const APP_UID = 10001;
export const APP_GID = 10001;

/** Standard labels; `name` is the workload, `component` what it is in statefleet. */
export function labels(name: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "statefleet",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** The subset of labels a selector may use (stable across upgrades). */
export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "statefleet" };
}

/** Pod-level security for the `restricted` Pod Security Standard. */
export function podSecurityContext(uid = APP_UID, gid = APP_GID): K8sInputs.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level security: read-only root, no privilege escalation, no capabilities. */
export function containerSecurityContext(uid = APP_UID, gid = APP_GID): K8sInputs.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Requests and limits from config. */
export function resourceBlock(r: Resources): K8sInputs.core.v1.ResourceRequirements {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

/** Readiness on `/readyz` (the backing store answers), liveness on `/healthz` (the process is alive). */
export function httpProbes(port: Input<number | string>): Pick<K8sInputs.core.v1.Container, "readinessProbe" | "livenessProbe" | "startupProbe"> {
  return {
    startupProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 2, failureThreshold: 30 },
    readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
  };
}

/** A `{ name, key }` pointer into a Kubernetes Secret, for `secretKeyRef`. */
export interface SecretRef {
  name: Input<string>;
  key: string;
  /** `secretChecksum` of the Secret's data, for the pod templates that read it (secretChecksumAnnotation). */
  checksum?: pulumi.Output<string>;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * sha256 of a Secret's data (keys sorted), computed inside the secret and kept a Pulumi secret:
 * it changes exactly when a value changes, and neither it nor the value shows in a preview.
 */
export function secretChecksum(data: Input<Record<string, Input<string>>>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.output(data).apply((d) => sha256(JSON.stringify(Object.keys(d).sort().map((k) => [k, d[k]])))),
  );
}

/** The pod-template annotation that carries the checksum of every Secret the pod reads. */
export const SECRET_CHECKSUM_ANNOTATION = "statefleet.io/secret-checksum";

/**
 * `{ statefleet.io/secret-checksum: … }` over the Secrets a pod template consumes ({} for none).
 * Kubernetes does not restart pods when a Secret they read through env changes; a new value
 * here changes the template, so a password rotation rolls every consumer onto the new value
 * in the same `pulumi up` instead of leaving pods split between old and new passwords.
 */
export function secretChecksumAnnotation(checksums: readonly (pulumi.Output<string> | undefined)[]): Record<string, pulumi.Output<string>> {
  const present = checksums.filter((c): c is pulumi.Output<string> => c !== undefined);
  if (present.length === 0) return {};
  return { [SECRET_CHECKSUM_ANNOTATION]: pulumi.secret(pulumi.all(present).apply((cs) => sha256(cs.join("\n")))) };
}

/** An env var read from a Secret, never a literal value. */
export function envFromSecret(name: string, ref: SecretRef): K8sInputs.core.v1.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** Pod Security Admission levels for a namespace. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * A namespace with Pod Security Admission enforce/audit/warn labels. It has no NetworkPolicy
 * yet, and the stack policy requires a default-deny one in every namespace: platform namespaces
 * add theirs with `platformNetworkPolicies` (components/platform/network-policies.ts), and
 * namespaces whose every pod is ours use `secureNamespace` (docs/network-policies.md).
 */
export function namespace(
  name: string,
  level: PodSecurityLevel,
  opts: pulumi.CustomResourceOptions,
  extraLabels: Record<string, string> = {},
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    name,
    {
      metadata: {
        name,
        labels: {
          "app.kubernetes.io/part-of": "statefleet",
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": level,
          "pod-security.kubernetes.io/warn": level,
          ...extraLabels,
        },
      },
    },
    opts,
  );
}

/** Selects a namespace by name (the `kubernetes.io/metadata.name` label the API server sets on every namespace). */
export function namespaceSelector(name: Input<string>): K8sInputs.meta.v1.LabelSelector {
  return { matchLabels: { "kubernetes.io/metadata.name": name } };
}

/** Where the cluster's DNS runs: CoreDNS carries `k8s-app: kube-dns` in kube-system on k3s and AKS. */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } } as const;

/** Probe timing; unset fields keep the helpers' defaults (every 10 s, 2 s timeout, 3 failures). */
export type ProbeTiming = Pick<K8sInputs.core.v1.Probe, "periodSeconds" | "timeoutSeconds" | "failureThreshold" | "initialDelaySeconds">;

/** A probe that only opens a TCP connection: starts no process inside a CPU- or memory-capped container. */
export function tcpProbe(port: Input<number | string>, timing: ProbeTiming = {}): K8sInputs.core.v1.Probe {
  return { tcpSocket: { port }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3, ...timing };
}

/** A probe that runs `command` in the container (with the container's env); exit 0 is healthy. */
export function execProbe(command: string[], timing: ProbeTiming = {}): K8sInputs.core.v1.Probe {
  return { exec: { command }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3, ...timing };
}

/** A namespace of ours plus the two policies that make it default-deny. */
export interface SecureNamespace {
  namespace: k8s.core.v1.Namespace;
  /** Selects every pod, allows nothing in or out: each workload's own policy opens what it needs. */
  denyAll: k8s.networking.v1.NetworkPolicy;
  /** Every pod may resolve names (UDP/TCP 53 to CoreDNS in kube-system). */
  allowDns: k8s.networking.v1.NetworkPolicy;
}

/**
 * A namespace (as `namespace()`) that is default-deny for ingress and egress, except DNS. For
 * namespaces whose every pod is ours and opens its own flows with a NetworkPolicy (Workload,
 * Redis, Mongo); the kubelet's probes come from the node, which NetworkPolicies always admit.
 */
export function secureNamespace(
  name: string,
  level: PodSecurityLevel,
  opts: pulumi.CustomResourceOptions,
  extraLabels: Record<string, string> = {},
): SecureNamespace {
  const ns = namespace(name, level, opts, extraLabels);
  const metadata = (policy: string) => ({ name: policy, namespace: ns.metadata.name, labels: { "app.kubernetes.io/part-of": "statefleet" } });
  const denyAll = new k8s.networking.v1.NetworkPolicy(
    `${name}-default-deny`,
    { metadata: metadata("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    opts,
  );
  const allowDns = new k8s.networking.v1.NetworkPolicy(
    `${name}-allow-dns`,
    {
      metadata: metadata("allow-dns"),
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{
          to: [{ namespaceSelector: namespaceSelector(CLUSTER_DNS.namespace), podSelector: { matchLabels: { ...CLUSTER_DNS.podLabels } } }],
          ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        }],
      },
    },
    opts,
  );
  return { namespace: ns, denyAll, allowDns };
}
