/**
 * SharedStorage (RWX claims), Redis, Mongo and the default-deny namespaces: what each stack
 * creates, how the objects bind and wait for each other, and that no password is ever a plain
 * input. Stack tests evaluate index.ts with the real stack files; component tests build one
 * component under the same mocks (for what the stacks do not exercise yet: claims, monitoring).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../config";
import { CLIENT_LABELS, type MonitoringInfo, type RwxClaim } from "../components/contracts";
import { MONGO_EXPORTER_IMAGE, MONGO_IMAGE, Mongo } from "../components/data/mongo";
import { REDIS_EXPORTER_IMAGE, REDIS_IMAGE, Redis } from "../components/data/redis";
import { K3D_SHARED_NODE_PATH } from "../components/cluster/k3d-cluster";
import { NAMESPACES } from "../components/platform/namespaces";
import { AZURE_FILES_CLASS, AZURE_FILES_MOUNT_OPTIONS, SharedStorage } from "../components/platform/shared-storage";
import { checkStack, type PolicyObject } from "../policy/rules";
import { evaluate, evaluateComponent, stackFileConfig, valueOf, type EvaluateOptions } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";
import { validateManifests } from "./harness/manifests";
import { MOCK_SECRET_PREFIX } from "./harness/mocks";
import { policyViolations } from "./harness/policies";
import { isSecret, plainStrings } from "./harness/unwrap";

/* eslint-disable @typescript-eslint/no-explicit-any */

const T = {
  component: { storage: "statefleet:platform:SharedStorage", redis: "statefleet:data:Redis", mongo: "statefleet:data:Mongo", namespaces: "statefleet:platform:Namespaces" },
  sts: "kubernetes:apps/v1:StatefulSet",
  svc: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  cm: "kubernetes:core/v1:ConfigMap",
  np: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  pv: "kubernetes:core/v1:PersistentVolume",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  sc: "kubernetes:storage.k8s.io/v1:StorageClass",
  sm: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  ns: "kubernetes:core/v1:Namespace",
};

/** The objects of the components this file is about (their descendants, and the namespaces). */
function ours(graph: Graph): Res[] {
  const roots = Object.values(T.component).flatMap((t) => graph.ofType(t));
  return roots.flatMap((r) => graph.descendants(r));
}
const lineOf = (r: Res) => `${r.type} ${r.name}`;
/** Findings about our objects only: other engineers' objects are covered by their own tests. */
async function findings(graph: Graph): Promise<string[]> {
  const mine = new Set(ours(graph).map(lineOf));
  const all = [...(await validateManifests(graph)), ...policyViolations(graph)];
  return all.filter((l) => [...mine].some((m) => l.includes(`${m}:`)));
}

const container = (sts: Res, name: string) => sts.inputs.spec.template.spec.containers.find((c: any) => c.name === name);
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const within = (graph: Graph, type: string, ns: string) => graph.ofType(type).filter((r) => r.inputs.metadata?.namespace === ns);

// ── stack-level ──

