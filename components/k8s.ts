/**
 * Shared Kubernetes building blocks: labels, the restricted security context, probes,
 * resource blocks, namespaces. Every component builds pods from these; a second copy
 * of a security context anywhere else is a bug.
 */
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
}

/** An env var read from a Secret, never a literal value. */
export function envFromSecret(name: string, ref: SecretRef): K8sInputs.core.v1.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** Pod Security Admission levels for a namespace. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** A namespace with Pod Security Admission enforce/audit/warn labels. */
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
