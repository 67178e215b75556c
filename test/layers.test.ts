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
    ["no namespace", (d) => { delete (d.metadata as any).namespace; }, "namespaced"], // eslint-disable-line @typescript-eslint/no-explicit-any
  ];
  for (const [what, breakIt, policy] of cases) {
    it(`reports ${what} as ${policy}`, () => {
      const d = goodDeployment();
      breakIt(d);
      expect(policiesHit(d)).to.include(policy);
    });
  }
  it("reports a Secret whose data is not a Pulumi secret, and accepts one that is", () => {
    const s = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "n" }, stringData: { password: "x" } };
    expect(policiesHit(s)).to.include("no-plaintext-secrets");
    expect(policiesHit(s, ["stringData"])).not.to.include("no-plaintext-secrets");
  });
  it("reports unpinned Helm charts", () => {
    const v = checkObjects([{ type: "kubernetes:helm.sh/v3:Release", name: "r", obj: { chart: "x", version: "^1.0", repositoryOpts: { repo: "http://x" } }, secretFields: new Set() }]);
    expect(v.map((x) => x.message)).to.have.length(2);
  });
  it("reports a namespace without default-deny or Pod Security, and a multi-replica Deployment without a PDB", () => {
    const ns: PolicyObject = { type: "kubernetes:core/v1:Namespace", name: "n", obj: { apiVersion: "v1", kind: "Namespace", metadata: { name: "statefleet-apps" } }, secretFields: new Set() };
    const d = goodDeployment();
    d.spec.replicas = 2;
    const v = checkStack([ns, asPolicy(d)]).map((x) => x.policy);
    expect(v).to.include.members(["pod-security-admission", "pdb"]);
  });
});