for (const stack of ["dev", "aks"] as const) {
  const cfg = (key: string) => stackFileConfig(stack)[`statefleet:${key}`] as any;

  describe(`${stack} stack: data services, shared storage and namespaces`, () => {
    let graph: Graph;
    before(async () => { graph = await evaluate(stack); });

    it("runs Redis as one pinned official-image StatefulSet in the data namespace, configured from the stack file", () => {
      const sts = graph.one(T.sts, "redis");
      const redis = cfg("redis");
      expect(sts.inputs.metadata.namespace).to.equal(NAMESPACES.data);
      expect(sts.inputs.spec.replicas).to.equal(1);
      const c = container(sts, "redis");
      expect(c.image).to.equal(REDIS_IMAGE).and.match(/^redis:\d+\.\d+\.\d+-alpine$/);
      expect(c.command).to.deep.equal(["redis-server"]);
      const args: string[] = c.args;
      const flag = (f: string) => args[args.indexOf(f) + 1];
      expect(flag("--maxmemory")).to.equal(redis.maxMemory);
      expect(flag("--maxmemory-policy")).to.equal(redis.maxMemoryPolicy);
      expect(flag("--appendonly")).to.equal(redis.appendOnly ? "yes" : "no");
      // The password comes from a Secret file, not an argument: test/redis-auth.test.ts.
      expect(c.resources).to.deep.equal(redis.resources);
      expect(sts.inputs.spec.volumeClaimTemplates[0].spec).to.deep.include({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: redis.storageSize } } });
      expect(sts.inputs.spec.volumeClaimTemplates[0].spec.storageClassName, "Redis uses the cluster's default class").to.equal(undefined);
      expect(c.volumeMounts).to.deep.include({ name: "data", mountPath: "/data" });
    });

    it("gives Redis its password only through Secrets: a mounted include (test/redis-auth.test.ts), redis-cli via REDISCLI_AUTH", () => {
      const c = container(graph.one(T.sts, "redis"), "redis");
      const env = envOf(c);
      expect(env.REDISCLI_AUTH).to.deep.equal({ secretKeyRef: { name: "redis-auth", key: "password" } });
      expect(c.readinessProbe.exec.command.join(" ")).to.contain("redis-cli").and.not.contain(" -a ");
      expect(c.livenessProbe.tcpSocket.port).to.equal("redis");
      expect(c.securityContext).to.include({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
    });

    it("serves Redis through a headless Service (the StatefulSet's) and a ClusterIP Service, and exports its URL without credentials", async () => {
      const headless = graph.one(T.svc, "redis-headless");
      const svc = graph.one(T.svc, "redis");
      expect(headless.inputs.spec.clusterIP).to.equal("None");
      expect(svc.inputs.spec.type).to.equal("ClusterIP");
      expect(svc.inputs.spec.ports[0]).to.include({ name: "redis", port: 6379 });
      const sts = graph.one(T.sts, "redis");
      expect(sts.inputs.spec.serviceName).to.equal("redis-headless");
      expect(graph.dependsOn(sts, headless), "the StatefulSet waits for its governing Service").to.equal(true);
      expect(await valueOf(graph.outputs.redisUrl as pulumi.Output<string>)).to.equal("redis://redis.statefleet-data.svc.cluster.local:6379");
      expect(await valueOf(graph.outputs.redisPasswordSecret as pulumi.Output<string>)).to.equal("redis-auth");
    });

    it("keeps the Redis password in a Secret in the data namespace and a copy in the apps namespace, both Pulumi secrets", () => {
      for (const ns of [NAMESPACES.data, NAMESPACES.apps]) {
        const s = within(graph, T.secret, ns).find((r) => r.inputs.metadata.name === "redis-auth");
        expect(s, `redis-auth in ${ns}`).to.not.equal(undefined);
        expect(isSecret((s!.raw as any).stringData), `stringData of redis-auth in ${ns} is a Pulumi secret`).to.equal(true);
        expect(s!.inputs.stringData.password).to.match(new RegExp(`^${MOCK_SECRET_PREFIX}`));
      }
      const sts = graph.one(T.sts, "redis");
      const auth = within(graph, T.secret, NAMESPACES.data).find((r) => r.inputs.metadata.name === "redis-auth")!;
      expect(graph.dependsOn(sts, auth), "Redis starts after its Secret exists").to.equal(true);
    });

    it("runs MongoDB pinned, with auth, the seed-002 throttle from the stack file, and fixed (not dynamic) tickets", () => {
      const sts = graph.one(T.sts, "mongo");
      const mongo = cfg("mongo");
      const c = container(sts, "mongo");
      expect(c.image).to.equal(MONGO_IMAGE).and.match(/^mongo:\d+\.\d+\.\d+$/);
      const args: string[] = c.args;
      expect(args[0]).to.equal("mongod");
      expect(args).to.include("--auth");
      expect(args[args.indexOf("--wiredTigerCacheSizeGB") + 1]).to.equal(String(mongo.throttle.cacheSizeGB));
      expect(args).to.include.members([
        "storageEngineConcurrencyAdjustmentAlgorithm=fixedConcurrentTransactions",
        `storageEngineConcurrentReadTransactions=${mongo.throttle.readTickets}`,
        `storageEngineConcurrentWriteTransactions=${mongo.throttle.writeTickets}`,
      ]);
      expect(c.resources).to.deep.equal(mongo.resources);
      expect(sts.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal(mongo.storageSize);
    });

    it("runs MongoDB as the image's uid 999 with a read-only root, scratch dirs as emptyDirs, and TCP probes", () => {
      const sts = graph.one(T.sts, "mongo");
      const pod = sts.inputs.spec.template.spec;
      expect(pod.securityContext).to.include({ runAsUser: 999, fsGroup: 999, runAsNonRoot: true });
      const c = container(sts, "mongo");
      expect(c.securityContext).to.include({ readOnlyRootFilesystem: true, runAsUser: 999 });
      const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.name]));
      expect(mounts).to.include({ "/data/db": "data", "/tmp": "tmp", "/data/configdb": "configdb", "/docker-entrypoint-initdb.d": "init" });
      const vols = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
      expect(vols.tmp.emptyDir).to.not.equal(undefined);
      expect(vols.configdb.emptyDir).to.not.equal(undefined);
      for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(c[p].tcpSocket.port, p).to.equal("mongo");
    });

    it("creates the app user from an init script that reads passwords from env (Secrets), not from the ConfigMap", () => {
      const cm = graph.one(T.cm, "mongo-init");
      const script: string = cm.inputs.data["10-users.js"];
      expect(script).to.contain("process.env").and.contain("MONGO_APP_PASSWORD").and.not.contain(MOCK_SECRET_PREFIX);
      const env = envOf(container(graph.one(T.sts, "mongo"), "mongo"));
      expect(env.MONGO_INITDB_ROOT_USERNAME).to.equal("root");
      expect(env.MONGO_INITDB_ROOT_PASSWORD).to.deep.equal({ secretKeyRef: { name: "mongo-auth", key: "root-password" } });
      expect(env.MONGO_APP_PASSWORD).to.deep.equal({ secretKeyRef: { name: "mongo-auth", key: "app-password" } });
      expect(graph.dependsOn(graph.one(T.sts, "mongo"), cm), "the StatefulSet waits for its init script").to.equal(true);
    });

    it("hands the apps the app user's connection string as a Pulumi-secret Secret in the apps namespace", async () => {
      const s = within(graph, T.secret, NAMESPACES.apps).find((r) => r.inputs.metadata.name === "mongo-url")!;
      expect(s).to.not.equal(undefined);
      expect(isSecret((s.raw as any).stringData)).to.equal(true);
      expect(s.inputs.stringData.url).to.match(new RegExp(`^mongodb://app:${MOCK_SECRET_PREFIX}[^@]*@mongo\\.statefleet-data\\.svc\\.cluster\\.local:27017/statefleet\\?authSource=statefleet$`));
      expect(await valueOf(graph.outputs.mongoUrlSecret as pulumi.Output<string>)).to.equal("mongo-url");
      const mongoSecret = within(graph, T.secret, NAMESPACES.data).find((r) => r.inputs.metadata.name === "mongo-auth")!;
      expect(isSecret((mongoSecret.raw as any).stringData)).to.equal(true);
      expect(Object.keys(mongoSecret.inputs.stringData).sort()).to.deep.equal(["app-password", "exporter-password", "root-password"]);
    });

    it("never puts a password in plain text into any resource input, nor into a stack output", async () => {
      const leaks = graph.resources.filter((r) => plainStrings(r.raw).some((s) => s.includes(MOCK_SECRET_PREFIX))).map(lineOf);
      expect(leaks).to.deep.equal([]);
      for (const k of ["redisUrl", "mongoAddress", "redisPasswordSecret", "mongoUrlSecret"]) {
        const v = await valueOf(graph.outputs[k] as pulumi.Output<string>);
        expect(String(v), k).to.not.contain(MOCK_SECRET_PREFIX);
      }
    });

    it("admits only the apps' Redis / Mongo clients (by namespace and label) and lets the data pods call nobody", () => {
      for (const [name, port, labels] of [["redis", 6379, CLIENT_LABELS.redis], ["mongo", 27017, CLIENT_LABELS.mongo]] as const) {
        const np = graph.one(T.np, name);
        const spec = np.inputs.spec;
        expect(np.inputs.metadata.namespace).to.equal(NAMESPACES.data);
        expect(spec.podSelector.matchLabels).to.deep.equal({ "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "statefleet" });
        expect(spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
        expect(spec.egress).to.deep.equal([]);
        expect(spec.ingress[0]).to.deep.equal({
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACES.apps } }, podSelector: { matchLabels: labels } }],
          ports: [{ protocol: "TCP", port }],
        });
        // Monitoring on ⇔ exporter sidecar ⇔ ServiceMonitor ⇔ Prometheus admitted (whatever the platform section passes).
        const monitored = graph.has(T.sm, `${name}-metrics`);
        expect(!!container(graph.one(T.sts, name), "exporter"), `${name} exporter`).to.equal(monitored);
        expect(spec.ingress.length, `${name} ingress rules`).to.equal(monitored ? 2 : 1);
      }
    });

    it("makes both of our namespaces default-deny with a DNS allow", () => {
      for (const ns of [NAMESPACES.apps, NAMESPACES.data]) {
        const policies = within(graph, T.np, ns);
        const deny = policies.find((p) => p.inputs.metadata.name === "default-deny");
        expect(deny?.inputs.spec, `default-deny in ${ns}`).to.deep.equal({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const dns = policies.find((p) => p.inputs.metadata.name === "allow-dns");
        expect(dns?.inputs.spec.egress, `allow-dns in ${ns}`).to.deep.equal([{
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        }]);
        expect(graph.ancestry(deny!)).to.deep.equal([T.component.namespaces]);
      }
    });

    it("parents every data and storage object under its component, and sends them through the cluster's provider", () => {
      for (const [type, types] of [
        [T.component.redis, [T.sts, T.svc, T.secret, T.np, "random:index/randomPassword:RandomPassword"]],
        [T.component.mongo, [T.sts, T.svc, T.secret, T.cm, T.np, "random:index/randomPassword:RandomPassword"]],
      ] as const) {
        const comp = graph.ofType(type)[0];
        const kinds = new Set(graph.descendants(comp).map((r) => r.type));
        expect([...types].filter((t) => !kinds.has(t)), `${type} children`).to.deep.equal([]);
      }
      const provider = graph.ofType("pulumi:providers:kubernetes")[0];
      for (const r of ours(graph).filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
        expect(r.provider, lineOf(r)).to.match(new RegExp(`::${provider.name}::`));
      }
    });

    if (stack === "dev") {
      it("creates the SharedStorage component and no StorageClass (k3d volumes are static)", () => {
        expect(graph.ofType(T.component.storage)).to.have.length(1);
        expect(graph.has(T.sc)).to.equal(false);
      });

      it("has every pod that mounts a shared claim mount only the claim's own sub-directory", () => {
        const claims = graph.ofType(T.pvc).filter((r) => graph.ancestry(r).includes(T.component.storage)).map((r) => r.inputs.metadata);
        const mounted: string[] = [];
        for (const d of [...graph.ofType("kubernetes:apps/v1:Deployment"), ...graph.ofType(T.sts)]) {
          const pod = d.inputs.spec.template.spec;
          for (const v of pod.volumes ?? []) {
            const claim = claims.find((c) => c.name === v.persistentVolumeClaim?.claimName && c.namespace === d.inputs.metadata.namespace);
            if (!claim) continue;
            for (const c of pod.containers) {
              for (const m of (c.volumeMounts ?? []).filter((x: any) => x.name === v.name)) {
                expect(m.subPath, `${d.inputs.metadata.name}/${c.name} mounts claim ${claim.name}`).to.equal(`${claim.namespace}-${claim.name}`);
                mounted.push(d.inputs.metadata.name);
              }
            }
          }
        }
        // The committed dev stack keeps pingpong (and logoutput, reading it) on the shared volume.
        if (cfg("apps").pingpong.state === "shared-volume") expect(mounted).to.include("pingpong");
      });
    } else {
      it("creates one Azure Files StorageClass (SMB, the stack's SKU, Retain, expandable) with mount options for uid/gid 10001", async () => {
        const sc = graph.one(T.sc);
        expect(sc.inputs).to.deep.include({ provisioner: "file.csi.azure.com", reclaimPolicy: "Retain", allowVolumeExpansion: true });
        expect(sc.inputs.metadata.name).to.equal(AZURE_FILES_CLASS);
        expect(sc.inputs.parameters).to.deep.equal({ skuName: cfg("storage").azureFilesSku, protocol: "smb" });
        expect(sc.inputs.mountOptions).to.deep.equal(["uid=10001", "gid=10001", "dir_mode=0770", "file_mode=0660", "mfsymlinks", "nobrl", "cache=strict", "actimeo=30", "nosharesock"]);
        expect(graph.ancestry(sc)).to.deep.equal([T.component.storage]);
        expect(await valueOf(graph.outputs.sharedStorageClass as pulumi.Output<string>)).to.equal(AZURE_FILES_CLASS);
      });
    }

    it("has no schema or policy findings on these objects", async () => {
      expect(await findings(graph)).to.deep.equal([]);
    });
  });
}


