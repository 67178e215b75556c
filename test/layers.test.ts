/**
 * The validation and policy layers must catch what they claim to, or every "no violations"
 * assertion elsewhere is worthless. Each case here is a broken object that must be reported.
 */
import { expect } from "chai";
import { checkObjects, checkStack, type PolicyObject } from "../policy/rules";
import { fieldProblems, modelModule, validateObject } from "./harness/manifests";

const goodDeployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "statefleet-apps" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{
          name: "web",
          image: "registry.example/web:1.2.3",
          securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
          readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
          livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
          env: [{ name: "PORT", value: "8080" }],
        }],
      },
    },
  },
});
type Obj = ReturnType<typeof goodDeployment>;
const container = (d: Obj) => d.spec.template.spec.containers[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const asPolicy = (obj: unknown, secretFields: string[] = []): PolicyObject => ({ type: "kubernetes:apps/v1:Deployment", name: "web", obj, secretFields: new Set(secretFields) });
const policiesHit = (obj: unknown, secretFields: string[] = []) => checkObjects([asPolicy(obj, secretFields)]).map((v) => v.policy);

describe("manifest validation layer", () => {
  it("accepts a valid Deployment", async () => {
    expect(await validateObject(goodDeployment())).to.equal(undefined);
    expect(fieldProblems(goodDeployment())).to.deep.equal([]);
  });
  it("rejects a wrong type (replicas as a string)", async () => {
    const d = goodDeployment() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    d.spec.replicas = "2";
    expect(await validateObject(d)).to.match(/replicas must be integer/);
  });
  it("rejects a missing required field (container name)", async () => {
    const d = goodDeployment();
    delete container(d).name;
    expect(await validateObject(d)).to.match(/containers\/0 must have required property .?name/);
  });
  it("rejects an unknown field where a typo would drop a security setting", () => {
    const d = goodDeployment();
    container(d).securityContext.readOnlyRootFileSystem = true;
    container(d).resource = {};
    expect(fieldProblems(d)).to.include.members([
      "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field",
      "spec.template.spec.containers[0].resource: unknown field",
    ]);
  });
  it("rejects a selector that does not match its pod template", () => {
    const d = goodDeployment();
    d.spec.selector.matchLabels.app = "other";
    expect(fieldProblems(d)).to.include("spec.selector.matchLabels does not match spec.template.metadata.labels");
  });
  it("validates Istio and prometheus-operator objects with their own schemas", async () => {
    expect(modelModule("networking.istio.io/v1", "VirtualService")).to.equal("@kubernetes-models/istio/networking.istio.io/v1/VirtualService");
    expect(await validateObject({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "v" }, spec: { hosts: "a" } })).to.match(/hosts must be array/);
    expect(await validateObject({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "s" }, spec: { selector: {}, endpoints: [{ interval: "often" }] } })).to.match(/interval must match pattern/);
  });
  it("refuses a kind it has no schema for instead of passing it", async () => {
    const err = await validateObject({ apiVersion: "example.com/v1", kind: "Widget" }).catch((e: Error) => e.message);
    expect(err).to.match(/no schema known for example.com\/v1 Widget/);
  });
});

