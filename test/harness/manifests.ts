import type { Graph, K8sObject } from "./graph";
import * as path from "node:path";
import { CHARTS } from "../../components/platform/charts";
import { loadCrdSchemas, schemaProblems, type JsonSchema } from "./crd-schema";
import { hasUnknown } from "./unwrap";

/**
 * CRDs without a kubernetes-models package: their schemas from checked-in copies of the pinned
 * chart's CRD file (header: source tag and path). API group → file.
 */
export const CRD_FILES: Record<string, string> = {
  "flagger.app": path.resolve(__dirname, "..", "fixtures", "flagger", `crd-${CHARTS.flagger.version}.yaml`),
};
const crdSchemas = new Map<string, Map<string, JsonSchema>>();

/** The pinned CRD schema of a custom resource kind, or undefined when the group has no CRD file. */
export function crdSchemaFor(apiVersion: string, kind: string): JsonSchema | undefined {
  const group = apiVersion.split("/")[0] as string;
  const file = CRD_FILES[group];
  if (!file) return undefined;
  let schemas = crdSchemas.get(file);
  if (!schemas) crdSchemas.set(file, (schemas = loadCrdSchemas(file)));
  const schema = schemas.get(`${apiVersion} ${kind}`);
  if (!schema) throw new Error(`${path.basename(file)} defines no ${apiVersion} ${kind}`);
  return schema;
}

// kubernetes-models and @kubernetes-models/* are ESM-only. TypeScript compiles `import()` to
// `require()` under CommonJS, which their exports map refuses; keep a real dynamic import.
const esmImport = new Function("s", "return import(s)") as (s: string) => Promise<Record<string, unknown>>;

/** Where the schema model of an apiVersion lives. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  if (group.endsWith(".istio.io")) return `@kubernetes-models/istio/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (!group.includes(".") || group.endsWith(".k8s.io")) return `kubernetes-models/${group}/${version}/${kind}`;
  return undefined;
}

type Model = { new (data: unknown): { validate(): void } };
const cache = new Map<string, Model>();

async function modelFor(apiVersion: string, kind: string): Promise<Model> {
  const mod = modelModule(apiVersion, kind);
  if (!mod) throw new Error(`no schema known for ${apiVersion} ${kind}: add its model package to test/harness/manifests.ts`);
  let m = cache.get(mod);
  if (!m) {
    const loaded = await esmImport(mod).catch((e: Error) => {
      throw new Error(`no schema for ${apiVersion} ${kind} (${mod}): ${e.message}`);
    });
    m = loaded[kind] as Model;
    if (!m) throw new Error(`${mod} exports no ${kind}`);
    cache.set(mod, m);
  }
  return m;
}

/** Schema-validates one object; returns the validator's message or undefined when valid. */
export async function validateObject(obj: K8sObject): Promise<string | undefined> {
  const crd = crdSchemaFor(obj.apiVersion, obj.kind);
  if (crd) {
    const problems = schemaProblems(obj, crd);
    return problems.length > 0 ? problems.join("; ") : undefined;
  }
  const Model = await modelFor(obj.apiVersion, obj.kind);
  try {
    new Model(obj).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// The schemas accept unknown fields, so typos pass. These are the places a typo silently
// drops a security or scheduling setting; unknown keys there are errors.
const KNOWN = {
  podSpec: new Set(["activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers", "dnsConfig", "dnsPolicy", "enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname", "imagePullSecrets", "initContainers", "nodeName", "nodeSelector", "os", "overhead", "preemptionPolicy", "priority", "priorityClassName", "readinessGates", "resourceClaims", "resources", "restartPolicy", "runtimeClassName", "schedulerName", "schedulingGates", "securityContext", "serviceAccount", "serviceAccountName", "setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "tolerations", "topologySpreadConstraints", "volumes"]),
  container: new Set(["args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "name", "ports", "readinessProbe", "resizePolicy", "resources", "restartPolicy", "securityContext", "startupProbe", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir"]),
  securityContext: new Set(["allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions", "fsGroup", "fsGroupChangePolicy", "supplementalGroups", "supplementalGroupsPolicy", "sysctls", "seLinuxChangePolicy"]),
  metadata: new Set(["name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences"]),
};

function unknownKeys(where: string, obj: unknown, known: Set<string>): string[] {
  if (!obj || typeof obj !== "object") return [];
  return Object.keys(obj).filter((k) => !known.has(k)).map((k) => `${where}.${k}: unknown field`);
}

/** The pod spec of any workload kind (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podSpecOf(obj: K8sObject): { path: string; spec: any } | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (obj.kind) {
    case "Pod": return { path: "spec", spec: obj.spec };
    case "Deployment": case "StatefulSet": case "DaemonSet": case "ReplicaSet": case "Job":
      return { path: "spec.template.spec", spec: obj.spec?.template?.spec };
    case "CronJob": return { path: "spec.jobTemplate.spec.template.spec", spec: obj.spec?.jobTemplate?.spec?.template?.spec };
    default: return undefined;
  }
}

/** Our own field checks on top of the schema. */
export function fieldProblems(obj: K8sObject): string[] {
  const out = unknownKeys("metadata", obj.metadata, KNOWN.metadata);
  const pod = podSpecOf(obj);
  if (pod?.spec) {
    out.push(...unknownKeys(pod.path, pod.spec, KNOWN.podSpec));
    out.push(...unknownKeys(`${pod.path}.securityContext`, pod.spec.securityContext, KNOWN.securityContext));
    for (const list of ["containers", "initContainers"] as const) {
      (pod.spec[list] ?? []).forEach((c: Record<string, unknown>, i: number) => {
        out.push(...unknownKeys(`${pod.path}.${list}[${i}]`, c, KNOWN.container));
        out.push(...unknownKeys(`${pod.path}.${list}[${i}].securityContext`, c.securityContext, KNOWN.securityContext));
      });
    }
    // A selector that does not match its own template never gets pods.
    const sel = obj.spec?.selector?.matchLabels as Record<string, string> | undefined;
    const tpl = obj.spec?.template?.metadata?.labels as Record<string, string> | undefined;
    if (sel && Object.entries(sel).some(([k, v]) => tpl?.[k] !== v)) out.push("spec.selector.matchLabels does not match spec.template.metadata.labels");
  }
  return out;
}

/**
 * Validates every Kubernetes object in the graph against the Kubernetes, Istio and
 * prometheus-operator schemas plus our field checks. Returns `<type> <name>: <problem>` lines.
 */
export async function validateManifests(graph: Graph): Promise<string[]> {
  const out: string[] = [];
  for (const { res, obj } of graph.k8sObjects()) {
    if (hasUnknown(obj)) {
      if (!graph.preview) out.push(`${res.type} ${res.name}: has unknown values outside preview`);
      continue;
    }
    try {
      const err = await validateObject(obj);
      if (err) out.push(`${res.type} ${res.name}: ${err}`);
    } catch (e) {
      out.push(`${res.type} ${res.name}: ${(e as Error).message}`);
    }
    for (const p of fieldProblems(obj)) out.push(`${res.type} ${res.name}: ${p}`);
  }
  return out;
}