describe("preview (pulumi preview: provider values unknown)", () => {
  for (const stack of ["dev", "aks"]) {
    it(`${stack}: evaluates, registers Redis, Mongo and SharedStorage, with no findings on them`, async () => {
      const graph = await evaluate(stack, { preview: true });
      expect(graph.has(T.sts, "redis")).to.equal(true);
      expect(graph.has(T.sts, "mongo")).to.equal(true);
      expect(graph.ofType(T.component.storage)).to.have.length(1);
      expect(await findings(graph)).to.deep.equal([]);
    });
  }
});

describe("switching data services and storage off", () => {
  const variants: [string, string, EvaluateOptions, string, string[]][] = [
    ["aks", "storage off (pingpong moved to Redis)", { overrides: { "statefleet:storage": { enabled: false }, "statefleet:apps": { pingpong: { state: "redis" } } } }, T.component.storage, [T.sc, T.pv, T.pvc]],
    ["dev", "redis off (stats on its pods, pingpong on the shared volume)", { overrides: { "statefleet:redis": { enabled: false }, "statefleet:apps": { stats: { state: "pod" }, api: { cache: "none" }, shop: { state: "mongo" } } } }, T.component.redis, []],
    ["dev", "mongo off (api off)", { overrides: { "statefleet:mongo": { enabled: false }, "statefleet:apps": { api: { enabled: false } } } }, T.component.mongo, []],
  ];
  for (const [stack, what, opts, component, kinds] of variants) {
    it(`${stack}, ${what}: removes the component and everything it made`, async () => {
      const graph = await evaluate(stack, opts);
      expect(graph.ofType(component)).to.deep.equal([]);
      for (const k of kinds) expect(graph.ofType(k), k).to.deep.equal([]);
      const name = component === T.component.redis ? "redis" : component === T.component.mongo ? "mongo" : "";
      if (name) {
        expect(graph.has(T.sts, name)).to.equal(false);
        expect(graph.ofType(T.secret).filter((s) => s.inputs.metadata.name.startsWith(`${name}-`))).to.deep.equal([]);
      }
      expect(await findings(graph)).to.deep.equal([]);
    });
  }

  it("refuses a state strategy whose backing service is off, naming the key, before any resource exists", async () => {
    let registered = -1;
    const run = evaluate("dev", { overrides: { "statefleet:redis": { enabled: false } }, onRegister: (n) => { registered = n; } });
    const err = await run.then(() => undefined, (e) => e);
    // The program is loaded fresh per evaluation, so its ConfigError is not this file's class.
    expect(err?.name).to.equal("ConfigError");
    expect((err as ConfigError).problems.map((p) => p.path)).to.include("statefleet:apps.stats.state");
    expect(registered).to.equal(0);
  });
});