describe("policy layer", () => {
  it("passes a compliant Deployment", () => expect(policiesHit(goodDeployment())).to.deep.equal([]));
  const cases: [string, (d: Obj) => void, string][] = [
    ["root user", (d) => { container(d).securityContext.runAsNonRoot = false; }, "non-root"],
    ["writable root FS", (d) => { container(d).securityContext.readOnlyRootFilesystem = false; }, "read-only-root-filesystem"],
    ["privilege escalation", (d) => { delete container(d).securityContext.allowPrivilegeEscalation; }, "no-privilege"],
    ["added capabilities", (d) => { container(d).securityContext.capabilities.add = ["NET_ADMIN"]; }, "no-privilege"],
    ["hostPath volume", (d) => { (d.spec.template.spec as any).volumes = [{ name: "h", hostPath: { path: "/" } }]; }, "no-privilege"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["no memory limit", (d) => { delete container(d).resources.limits.memory; }, "resources"],
    ["no readiness probe", (d) => { delete container(d).readinessProbe; }, "probes"],
    [":latest image", (d) => { container(d).image = "web:latest"; }, "pinned-images"],
    ["untagged image", (d) => { container(d).image = "web"; }, "pinned-images"],
    ["literal password env", (d) => { container(d).env.push({ name: "REDIS_PASSWORD", value: "hunter2" }); }, "no-plaintext-secrets"],
    ["credentials in a URL", (d) => { container(d).env.push({ name: "MONGO_URL", value: "mongodb://app:pw@mongo:27017" }); }, "no-plaintext-secrets"],
    ["a password without a user name in a URL (Redis' usual form)", (d) => { container(d).env.push({ name: "REDIS_URL", value: "redis://:hunter2@redis:6379" }); }, "no-plaintext-secrets"],
    ["no namespace", (d) => { delete (d.metadata as any).namespace; }, "namespaced"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["runAsUser 0", (d) => { container(d).securityContext.runAsUser = 0; }, "non-root"],
    ["the host's network", (d) => { (d.spec.template.spec as any).hostNetwork = true; }, "no-privilege"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["the host's PID namespace", (d) => { (d.spec.template.spec as any).hostPID = true; }, "no-privilege"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["the host's IPC namespace", (d) => { (d.spec.template.spec as any).hostIPC = true; }, "no-privilege"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["a privileged container", (d) => { container(d).securityContext.privileged = true; }, "no-privilege"],
    ["capabilities not dropped", (d) => { container(d).securityContext.capabilities.drop = ["NET_RAW"]; }, "no-privilege"],
    ["no seccomp profile", (d) => { delete (d.spec.template.spec.securityContext as any).seccompProfile; }, "no-privilege"], // eslint-disable-line @typescript-eslint/no-explicit-any
    ["an Unconfined seccomp profile", (d) => { container(d).securityContext.seccompProfile = { type: "Unconfined" }; }, "no-privilege"],
    ["no CPU request", (d) => { delete container(d).resources.requests.cpu; }, "resources"],
    ["no liveness probe", (d) => { delete container(d).livenessProbe; }, "probes"],
    ["imagePullPolicy Never", (d) => { container(d).imagePullPolicy = "Never"; }, "pinned-images"],
    ["a tag with a space", (d) => { container(d).image = "web: 1.2"; }, "pinned-images"],
    ["a literal token env", (d) => { container(d).env.push({ name: "API_TOKEN", value: "t0ken" }); }, "no-plaintext-secrets"],
    ["an init container running as root", (d) => { (d.spec.template.spec as any).initContainers = [{ ...container(goodDeployment()), name: "init", securityContext: { ...container(goodDeployment()).securityContext, runAsNonRoot: false } }]; }, "non-root"], // eslint-disable-line @typescript-eslint/no-explicit-any
  ];
  for (const [what, breakIt, policy] of cases) {
    it(`reports ${what} as ${policy}`, () => {
      const d = goodDeployment();
      breakIt(d);
      expect(policiesHit(d)).to.include(policy);
    });
  }
  it("accepts what the rules allow: pod-level settings, a digest, Localhost seccomp, secretKeyRef, probe-less Jobs and init containers", () => {
    const d = goodDeployment();
    const sc = container(d).securityContext;
    delete sc.runAsNonRoot;
    container(d).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "p.json" };
    container(d).image = `registry.example/web@sha256:${"a".repeat(64)}`;
    container(d).env.push({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "r", key: "password" } } });
    (d.spec.template.spec as any).initContainers = [{ ...container(goodDeployment()), name: "init", readinessProbe: undefined, livenessProbe: undefined }]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(policiesHit(d)).to.deep.equal([]);
    const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j", namespace: "n" }, spec: { template: { spec: { ...goodDeployment().spec.template.spec } } } };
    for (const c of job.spec.template.spec.containers as Record<string, unknown>[]) { delete c.readinessProbe; delete c.livenessProbe; }
    expect(policiesHit(job)).to.deep.equal([]);
    const pv = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv" }, spec: {} };
    expect(policiesHit(pv), "cluster-scoped kinds need no namespace").to.deep.equal([]);
  });
  it("names the container and what is wrong in each finding", () => {
    const d = goodDeployment();
    container(d).securityContext.runAsUser = 0;
    container(d).image = "web:latest";
    const v = checkObjects([asPolicy(d)]).map((x) => `${x.policy} ${x.resource}: ${x.message}`);
    expect(v).to.have.members([
      "non-root kubernetes:apps/v1:Deployment web: container web: runAsUser is 0 (root)",
      "pinned-images kubernetes:apps/v1:Deployment web: container web: image web:latest is not pinned to a tag or digest (and never :latest)",
    ]);
  });
  it("reports everything wrong with a pod at once, each finding naming the container or volume and what is wrong", () => {
    const bad = {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "n" },
      spec: { template: { spec: {
        hostNetwork: true,
        volumes: [{ name: "h", hostPath: { path: "/" } }],
        containers: [{
          name: "bad", image: "bad:latest", imagePullPolicy: "Never",
          securityContext: { runAsNonRoot: false, runAsUser: 0, readOnlyRootFilesystem: false, privileged: true, allowPrivilegeEscalation: true, capabilities: { drop: [], add: ["NET_ADMIN", "SYS_TIME"] }, seccompProfile: { type: "Unconfined" } },
          resources: { requests: { cpu: "10m" } },
          env: [{ name: "DB_PASSWORD", value: "x" }, { name: "CACHE", value: "redis://:pw@cache:6379" }],
        }],
      } } },
    };
    expect(checkObjects([asPolicy(bad)]).map((v) => `${v.policy}: ${v.message}`)).to.have.members([
      "non-root: container bad: runAsNonRoot is not true",
      "non-root: container bad: runAsUser is 0 (root)",
      "read-only-root-filesystem: container bad: readOnlyRootFilesystem is not true",
      "no-privilege: uses the host's network, PID or IPC namespace",
      "no-privilege: volume h: hostPath volumes are not allowed in pods (use a PersistentVolume)",
      "no-privilege: container bad: privileged",
      "no-privilege: container bad: allowPrivilegeEscalation is not false",
      "no-privilege: container bad: capabilities.drop does not include ALL",
      "no-privilege: container bad: adds capabilities NET_ADMIN, SYS_TIME",
      "no-privilege: container bad: no RuntimeDefault seccomp profile",
      "resources: container bad: no memory request",
      "resources: container bad: no cpu limit",
      "resources: container bad: no memory limit",
      "probes: container bad: no readinessProbe",
      "probes: container bad: no livenessProbe",
      "pinned-images: container bad: image bad:latest is not pinned to a tag or digest (and never :latest)",
      "pinned-images: container bad: imagePullPolicy Never",
      "no-plaintext-secrets: container bad: env DB_PASSWORD is a literal value; use valueFrom.secretKeyRef",
      "no-plaintext-secrets: container bad: env CACHE carries credentials in a URL",
    ]);
  });
  it("polices the pod of every workload kind, where that kind keeps it", () => {
    const pod = () => { const spec = goodDeployment().spec.template.spec; container({ spec: { template: { spec } } } as unknown as Obj).securityContext.runAsNonRoot = false; return spec; };
    const kinds: [string, Record<string, unknown>][] = [
      ["Pod", { spec: pod() }],
      ["Deployment", { spec: { template: { spec: pod() } } }],
      ["StatefulSet", { spec: { template: { spec: pod() } } }],
      ["DaemonSet", { spec: { template: { spec: pod() } } }],
      ["ReplicaSet", { spec: { template: { spec: pod() } } }],
      ["Job", { spec: { template: { spec: pod() } } }],
      ["CronJob", { spec: { jobTemplate: { spec: { template: { spec: pod() } } } } }],
    ];
    for (const [kind, body] of kinds) expect(policiesHit({ kind, metadata: { name: "w", namespace: "n" }, ...body }), kind).to.deep.equal(["non-root"]);
  });
  it("tells pinned images from floating ones", () => {
    const digest = `@sha256:${"0123456789abcdef".repeat(4)}`;
    const pinned = ["registry.example/web:1.2.3", `registry.example/web:1.2.3${digest}`, `registry.example/web${digest}`, "localhost:5111/statefleet-app:0123abcd", `web:${"a".repeat(128)}`, "web:_x", `web:latest${digest}`];
    const floating = ["web", "web:latest", "localhost:5111/web", "web:-x", `web:${"a".repeat(129)}`, "web:1.2 ", " web:1.2", "web :1.2", `x y${digest}`];
    const hit = (image: string) => { const d = goodDeployment(); container(d).image = image; return policiesHit(d).includes("pinned-images"); };
    for (const image of pinned) expect(hit(image), image).to.equal(false);
    for (const image of floating) expect(hit(image), image).to.equal(true);
  });
  it("takes a tag that merely starts with latest as pinned (web:latest-2026), only the bare :latest floats", () => {
    const hit = (image: string) => { const d = goodDeployment(); container(d).image = image; return policiesHit(d).includes("pinned-images"); };
    for (const image of ["web:latest-2026", "web:latest.1", "web:latest_x", "registry.example/web:latestv2"]) expect(hit(image), image).to.equal(false);
    for (const image of ["web:latest", "registry.example/web:latest"]) expect(hit(image), image).to.equal(true);
  });
  it("finds credentials in URLs whose scheme ends in a digit or a symbol (s3://, h2://, x-://)", () => {
    const hits = (value: string) => { const d = goodDeployment(); container(d).env.push({ name: "TARGET", value }); return checkObjects([asPolicy(d)]).map((v) => v.message); };
    for (const url of ["s3://AKIAKEY:s3cret@bucket.example", "h2://sa:pw@db:9092", "x-://u:p@h"]) expect(hits(url), url).to.deep.equal(["container web: env TARGET carries credentials in a URL"]);
  });
  it("knows secret-looking env names and credentials in URLs", () => {
    const hit = (name: string, value: string) => { const d = goodDeployment(); container(d).env.push({ name, value }); return policiesHit(d).includes("no-plaintext-secrets"); };
    for (const name of ["DB_PASSWORD", "db_passwd", "CLIENT_SECRET", "GITHUB_TOKEN", "API_KEY", "APIKEY", "AWS_CREDENTIALS", "PRIVATE_KEY", "PRIVATEKEY"]) expect(hit(name, "x"), name).to.equal(true);
    for (const name of ["PORT", "LOG_LEVEL", "STATE_DIR"]) expect(hit(name, "x"), name).to.equal(false);
    for (const url of ["mongodb+srv://app:pw@cluster0.example", "postgres.x-y://u:p@db", "redis://:pw@redis:6379", "amqp://guest:guest@mq"]) expect(hit("TARGET", url), url).to.equal(true);
    for (const url of ["http://host:8080/path@x", "redis://redis:6379", "mailto:someone@example.org", "http://user@host/"]) expect(hit("TARGET", url), url).to.equal(false);
  });
  it("asks no namespace of cluster-scoped kinds, and one of every namespaced kind", () => {
    for (const kind of ["Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "IngressClass"])
      expect(policiesHit({ kind, metadata: { name: "x" } }), kind).to.deep.equal([]);
    for (const kind of ["Service", "ConfigMap", "Role", "PersistentVolumeClaim"]) expect(policiesHit({ kind, metadata: { name: "x" } }), kind).to.deep.equal(["namespaced"]);
  });
  it("reports, never crashes on, a workload whose pod spec is missing at any level", () => {
    const shapes: [string, Record<string, unknown>][] = [
      ["Pod", {}], ["Deployment", { spec: {} }], ["StatefulSet", {}], ["StatefulSet", { spec: {} }], ["DaemonSet", {}], ["DaemonSet", { spec: {} }],
      ["ReplicaSet", {}], ["ReplicaSet", { spec: {} }], ["Job", {}], ["Job", { spec: {} }], ["Deployment", {}],
      ["CronJob", {}], ["CronJob", { spec: {} }], ["CronJob", { spec: { jobTemplate: {} } }], ["CronJob", { spec: { jobTemplate: { spec: {} } } }],
    ];
    for (const [kind, body] of shapes) {
      const v = checkObjects([asPolicy({ kind, metadata: { name: "w", namespace: "n" }, ...body })]);
      expect(v.map((x) => x.message), `${kind} ${JSON.stringify(body)}`).to.include("workload without a pod spec");
    }
  });
  it("takes pod-level settings when a container sets none, and polices a pod without containers quietly", () => {
    const d = goodDeployment();
    const podSc = d.spec.template.spec.securityContext as Record<string, unknown>;
    podSc.runAsUser = 0;
    delete container(d).securityContext;
    expect(checkObjects([asPolicy(d)]).filter((v) => v.policy === "non-root").map((v) => v.message)).to.deep.equal(["container web: runAsUser is 0 (root)"]);
    const empty = goodDeployment();
    delete (empty.spec.template.spec as Record<string, unknown>).containers;
    expect(policiesHit(empty)).to.deep.equal([]);
  });
  it("polices a bare Pod that sets no securityContext and no resources at all (the API's defaults: root, unconfined, unbounded)", () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "bare", namespace: "n" }, spec: { containers: [{ name: "app", image: "web:1.2.3", readinessProbe: {}, livenessProbe: {} }] } };
    expect(checkObjects([asPolicy(pod)]).map((v) => `${v.policy}: ${v.message}`)).to.have.members([
      "non-root: container app: runAsNonRoot is not true",
      "read-only-root-filesystem: container app: readOnlyRootFilesystem is not true",
      "no-privilege: container app: allowPrivilegeEscalation is not false",
      "no-privilege: container app: capabilities.drop does not include ALL",
      "no-privilege: container app: no RuntimeDefault seccomp profile",
      "resources: container app: no cpu request",
      "resources: container app: no memory request",
      "resources: container app: no cpu limit",
      "resources: container app: no memory limit",
    ]);
  });
  it("takes runAsNonRoot, runAsUser and seccomp from a Pod's spec-level securityContext when its container sets none", () => {
    const pod = (podSc: Record<string, unknown>) => ({
      kind: "Pod", metadata: { name: "p", namespace: "n" },
      spec: { securityContext: podSc, containers: [{ ...container(goodDeployment()), securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } }] },
    });
    expect(policiesHit(pod({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } }))).to.deep.equal([]);
    expect(checkObjects([asPolicy(pod({ runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } }))]).map((v) => v.message)).to.deep.equal(["container web: runAsNonRoot is not true"]);
    expect(checkObjects([asPolicy(pod({ runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } }))]).map((v) => v.message)).to.deep.equal(["container web: runAsUser is 0 (root)"]);
    expect(checkObjects([asPolicy(pod({ runAsNonRoot: true }))]).map((v) => v.message)).to.deep.equal(["container web: no RuntimeDefault seccomp profile"]);
  });
  it("accepts volumes that are not hostPath, CronJobs without probes, and an image not known yet (preview)", () => {
    const d = goodDeployment();
    (d.spec.template.spec as Record<string, unknown>).volumes = [{ name: "tmp", emptyDir: {} }];
    container(d).image = undefined;
    expect(policiesHit(d)).to.deep.equal([]);
    const pod = goodDeployment().spec.template.spec;
    for (const c of pod.containers as Record<string, unknown>[]) { delete c.readinessProbe; delete c.livenessProbe; }
    expect(policiesHit({ kind: "CronJob", metadata: { name: "c", namespace: "n" }, spec: { jobTemplate: { spec: { template: { spec: pod } } } } })).to.deep.equal([]);
  });
  it("words the Service, namespace and Secret findings so the operator knows what to change", () => {
    const msgs = (obj: unknown, secretFields: string[] = []) => checkObjects([asPolicy(obj, secretFields)]).map((v) => `${v.policy}: ${v.message}`);
    expect(msgs({ kind: "Service", metadata: { name: "s", namespace: "n" }, spec: { type: "LoadBalancer" } })).to.deep.equal(["no-own-load-balancers: our own Services stay internal; entry points are ingress-nginx and the Istio gateway"]);
    expect(msgs({ kind: "Service", metadata: { name: "s", namespace: "n" }, spec: { type: "NodePort" } })).to.deep.equal(["no-own-load-balancers: NodePort Services bypass the entry points"]);
    expect(msgs({ kind: "Service", metadata: { name: "s" } })).to.deep.equal(["namespaced: Service has no metadata.namespace (it would land in whatever namespace the kubeconfig defaults to)"]);
    expect(msgs({ kind: "Secret", metadata: { name: "s", namespace: "n" }, data: { password: "eA==" } })).to.deep.equal(["no-plaintext-secrets: Secret data is not a Pulumi secret: it would show in plain text in previews and state"]);
    expect(msgs({ kind: "Secret", metadata: { name: "s", namespace: "n" }, data: { password: "eA==" }, stringData: { url: "redis://:pw@r" } }, ["data", "stringData"]), "a Secret's keys are not ConfigMap keys").to.deep.equal([]);
    expect(msgs({ kind: "ConfigMap", metadata: { name: "c", namespace: "n" }, data: { API_TOKEN: "x", url: "redis://:pw@r" } })).to.have.members([
      "no-plaintext-secrets: ConfigMap key API_TOKEN looks like a secret; use a Secret",
      "no-plaintext-secrets: ConfigMap key url carries credentials in a URL",
    ]);
  });
  it("takes chart versions x.y.z of any width, and only https or oci repositories", () => {
    const hits = (version: unknown, repo?: string) => checkObjects([{ type: "kubernetes:helm.sh/v3:Release", name: "r", obj: { chart: "c", version, ...(repo === undefined ? {} : { repositoryOpts: { repo } }) }, secretFields: new Set() }]).map((v) => v.message);
    expect(hits("10.200.3000")).to.deep.equal([]);
    expect(hits("1.2.3", "https://charts.example")).to.deep.equal([]);
    for (const v of ["v1.2.3", "1.2.3-rc.1", "1.2", "x1.2.3"]) expect(hits(v), v).to.deep.equal([`chart c version "${v}" is not an exact x.y.z`]);
    expect(hits(undefined)).to.deep.equal(['chart c version "undefined" is not an exact x.y.z']);
    for (const repo of ["ftp://charts.example", "xhttps://charts.example", "charts.example"]) expect(hits("1.2.3", repo), repo).to.deep.equal([`chart repository ${repo} is not https or oci`]);
    expect(checkObjects([{ type: "kubernetes:core/v1:ConfigMap", name: "c", obj: { kind: "ConfigMap", metadata: { name: "c", namespace: "n" }, version: "^1" }, secretFields: new Set() }])).to.deep.equal([]);
  });
  it("reports a workload without a pod spec", () => {
    expect(checkObjects([asPolicy({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "n" }, spec: {} })]).map((v) => v.message)).to.include("workload without a pod spec");
  });
  it("reports our own LoadBalancer and NodePort Services, not ClusterIP ones", () => {
    const svc = (type?: string) => ({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "n" }, spec: { type, ports: [{ port: 80 }] } });
    expect(policiesHit(svc("LoadBalancer"))).to.deep.equal(["no-own-load-balancers"]);
    expect(policiesHit(svc("NodePort"))).to.deep.equal(["no-own-load-balancers"]);
    expect(policiesHit(svc("ClusterIP"))).to.deep.equal([]);
    expect(policiesHit(svc())).to.deep.equal([]);
  });
  it("judges spec.type only on Services: a custom resource with its own spec.type LoadBalancer or NodePort is not one", () => {
    for (const type of ["LoadBalancer", "NodePort"])
      expect(policiesHit({ apiVersion: "example.com/v1", kind: "Tunnel", metadata: { name: "t", namespace: "n" }, spec: { type } }), type).to.deep.equal([]);
  });
  it("reports secret-looking ConfigMap keys and credentials in ConfigMap URLs", () => {
    const cm = (data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "n" }, data });
    expect(policiesHit(cm({ DB_PASSWORD: "x" }))).to.deep.equal(["no-plaintext-secrets"]);
    expect(policiesHit(cm({ url: "redis://:pw@redis:6379" }))).to.deep.equal(["no-plaintext-secrets"]);
    expect(policiesHit(cm({ url: "redis://redis:6379", mode: "fast" }))).to.deep.equal([]);
  });
  it("reports a Secret whose data is not a Pulumi secret, and accepts one that is", () => {
    const s = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "n" }, stringData: { password: "x" } };
    expect(policiesHit(s)).to.include("no-plaintext-secrets");
    expect(policiesHit(s, ["stringData"])).not.to.include("no-plaintext-secrets");
  });
  it("accepts a URL without credentials, or with a user name only", () => {
    for (const value of ["redis://redis:6379", "mongodb://app@mongo:27017/db", "http://pingpong.statefleet-apps.svc.cluster.local"]) {
      const d = goodDeployment();
      container(d).env.push({ name: "SOME_URL", value });
      expect(policiesHit(d), value).not.to.include("no-plaintext-secrets");
    }
  });
  it("reports exactly the Helm charts that are not pinned or not from https/oci, by name", () => {
    const release = (name: string, version: string, repo: string): PolicyObject =>
      ({ type: "kubernetes:helm.sh/v3:Release", name, obj: { chart: name, version, repositoryOpts: { repo } }, secretFields: new Set() });
    const v = checkObjects([
      release("pinned", "4.13.2", "https://charts.example"),
      release("floating", "^1.0", "https://charts.example"),
      release("plain-http", "1.0.0", "http://charts.example"),
      release("from-oci", "0.9.1", "oci://registry.example/charts"),
      release("latest-ish", "1.0", "https://charts.example"),
    ]).filter((x) => x.policy === "pinned-charts");
    expect(v.map((x) => `${x.resource}: ${x.message}`)).to.have.members([
      'kubernetes:helm.sh/v3:Release floating: chart floating version "^1.0" is not an exact x.y.z',
      "kubernetes:helm.sh/v3:Release plain-http: chart repository http://charts.example is not https or oci",
      'kubernetes:helm.sh/v3:Release latest-ish: chart latest-ish version "1.0" is not an exact x.y.z',
    ]);
  });
  it("reports a namespace without default-deny or Pod Security, and a multi-replica Deployment without a PDB", () => {
    const ns: PolicyObject = { type: "kubernetes:core/v1:Namespace", name: "n", obj: { apiVersion: "v1", kind: "Namespace", metadata: { name: "statefleet-apps" } }, secretFields: new Set() };
    const d = goodDeployment();
    d.spec.replicas = 2;
    const v = checkStack([ns, asPolicy(d)]).map((x) => x.policy);
    expect(v).to.include.members(["pod-security-admission", "pdb"]);
  });
});

