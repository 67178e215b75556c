/**
 * Security and operability rules over every Kubernetes object a stack would create.
 * Pure functions over plain objects: the program tests run them over every stack, and they
 * carry no Pulumi runtime dependency so a CrossGuard pack can reuse them.
 */

/** A Kubernetes object plus how it reached the engine. */
export interface PolicyObject {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Pulumi resource name. */
  name: string;
  /** The object with secrets unwrapped. */
  obj: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Per top-level field: was it sent as a Pulumi secret? */
  secretFields: Set<string>;
}

export interface Violation {
  policy: string;
  resource: string;
  message: string;
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_?KEY)/i;
// `scheme://user:password@` and `scheme://:password@` (Redis' usual form: a password, no user).
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;
const PINNED_IMAGE = /^[^\s]+(:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[^\s]+@sha256:[a-f0-9]{64}$/;
const CLUSTER_SCOPED = new Set(["Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "IngressClass"]);
const WORKLOADS: Record<string, (o: any) => any> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  Pod: (o) => o.spec,
  Deployment: (o) => o.spec?.template?.spec,
  StatefulSet: (o) => o.spec?.template?.spec,
  DaemonSet: (o) => o.spec?.template?.spec,
  ReplicaSet: (o) => o.spec?.template?.spec,
  Job: (o) => o.spec?.template?.spec,
  CronJob: (o) => o.spec?.jobTemplate?.spec?.template?.spec,
};

type Rule = (p: PolicyObject, report: (message: string) => void) => void;

function containersOf(spec: any): { c: any; init: boolean }[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return [...(spec?.initContainers ?? []).map((c: unknown) => ({ c, init: true })), ...(spec?.containers ?? []).map((c: unknown) => ({ c, init: false }))];
}

const podRule = (fn: (spec: any, p: PolicyObject, report: (m: string) => void) => void): Rule => (p, report) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const get = WORKLOADS[p.obj?.kind];
  if (!get) return;
  const spec = get(p.obj);
  if (!spec) return report("workload without a pod spec");
  fn(spec, p, report);
};

/** The rules, by name. */
export const RULES: Record<string, Rule> = {
  "non-root": podRule((spec, _p, report) => {
    for (const { c } of containersOf(spec)) {
      const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
      if (nonRoot !== true) report(`container ${c.name}: runAsNonRoot is not true`);
      if (uid === 0) report(`container ${c.name}: runAsUser is 0 (root)`);
    }
  }),
  "read-only-root-filesystem": podRule((spec, _p, report) => {
    for (const { c } of containersOf(spec)) if (c.securityContext?.readOnlyRootFilesystem !== true) report(`container ${c.name}: readOnlyRootFilesystem is not true`);
  }),
  "no-privilege": podRule((spec, _p, report) => {
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) report("uses the host's network, PID or IPC namespace");
    for (const v of spec.volumes ?? []) if (v.hostPath) report(`volume ${v.name}: hostPath volumes are not allowed in pods (use a PersistentVolume)`);
    for (const { c } of containersOf(spec)) {
      const sc = c.securityContext ?? {};
      if (sc.privileged) report(`container ${c.name}: privileged`);
      if (sc.allowPrivilegeEscalation !== false) report(`container ${c.name}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) report(`container ${c.name}: capabilities.drop does not include ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) report(`container ${c.name}: adds capabilities ${sc.capabilities.add.join(", ")}`);
      const seccomp = sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") report(`container ${c.name}: no RuntimeDefault seccomp profile`);
    }
  }),
  "resources": podRule((spec, _p, report) => {
    for (const { c } of containersOf(spec)) {
      for (const kind of ["requests", "limits"] as const) for (const r of ["cpu", "memory"]) {
        if (!c.resources?.[kind]?.[r]) report(`container ${c.name}: no ${r} ${kind.slice(0, -1)}`);
      }
    }
  }),
  "probes": podRule((spec, p, report) => {
    if (p.obj.kind === "Job" || p.obj.kind === "CronJob") return;
    for (const { c, init } of containersOf(spec)) {
      if (init) continue;
      if (!c.readinessProbe) report(`container ${c.name}: no readinessProbe`);
      if (!c.livenessProbe) report(`container ${c.name}: no livenessProbe`);
    }
  }),
  "pinned-images": podRule((spec, _p, report) => {
    for (const { c } of containersOf(spec)) {
      if (typeof c.image !== "string") continue; // unknown until the image is built (preview)
      if (!PINNED_IMAGE.test(c.image)) report(`container ${c.name}: image ${c.image} is not pinned to a tag or digest (and never :latest)`);
      if (c.imagePullPolicy === "Never") report(`container ${c.name}: imagePullPolicy Never`);
    }
  }),
  "no-plaintext-secrets": (p, report) => {
    const get = WORKLOADS[p.obj?.kind];
    const spec = get?.(p.obj);
    for (const { c } of containersOf(spec)) {
      for (const e of c.env ?? []) {
        if (e.value === undefined) continue;
        if (SECRET_NAME.test(e.name)) report(`container ${c.name}: env ${e.name} is a literal value; use valueFrom.secretKeyRef`);
        if (typeof e.value === "string" && URL_WITH_PASSWORD.test(e.value)) report(`container ${c.name}: env ${e.name} carries credentials in a URL`);
      }
    }
    if (p.obj?.kind === "Secret") {
      for (const f of ["data", "stringData"]) if (p.obj[f] && !p.secretFields.has(f)) report(`Secret ${f} is not a Pulumi secret: it would show in plain text in previews and state`);
    }
    if (p.obj?.kind === "ConfigMap") {
      for (const [k, v] of Object.entries(p.obj.data ?? {})) {
        if (SECRET_NAME.test(k)) report(`ConfigMap key ${k} looks like a secret; use a Secret`);
        if (typeof v === "string" && URL_WITH_PASSWORD.test(v)) report(`ConfigMap key ${k} carries credentials in a URL`);
      }
    }
  },
  "namespaced": (p, report) => {
    if (!p.obj?.kind || CLUSTER_SCOPED.has(p.obj.kind)) return;
    if (!p.obj.metadata?.namespace) report(`${p.obj.kind} has no metadata.namespace (it would land in whatever namespace the kubeconfig defaults to)`);
  },
  "no-own-load-balancers": (p, report) => {
    if (p.obj?.kind === "Service" && p.obj.spec?.type === "LoadBalancer") report("our own Services stay internal; entry points are ingress-nginx and the Istio gateway");
    if (p.obj?.kind === "Service" && p.obj.spec?.type === "NodePort") report("NodePort Services bypass the entry points");
  },
  "pinned-charts": (p, report) => {
    if (p.type !== "kubernetes:helm.sh/v3:Release") return;
    if (!/^\d+\.\d+\.\d+$/.test(p.obj?.version ?? "")) report(`chart ${p.obj?.chart} version "${p.obj?.version}" is not an exact x.y.z`);
    const repo = p.obj?.repositoryOpts?.repo;
    if (repo !== undefined && !/^(https|oci):\/\//.test(repo)) report(`chart repository ${repo} is not https or oci`);
  },
};

/** Runs every rule over every object. */
export function checkObjects(objects: PolicyObject[]): Violation[] {
  const out: Violation[] = [];
  for (const p of objects) {
    for (const [policy, rule] of Object.entries(RULES)) {
      rule(p, (message) => out.push({ policy, resource: `${p.type} ${p.name}`, message }));
    }
  }
  return out;
}

/**
 * Kubernetes label-selector semantics: matchLabels and every matchExpressions requirement must hold
 * (an empty selector selects everything). An operator this code does not know selects nothing.
 */
function selects(selector: any, labels: Record<string, string>): boolean { // eslint-disable-line @typescript-eslint/no-explicit-any
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((e: { key: string; operator: string; values?: string[] }) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === "In") return has && (e.values ?? []).includes(labels[e.key]);
    if (e.operator === "NotIn") return !has || !(e.values ?? []).includes(labels[e.key]);
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    return false;
  });
}