// ── config rules for the data services ──

describe("data service config rules", () => {
  const raw = (): Record<string, any> => {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(stackFileConfig("dev"))) if (k.startsWith("statefleet:")) out[k.slice(11)] = structuredClone(v);
    return out;
  };
  const problems = (change: (r: Record<string, any>) => void): string[] => {
    const r = raw();
    change(r);
    try {
      parseStackConfig("dev", r);
      return [];
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
      return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };

  it("accepts both stack files as committed", () => {
    expect(problems(() => undefined)).to.deep.equal([]);
  });
  it("defaults the throttle to seed 002's database: 10 read and 10 write tickets, a 0.25 GB cache, half a CPU", () => {
    const r = raw();
    delete r.mongo.throttle;
    delete r.mongo.resources;
    const m = parseStackConfig("dev", r).mongo;
    expect(m.throttle).to.deep.equal({ readTickets: 10, writeTickets: 10, cacheSizeGB: 0.25 });
    expect(m.resources.limits.cpu).to.equal("500m");
  });
  it("refuses a Redis maxmemory that leaves no headroom under the memory limit", () => {
    const p = problems((r) => { r.redis.maxMemory = "300mb"; });
    expect(p).to.have.length(1);
    expect(p[0]).to.match(/^statefleet:redis\.maxMemory: 300mb .*OOM-killed.*\(allowed: at most 75% of the limit, here ≤ 240mb\)$/);
  });
  it("refuses a WiredTiger cache bigger than mongod's own sizing rule gives the memory limit", () => {
    // MongoDB's default cache: the larger of 256 MB and 50 % of (RAM − 1 GB), the container limit counting as RAM.
    const p = problems((r) => { r.mongo.throttle.cacheSizeGB = 1; });
    expect(p).to.have.length(1);
    expect(p[0]).to.match(/^statefleet:mongo\.throttle\.cacheSizeGB: 1 GB .*500Mi.*\(allowed: ≤ 0\.25, or a limit of at least 3072Mi\)$/);
    expect(problems((r) => { r.mongo.throttle.cacheSizeGB = 1; r.mongo.resources.limits.memory = "3Gi"; })).to.deep.equal([]);
    expect(problems((r) => { r.mongo.throttle.cacheSizeGB = 1.1; r.mongo.resources.limits.memory = "3Gi"; })).to.have.length(1);
  });
  it("fits the seed's exact database: 0.25 GB of cache under a 500Mi limit", () => {
    expect(problems((r) => { r.mongo.throttle = { readTickets: 10, writeTickets: 10, cacheSizeGB: 0.25 }; r.mongo.resources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "500Mi" } }; })).to.deep.equal([]);
  });
  it("refuses requests above limits for Redis and MongoDB", () => {
    const p = problems((r) => { r.redis.resources.requests.memory = "1Gi"; r.mongo.resources.requests.cpu = "2"; });
    expect(p).to.include.members([
      "statefleet:redis.resources.requests.memory: 1Gi is above the limit 320Mi (allowed: requests ≤ limits)",
      "statefleet:mongo.resources.requests.cpu: 2 is above the limit 500m (allowed: requests ≤ limits)",
    ]);
  });
  it("does not judge the sizing of a disabled service", () => {
    expect(problems((r) => { r.mongo.enabled = false; r.apps.api.enabled = false; r.mongo.throttle.cacheSizeGB = 8; })).to.deep.equal([]);
  });
});