describe("stack rules: default-deny namespaces and PDBs", () => {
  const obj = (kind: string, name: string, body: Record<string, unknown>, namespace?: string): PolicyObject =>
    ({ type: `kubernetes:${kind}`, name, obj: { kind, ...body, metadata: { name, ...(namespace ? { namespace } : {}), ...((body.metadata as object) ?? {}) } }, secretFields: new Set() });
  const nsObj = () => obj("Namespace", "apps", { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
  const deny = (spec: Record<string, unknown> = {}, namespace = "apps") => obj("NetworkPolicy", "deny", { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec } }, namespace);
  const dns = (protocol = "UDP", namespace = "apps") => obj("NetworkPolicy", "dns", { spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol }] }] } }, namespace);
  const messages = (objs: PolicyObject[]) => checkStack(objs).map((v) => `${v.policy}: ${v.message}`);

  it("passes a namespace with Pod Security, default-deny both ways and DNS for all pods", () => {
    expect(messages([nsObj(), deny(), dns()])).to.deep.equal([]);
    const both = obj("NetworkPolicy", "dns", { spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol: "TCP" }, { port: 53, protocol: "UDP" }] }] } }, "apps");
    expect(messages([nsObj(), deny(), both]), "UDP beside TCP").to.deep.equal([]);
  });
  it("reads a deny or DNS policy without podSelector as the API does: every pod of its namespace", () => {
    // networking/v1: podSelector is optional and defaults to the empty selector (every pod).
    const bareDeny = obj("NetworkPolicy", "deny", { spec: { policyTypes: ["Ingress", "Egress"] } }, "apps");
    const bareDns = obj("NetworkPolicy", "dns", { spec: { policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] } }, "apps");
    expect(messages([nsObj(), bareDeny, bareDns])).to.deep.equal([]);
  });
  it("wants DNS for every pod, on port 53", () => {
    const noDns = ["default-deny: namespace apps is default-deny but no policy lets all its pods reach DNS (UDP 53): every name lookup would time out"];
    const some = obj("NetworkPolicy", "dns", { spec: { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Egress"], egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] } }, "apps");
    const otherPort = obj("NetworkPolicy", "dns", { spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 5353, protocol: "UDP" }] }] } }, "apps");
    const ingressOnly = obj("NetworkPolicy", "dns", { spec: { podSelector: {}, policyTypes: ["Ingress"], egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] } }, "apps");
    expect(messages([nsObj(), deny(), some]), "some pods only").to.deep.equal(noDns);
    expect(messages([nsObj(), deny(), otherPort]), "another port").to.deep.equal(noDns);
    expect(messages([nsObj(), deny(), ingressOnly]), "not an Egress policy").to.deep.equal(noDns);
  });
  const cases: [string, PolicyObject[], string][] = [
    ["no policy at all", [nsObj()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["a deny of ingress only", [nsObj(), deny({ policyTypes: ["Ingress"] }), dns()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["a deny of some pods only", [nsObj(), deny({ podSelector: { matchLabels: { app: "x" } } }), dns()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["a 'deny' that admits something", [nsObj(), deny({ ingress: [{}] }), dns()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["a deny in another namespace", [nsObj(), deny({}, "other"), dns()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["a deny of the pods with a label only (matchExpressions)", [nsObj(), deny({ podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] } }), dns()], "default-deny: namespace apps has no default-deny NetworkPolicy (ingress and egress)"],
    ["DNS over TCP only", [nsObj(), deny(), dns("TCP")], "default-deny: namespace apps is default-deny but no policy lets all its pods reach DNS (UDP 53): every name lookup would time out"],
    ["no DNS policy", [nsObj(), deny()], "default-deny: namespace apps is default-deny but no policy lets all its pods reach DNS (UDP 53): every name lookup would time out"],
    ["no Pod Security label", [obj("Namespace", "apps", {}), deny(), dns()], "pod-security-admission: namespace apps enforces no Pod Security Standard"],
  ];
  for (const [what, objs, says] of cases) it(`reports ${what}`, () => expect(messages(objs)).to.deep.equal([says]));

  it("names the namespace or Deployment each stack finding is about, so the operator knows which object to fix", () => {
    const findings = (objs: PolicyObject[]) => checkStack(objs).map((v) => `${v.policy} ${v.resource}`);
    expect(findings([obj("Namespace", "apps", {})])).to.deep.equal(["default-deny kubernetes:Namespace apps", "pod-security-admission kubernetes:Namespace apps"]);
    expect(findings([nsObj(), deny()])).to.deep.equal(["default-deny kubernetes:Namespace apps"]);
    const d = goodDeployment();
    d.spec.replicas = 3;
    expect(findings([nsObj(), deny(), dns(), asPolicy(d)])).to.deep.equal(["pdb kubernetes:apps/v1:Deployment web"]);
  });

  it("wants a PDB for several replicas or an HPA, one that selects the Deployment's pods in its namespace", () => {
    const d = (replicas?: number) => { const g = goodDeployment(); (g.spec as Record<string, unknown>).replicas = replicas; return asPolicy(g); };
    const hpa = obj("HorizontalPodAutoscaler", "web", { spec: { scaleTargetRef: { kind: "Deployment", name: "web" } } }, "statefleet-apps");
    const pdb = (labels: Record<string, string>, namespace = "statefleet-apps") => obj("PodDisruptionBudget", "web", { spec: { selector: { matchLabels: labels } } }, namespace);
    const pdbHits = (objs: PolicyObject[]) => checkStack(objs).filter((v) => v.policy === "pdb").map((v) => v.message);
    const missing = ["web runs several replicas but no PodDisruptionBudget covers it"];
    expect(pdbHits([d(1)]), "one replica").to.deep.equal([]);
    expect(pdbHits([d(undefined)]), "replicas unset = 1").to.deep.equal([]);
    expect(pdbHits([d(2)])).to.deep.equal(missing);
    expect(pdbHits([d(1), hpa]), "scaled by an HPA").to.deep.equal(missing);
    expect(pdbHits([d(1), { ...hpa, obj: { ...hpa.obj, metadata: { name: "web", namespace: "elsewhere" } } }]), "an HPA of another namespace").to.deep.equal([]);
    expect(pdbHits([d(2), pdb({ app: "web" })])).to.deep.equal([]);
    expect(pdbHits([d(2), pdb({ app: "other" })]), "selects other pods").to.deep.equal(missing);
    expect(pdbHits([d(2), pdb({ app: "web" }, "elsewhere")]), "in another namespace").to.deep.equal(missing);
    expect(pdbHits([d(2), pdb({ app: "web", tier: "other" })]), "selects only some of the labels").to.deep.equal(missing);
    expect(pdbHits([d(1), { ...hpa, obj: { ...hpa.obj, spec: { scaleTargetRef: { kind: "Deployment", name: "other" } } } }]), "an HPA of another Deployment").to.deep.equal([]);
  });

  it("reads a PDB's selector as policy/v1 does: none selects no pods, {} every pod, matchExpressions count", () => {
    const d2 = () => { const g = goodDeployment(); g.spec.replicas = 2; return asPolicy(g); }; // pods labelled app: web
    const withSpec = (spec: Record<string, unknown>) => obj("PodDisruptionBudget", "web", { spec: { minAvailable: 1, ...spec } }, "statefleet-apps");
    const pdbHits = (pdb: PolicyObject) => checkStack([d2(), pdb]).filter((v) => v.policy === "pdb").length;
    expect(pdbHits(withSpec({})), "no selector: matches no pods").to.equal(1);
    expect(pdbHits(withSpec({ selector: {} })), "{}: every pod of the namespace").to.equal(0);
    const expr = (key: string, operator: string, values?: string[]) => withSpec({ selector: { matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] } });
    expect(pdbHits(expr("app", "In", ["web", "api"])), "In, listed").to.equal(0);
    expect(pdbHits(expr("app", "In", ["api"])), "In, not listed").to.equal(1);
    expect(pdbHits(expr("tier", "In", ["web"])), "In, label absent").to.equal(1);
    expect(pdbHits(expr("app", "NotIn", ["api"])), "NotIn, other value").to.equal(0);
    expect(pdbHits(expr("app", "NotIn", ["web"])), "NotIn, its value").to.equal(1);
    expect(pdbHits(expr("tier", "NotIn", ["web"])), "NotIn, label absent").to.equal(0);
    expect(pdbHits(expr("app", "Exists")), "Exists").to.equal(0);
    expect(pdbHits(expr("tier", "Exists")), "Exists, label absent").to.equal(1);
    expect(pdbHits(expr("tier", "DoesNotExist")), "DoesNotExist").to.equal(0);
    expect(pdbHits(expr("app", "DoesNotExist")), "DoesNotExist, label present").to.equal(1);
    expect(pdbHits(expr("app", "Matches", ["web"])), "an unknown operator selects nothing").to.equal(1);
    expect(pdbHits(expr("tier", "Matches", ["web"])), "an unknown operator selects nothing, label absent too").to.equal(1);
    expect(pdbHits(withSpec({ selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] } })), "labels and expressions both hold").to.equal(1);
  });
});

describe("app NetworkPolicy layer", () => {
  const np = (spec: Record<string, unknown>, namespace = "statefleet-apps"): PolicyObject =>
    ({ type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "web", obj: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "web", namespace }, spec }, secretFields: new Set() });
  const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
  /** Admits the entry point and Prometheus, and one caller; reaches Redis in the data namespace. */
  type Rule = { from?: Record<string, unknown>[]; to?: Record<string, unknown>[]; ports?: unknown[] };
  const goodSpec = () => ({
    podSelector: { matchLabels: { app: "web" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [ns("ingress-nginx"), ns("monitoring"), { podSelector: { matchLabels: { app: "caller" } } }], ports: [{ protocol: "TCP", port: 8080 }] }] as Rule[],
    egress: [{ to: [ns("statefleet-data")], ports: [{ protocol: "TCP", port: 6379 }] }] as Rule[],
  });
  const appHits = (spec: Record<string, unknown>, namespace?: string) =>
    checkStack([asPolicy(goodDeployment()), np(spec, namespace)]).filter((v) => v.policy === "app-network-policy").map((v) => v.message);

  it("passes a policy that names every peer", () => expect(appHits(goodSpec())).to.deep.equal([]));

  const cases: [string, (s: ReturnType<typeof goodSpec>) => void, RegExp][] = [
    ["an empty podSelector caller (every pod of the namespace)", (s) => { s.ingress[0].from!.push({ podSelector: {} }); }, /ingress\[0\]\.from has an empty podSelector/],
    ["an empty namespaceSelector caller (every namespace)", (s) => { s.ingress[0].from!.push({ namespaceSelector: {} }); }, /ingress\[0\]\.from has an empty namespaceSelector/],
    ["an empty namespaceSelector beside a pod label (those pods in every namespace)", (s) => { s.ingress[0].from!.push({ namespaceSelector: {}, podSelector: { matchLabels: { app: "caller" } } }); }, /empty namespaceSelector/],
    ["an ipBlock caller", (s) => { s.ingress[0].from!.push({ ipBlock: { cidr: "10.0.0.0/8" } }); }, /ingress\[0\]\.from has an ipBlock \(10\.0\.0\.0\/8\)/],
    ["an ipBlock destination", (s) => { s.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }); }, /egress\[1\]\.to has an ipBlock/],
    ["an ingress rule without from (every source)", (s) => { s.ingress.push({ ports: [{ protocol: "TCP", port: 9090 }] }); }, /ingress\[1\] has no from, so it admits every source/],
    ["an egress rule without to (everywhere)", (s) => { s.egress.push({}); }, /egress\[1\] has no to, so it reaches every destination/],
  ];
  for (const [what, breakIt, says] of cases) {
    it(`reports ${what}`, () => {
      const spec = goodSpec();
      breakIt(spec);
      const hits = appHits(spec);
      expect(hits, "exactly one finding").to.have.length(1);
      expect(hits[0]).to.match(/^applies to web: /).and.to.match(says);
    });
  }

  it("reads a policy without podSelector as the API does, every pod of its namespace, and one without spec as no open peer", () => {
    // podSelector is optional in networking/v1 and defaults to {}; a policy without spec isolates ingress and admits nothing.
    expect(appHits({ policyTypes: ["Egress"], egress: [{}] })).to.deep.equal(["applies to web: egress[0] has no to, so it reaches every destination (allowed: named namespaces or pods)"]);
    const bare: PolicyObject = { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: "bare", obj: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "bare", namespace: "statefleet-apps" } }, secretFields: new Set() };
    expect(checkStack([asPolicy(goodDeployment()), bare]).filter((v) => v.policy === "app-network-policy")).to.deep.equal([]);
  });

  it("judges only NetworkPolicies: an Istio Sidecar's ingress and egress are listeners, not peers", () => {
    const sidecar: PolicyObject = {
      type: "kubernetes:networking.istio.io/v1:Sidecar", name: "web",
      obj: { apiVersion: "networking.istio.io/v1", kind: "Sidecar", metadata: { name: "web", namespace: "statefleet-apps" }, spec: { ingress: [{ port: { number: 8080, protocol: "HTTP" }, defaultEndpoint: "127.0.0.1:8080" }], egress: [{ hosts: ["./*", "istio-system/*"] }] } },
      secretFields: new Set(),
    };
    expect(checkStack([asPolicy(goodDeployment()), sidecar]).filter((v) => v.policy === "app-network-policy")).to.deep.equal([]);
  });

  it("names every app a policy applies to", () => {
    const other = goodDeployment();
    other.metadata.name = "api";
    const hits = checkStack([asPolicy(goodDeployment()), asPolicy(other), np({ podSelector: {}, policyTypes: ["Egress"], egress: [{}] })]).filter((v) => v.policy === "app-network-policy");
    expect(hits.map((v) => `${v.resource}: ${v.message}`)).to.deep.equal(["kubernetes:networking.k8s.io/v1:NetworkPolicy web: applies to web, api: egress[0] has no to, so it reaches every destination (allowed: named namespaces or pods)"]);
  });

  it("applies a policy by its whole podSelector: a matchExpressions that excludes the app is not its policy", () => {
    const excluding = { podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, policyTypes: ["Egress"], egress: [{}] };
    expect(appHits(excluding)).to.deep.equal([]);
    const including = { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] }, policyTypes: ["Egress"], egress: [{}] };
    expect(appHits(including)).to.have.length(1);
  });

  it("also polices a namespace-wide policy where our apps run (it applies to them too)", () => {
    expect(appHits({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] })).to.have.length(1);
  });

  it("leaves policies alone that select none of our Deployments' pods (platform namespaces, other apps)", () => {
    const open = { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ namespaceSelector: {} }] }], egress: [{}] };
    expect(appHits(open, "istio-system"), "another namespace").to.deep.equal([]);
    expect(appHits({ ...open, podSelector: { matchLabels: { app: "other" } } }), "other pods").to.deep.equal([]);
  });
});