const isEmptySelector = (s: any) => !!s && Object.keys(s.matchLabels ?? {}).length === 0 && !(s.matchExpressions ?? []).length; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A NetworkPolicy that selects every pod of its namespace. `podSelector` left out counts as `{}`:
 * networking/v1 says "This field is optional. If it is not specified, it defaults to an empty
 * selector" (the NetworkPolicySpec docs of the pinned @pulumi/kubernetes types).
 */
const allPods = (spec: any) => isEmptySelector(spec.podSelector ?? {}); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Does this NetworkPolicy apply to pods with these labels (pods of its namespace)? */
const appliesTo = (np: any, labels: Record<string, string>) => selects(np.spec?.podSelector ?? {}, labels); // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Why a NetworkPolicy peer admits more than named callers, or undefined: an empty namespaceSelector
 * (every namespace), an empty podSelector on its own (every pod of the policy's namespace), an ipBlock
 * (addresses, which pods can be behind too).
 */
function openPeer(peer: any): string | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (peer.ipBlock) return `an ipBlock (${peer.ipBlock.cidr})`;
  if (peer.namespaceSelector && isEmptySelector(peer.namespaceSelector)) return "an empty namespaceSelector (every namespace)";
  if (!peer.namespaceSelector && isEmptySelector(peer.podSelector)) return "an empty podSelector (every pod of the namespace)";
  return undefined;
}