// ── component-level: what the stacks do not exercise yet ──

interface Built { graph: Graph; provider: k8s.Provider }

/** Builds components under the harness mocks (outside index.ts) and returns what they registered. */
async function build(fn: (provider: k8s.Provider) => void, preview = false): Promise<Built> {
  let provider: k8s.Provider | undefined;
  const graph = await evaluateComponent(() => {
    provider = new k8s.Provider("k8s", { kubeconfig: "unit" });
    fn(provider);
  }, { preview });
  return { graph, provider: provider as k8s.Provider };
}

describe("SharedStorage on k3d: static hostPath volumes on the shared directory", () => {
  let graph: Graph;
  let claim: RwxClaim;
  let defaulted: RwxClaim;
  let duplicate: unknown;
  before(async () => {
    ({ graph } = await build((provider) => {
      const s = new SharedStorage("shared-storage", { rwx: { kind: "host-path", nodePath: K3D_SHARED_NODE_PATH }, azureFilesSku: "Standard_LRS", defaultSize: "1Gi" }, { providers: { kubernetes: provider } });
      claim = s.claim("pingpong", { namespace: NAMESPACES.apps, size: "256Mi" });
      defaulted = s.claim("stats", { namespace: NAMESPACES.apps });
      try { s.claim("pingpong", { namespace: NAMESPACES.apps, size: "1Gi" }); } catch (e) { duplicate = e; }
    }));
  });

  it("binds each claim to its own pre-bound ReadWriteMany PersistentVolume on the directory every node mounts", () => {
    const pv = graph.one(T.pv, "shared-storage-statefleet-apps-pingpong");
    expect(pv.inputs.metadata.name).to.equal("statefleet-statefleet-apps-pingpong");
    expect(pv.inputs.spec).to.deep.include({
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      hostPath: { path: K3D_SHARED_NODE_PATH, type: "Directory" },
    });
    expect(pv.inputs.spec.claimRef).to.include({ namespace: NAMESPACES.apps, name: "pingpong" });
    const pvc = graph.one(T.pvc, "shared-storage-statefleet-apps-pingpong");
    expect(pvc.inputs.metadata).to.include({ name: "pingpong", namespace: NAMESPACES.apps });
    expect(pvc.inputs.spec).to.deep.equal({ accessModes: ["ReadWriteMany"], storageClassName: "", volumeName: pv.inputs.metadata.name, resources: { requests: { storage: "256Mi" } } });
    expect(graph.dependsOn(pvc, pv), "the claim is created after its volume").to.equal(true);
  });

  it("tells the Workload to mount the claim's own sub-directory (subPath), which the kubelet creates with the root's 0777", async () => {
    expect(claim.subPath).to.equal("statefleet-apps-pingpong");
    expect(await valueOf(claim.claimName)).to.equal("pingpong");
  });

  it("uses storage.defaultSize for a claim without a size, and refuses the same claim twice", () => {
    expect(defaulted.subPath).to.equal("statefleet-apps-stats");
    expect(graph.one(T.pvc, "shared-storage-statefleet-apps-stats").inputs.spec.resources.requests.storage).to.equal("1Gi");
    expect(String(duplicate)).to.match(/claim pingpong in namespace statefleet-apps was requested twice/);
  });

  it("creates no StorageClass, parents everything under SharedStorage, and has no findings", async () => {
    expect(graph.has(T.sc)).to.equal(false);
    for (const r of [...graph.ofType(T.pv), ...graph.ofType(T.pvc)]) expect(graph.ancestry(r), lineOf(r)).to.deep.equal([T.component.storage]);
    expect([...(await validateManifests(graph)), ...policyViolations(graph)]).to.deep.equal([]);
  });
});

