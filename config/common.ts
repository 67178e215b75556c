import { z } from "zod";

/** A Kubernetes resource quantity such as `250m`, `512Mi`, `1Gi`. */
export const quantity = z.preprocess(
  // Kubernetes accepts plain numbers (`cpu: 1`, `cpu: 0.5`), and YAML hands them over unquoted.
  (v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v),
  z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, { message: "not a Kubernetes quantity (allowed: e.g. 250m, 0.5, 512Mi, 1Gi)" }),
);

/** A DNS-1123 label: lower case letters, digits and '-', starting and ending alphanumeric. */
export const dnsLabel = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      message: `not a DNS label (allowed: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters)`,
    });

/** A TCP port a host or a Service can bind. */
export const port = z.number().int().min(1).max(65535);

/** CPU and memory requests and limits for one container. */
export const resources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});
export type Resources = z.infer<typeof resources>;

/** Resource defaults that fit a small laptop cluster; stack files override them. */
export const resourcesDefault = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) =>
  resources.prefault({ requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } });

/** An HTTP host name for an ingress rule; empty means "any host". */
export const hostName = z
  .string()
  .regex(/^$|^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: "not a host name (allowed: e.g. statefleet.localhost, or \"\" for any host)",
  });

/** An HTTP path prefix for an ingress rule. */
export const pathPrefix = z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, {
  message: "not a path prefix (allowed: starts with '/', letters, digits, '.', '_', '~', '-', '/')",
});