/**
 * Policies that apply to the pods of our own Deployments (the apps) name every peer: no empty
 * selector, no ipBlock, no rule without peers (which admits or reaches everything).
 */
function appPolicyProblems(objects: PolicyObject[]): Violation[] {
  const out: Violation[] = [];
  const deployments = objects.filter((p) => p.obj?.kind === "Deployment");
  for (const np of objects.filter((p) => p.obj?.kind === "NetworkPolicy")) {
    const ns = np.obj.metadata?.namespace;
    const apps = deployments.filter((d) => d.obj.metadata?.namespace === ns && appliesTo(np.obj, d.obj.spec?.template?.metadata?.labels ?? {}));
    if (apps.length === 0) continue;
    const who = apps.map((d) => d.obj.metadata?.name).join(", ");
    const report = (message: string) => out.push({ policy: "app-network-policy", resource: `${np.type} ${np.name}`, message: `applies to ${who}: ${message}` });
    for (const [dir, peers] of [["ingress", "from"], ["egress", "to"]] as const) {
      (np.obj.spec?.[dir] ?? []).forEach((rule: any, i: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        if (!rule[peers]?.length) {
          report(`${dir}[${i}] has no ${peers}, so it ${dir === "ingress" ? "admits every source" : "reaches every destination"} (allowed: named namespaces or pods)`);
          return;
        }
        for (const peer of rule[peers]) {
          const open = openPeer(peer);
          if (open) report(`${dir}[${i}].${peers} has ${open} (allowed: named namespaces or pods)`);
        }
      });
    }
  }
  return out;
}

/**
 * Rules over the whole stack: every namespace we create is default-deny (ingress and egress) yet
 * lets its pods resolve names (UDP 53 egress for all pods), multi-replica workloads have a PDB, and
 * the NetworkPolicies over our apps admit and reach only named peers.
 */
export function checkStack(objects: PolicyObject[]): Violation[] {
  const out: Violation[] = [];
  const of = (kind: string) => objects.filter((p) => p.obj?.kind === kind);
  for (const ns of of("Namespace")) {
    const name = ns.obj.metadata?.name;
    const policies = of("NetworkPolicy").filter((np) => np.obj.metadata?.namespace === name).map((np) => np.obj.spec ?? {});
    const denies = policies.some((s) => {
      const types: string[] = s.policyTypes ?? [];
      return allPods(s) && types.includes("Ingress") && types.includes("Egress") && !(s.ingress ?? []).length && !(s.egress ?? []).length;
    });
    if (!denies) out.push({ policy: "default-deny", resource: `${ns.type} ${ns.name}`, message: `namespace ${name} has no default-deny NetworkPolicy (ingress and egress)` });
    else {
      const dns = policies.some((s) => allPods(s) && (s.policyTypes ?? []).includes("Egress") &&
        (s.egress ?? []).some((r: any) => (r.ports ?? []).some((p: any) => p.port === 53 && (p.protocol ?? "TCP") === "UDP"))); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!dns) out.push({ policy: "default-deny", resource: `${ns.type} ${ns.name}`, message: `namespace ${name} is default-deny but no policy lets all its pods reach DNS (UDP 53): every name lookup would time out` });
    }
    const pss = ns.obj.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
    if (!pss) out.push({ policy: "pod-security-admission", resource: `${ns.type} ${ns.name}`, message: `namespace ${name} enforces no Pod Security Standard` });
  }
  const hpas = of("HorizontalPodAutoscaler");
  for (const d of of("Deployment")) {
    const name = d.obj.metadata?.name;
    const scaled = hpas.some((h) => h.obj.spec?.scaleTargetRef?.name === name && h.obj.metadata?.namespace === d.obj.metadata?.namespace);
    if ((d.obj.spec?.replicas ?? 1) > 1 || scaled) {
      const labels = d.obj.spec?.template?.metadata?.labels ?? {};
      // policy/v1: "A null selector will match no pods, while an empty ({}) selector will select all
      // pods within the namespace" (the PodDisruptionBudgetSpec docs of the pinned types).
      const pdb = of("PodDisruptionBudget").some((p) =>
        p.obj.metadata?.namespace === d.obj.metadata?.namespace && p.obj.spec?.selector != null && selects(p.obj.spec.selector, labels));
      if (!pdb) out.push({ policy: "pdb", resource: `${d.type} ${d.name}`, message: `${name} runs several replicas but no PodDisruptionBudget covers it` });
    }
  }
  out.push(...appPolicyProblems(objects));
  return out;
}