describe("SharedStorage on AKS: Azure Files shares", () => {
  for (const [sku, size, expected] of [["Standard_ZRS", "256Mi", "256Mi"], ["Premium_LRS", "256Mi", "100Gi"], ["Premium_ZRS", "200Gi", "200Gi"]] as const) {
    it(`${sku}: a ${size} claim is a ReadWriteMany PVC of ${expected} on the statefleet class, mounted at its root`, async () => {
      let claim!: RwxClaim;
      const { graph } = await build((provider) => {
        const s = new SharedStorage("shared-storage", { rwx: { kind: "azure-files" }, azureFilesSku: sku, defaultSize: "1Gi" }, { providers: { kubernetes: provider } });
        claim = s.claim("pingpong", { namespace: NAMESPACES.apps, size });
      });
      const sc = graph.one(T.sc);
      expect(sc.inputs.parameters.skuName).to.equal(sku);
      expect(sc.inputs.mountOptions).to.deep.equal(AZURE_FILES_MOUNT_OPTIONS);
      const pvc = graph.one(T.pvc);
      expect(pvc.inputs.spec).to.deep.equal({ accessModes: ["ReadWriteMany"], storageClassName: AZURE_FILES_CLASS, resources: { requests: { storage: expected } } });
      expect(graph.dependsOn(pvc, sc), "the claim waits for its class").to.equal(true);
      expect(graph.has(T.pv), "volumes are provisioned by the driver").to.equal(false);
      expect(claim.subPath).to.equal(undefined);
      expect([...(await validateManifests(graph)), ...policyViolations(graph)]).to.deep.equal([]);
    });
  }
});

describe("Redis and Mongo with monitoring on", () => {
  let graph: Graph;
  let crds: Res;
  before(async () => {
    ({ graph } = await build((provider) => {
      const opts = { providers: { kubernetes: provider } };
      const crdsReady = new k8s.core.v1.ConfigMap("crds-ready", { metadata: { name: "crds-ready", namespace: "monitoring" } }, { provider });
      const monitoring: MonitoringInfo = { crdsReady, selectorLabels: { release: "kube-prometheus-stack" }, dashboardLabel: { grafana_dashboard: "1" } };
      const base = { namespace: NAMESPACES.data, clientNamespace: NAMESPACES.apps, monitoring };
      new Redis("redis", { ...base, maxMemory: "200mb", maxMemoryPolicy: "noeviction", appendOnly: true, storageSize: "1Gi", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "320Mi" } } }, opts);
      new Mongo("mongo", { ...base, throttle: { readTickets: 10, writeTickets: 10, cacheSizeGB: 0.25 }, storageSize: "2Gi", resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "500m", memory: "1Gi" } } }, opts);
    }));
    crds = graph.one(T.cm, "crds-ready");
  });

  for (const [name, image, port] of [["redis", REDIS_EXPORTER_IMAGE, 9121], ["mongo", MONGO_EXPORTER_IMAGE, 9216]] as const) {
    it(`${name}: adds a pinned exporter sidecar, a metrics port and a ServiceMonitor that waits for the operator's CRDs`, () => {
      const exporter = container(graph.one(T.sts, name), "exporter");
      expect(exporter.image).to.equal(image).and.match(/:v?\d+\.\d+\.\d+$/);
      expect(exporter.securityContext).to.include({ readOnlyRootFilesystem: true, runAsNonRoot: true });
      expect(graph.one(T.svc, name).inputs.spec.ports).to.deep.include({ name: "metrics", port, targetPort: "metrics" });
      const sm = graph.one(T.sm, `${name}-metrics`);
      expect(sm.inputs.metadata.labels).to.include({ release: "kube-prometheus-stack" });
      expect(sm.inputs.spec.endpoints[0].port).to.equal("metrics");
      expect(sm.inputs.spec.namespaceSelector).to.deep.equal({ matchNames: [NAMESPACES.data] });
      expect(graph.dependsOn(sm, crds), "ServiceMonitor dependsOn crdsReady").to.equal(true);
      expect(graph.dependsOn(sm, graph.one(T.svc, name)), "ServiceMonitor dependsOn its Service").to.equal(true);
    });
    it(`${name}: admits Prometheus from the monitoring namespace on the exporter port only`, () => {
      expect(graph.one(T.np, name).inputs.spec.ingress[1]).to.deep.equal({ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ protocol: "TCP", port }] });
    });
  }

  it("gives the exporters their credentials only through Secrets", () => {
    expect(envOf(container(graph.one(T.sts, "redis"), "exporter")).REDIS_PASSWORD).to.deep.equal({ secretKeyRef: { name: "redis-auth", key: "password" } });
    const mongoEnv = envOf(container(graph.one(T.sts, "mongo"), "exporter"));
    expect(mongoEnv.MONGODB_PASSWORD).to.deep.equal({ secretKeyRef: { name: "mongo-auth", key: "exporter-password" } });
    expect(mongoEnv.MONGODB_URI).to.not.contain("@");
    expect(graph.resources.filter((r) => plainStrings(r.raw).some((s) => s.includes(MOCK_SECRET_PREFIX))).map(lineOf)).to.deep.equal([]);
  });

  it("has no schema or policy findings", async () => {
    expect([...(await validateManifests(graph)), ...policyViolations(graph)]).to.deep.equal([]);
  });
});

// ── the stack rule ──

describe("default-deny stack rule", () => {
  const obj = (kind: string, name: string, namespace: string | undefined, spec?: unknown): PolicyObject => ({
    type: `kubernetes:x:${kind}`, name, secretFields: new Set(),
    obj: { apiVersion: "v1", kind, metadata: { name, ...(namespace ? { namespace } : {}), labels: kind === "Namespace" ? { "pod-security.kubernetes.io/enforce": "restricted" } : {} }, spec },
  });
  const ns = obj("Namespace", "team", undefined);
  const deny = obj("NetworkPolicy", "default-deny", "team", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  const dns = obj("NetworkPolicy", "allow-dns", "team", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] });
  const policies = (objects: PolicyObject[]) => checkStack(objects).map((v) => `${v.policy}: ${v.message}`);

  it("accepts a namespace with default-deny and a DNS allow", () => expect(policies([ns, deny, dns])).to.deep.equal([]));
  it("reports a namespace without a default-deny policy", () => {
    expect(policies([ns, dns])).to.deep.equal(["default-deny: namespace team has no default-deny NetworkPolicy (ingress and egress)"]);
  });
  it("does not count a policy that selects only some pods, or one that allows something, as default-deny", () => {
    const partial = obj("NetworkPolicy", "p", "team", { podSelector: { matchLabels: { app: "x" } }, policyTypes: ["Ingress", "Egress"] });
    const allowing = obj("NetworkPolicy", "a", "team", { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}] });
    expect(policies([ns, partial, allowing, dns])).to.have.length(1);
  });
  it("reports a default-deny namespace whose pods cannot resolve names", () => {
    expect(policies([ns, deny])).to.deep.equal(["default-deny: namespace team is default-deny but no policy lets all its pods reach DNS (UDP 53): every name lookup would time out"]);
  });
});
