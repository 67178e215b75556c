/**
 * Mongo: one node of the official image in a StatefulSet, throttled like seed 002's database
 * (fixed WiredTiger read/write tickets, a small cache, a CPU limit). Auth always on: a root user
 * for administration, an app user for the apps, an exporter user for metrics, each with a
 * RandomPassword kept as a Pulumi secret and a Kubernetes Secret. docs/data.md.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Resources } from "../../config/common";
import { serviceMonitor } from "../service-monitor";
import { dataAccessPolicy, dataServices } from "./common";
import { CLIENT_LABELS, MONGO_APP_DATABASES, type MongoAppDatabase, type MongoInfo, type MonitoringInfo } from "../contracts";
import {
  containerSecurityContext,
  envFromSecret,
  labels,
  podSecurityContext,
  resourceBlock,
  selectorLabels,
  secretChecksum,
  secretChecksumAnnotation,
  tcpProbe,
  type SecretRef,
} from "../k8s";

import K8sInputs = k8s.types.input;

/** The official image, pinned (MongoDB 8.0, the current long-supported major; SSPLv1). */
export const MONGO_IMAGE = "mongo:8.0.29";
/** Prometheus exporter sidecar, pinned (runs as uid 65535, its image's user). */
export const MONGO_EXPORTER_IMAGE = "percona/mongodb_exporter:0.52.0";
export const MONGO_PORT = 27017;
export const MONGO_EXPORTER_PORT = 9216;
/** The database the apps use by default and the app user's authentication database. */
export const MONGO_APP_DATABASE: MongoAppDatabase = "statefleet";
export const MONGO_APP_USER = "app";
const MONGO_ROOT_USER = "root";
const MONGO_EXPORTER_USER = "exporter";
/** The `mongodb` user and group of the official image. */
const MONGO_UID = 999;
const EXPORTER_UID = 65535;

/** The seed-002 throttle. */
export interface MongoThrottle {
  /** Concurrent storage-engine read transactions (tickets). */
  readTickets: number;
  /** Concurrent storage-engine write transactions (tickets). */
  writeTickets: number;
  /** WiredTiger cache size in GB. */
  cacheSizeGB: number;
}

export interface MongoArgs {
  /** Namespace MongoDB runs in (the data namespace). */
  namespace: pulumi.Input<string>;
  /** Namespace of the app pods: gets the connection-string Secret and is admitted by the NetworkPolicy. */
  clientNamespace: pulumi.Input<string>;
  throttle: MongoThrottle;
  /** Size of the data volume (ReadWriteOnce, default storage class). */
  storageSize: string;
  resources: Resources;
  /** Prometheus operator; when set, an exporter sidecar and a ServiceMonitor are added. */
  monitoring?: MonitoringInfo;
}

/**
 * mongod's arguments. Since MongoDB 7.0 the ticket counts are adjusted dynamically
 * (`throughputProbing`); the throttle must be fixed, so the algorithm is pinned to
 * `fixedConcurrentTransactions` explicitly (8.0 also implies it when tickets are set at startup).
 * `storageEngineConcurrent*Transactions` are the 7.0+ names of the `wiredTigerConcurrent*` ones.
 */
export function mongodArgs(t: MongoThrottle): string[] {
  return [
    "mongod",
    "--auth",
    "--bind_ip_all",
    "--port", String(MONGO_PORT),
    "--wiredTigerCacheSizeGB", String(t.cacheSizeGB),
    "--setParameter", "storageEngineConcurrencyAdjustmentAlgorithm=fixedConcurrentTransactions",
    "--setParameter", `storageEngineConcurrentReadTransactions=${t.readTickets}`,
    "--setParameter", `storageEngineConcurrentWriteTransactions=${t.writeTickets}`,
  ];
}

/**
 * Runs once, on an empty data directory, in the temporary mongod the image's entrypoint starts on
 * 127.0.0.1 (before auth is on). Passwords come from the container's env (Secrets), never from
 * this ConfigMap.
 */
const INIT_USERS_JS = `// statefleet: create the app and exporter users (passwords from env, see components/data/mongo.ts)
const env = process.env;
db.getSiblingDB(${JSON.stringify(MONGO_APP_DATABASE)}).createUser({
  user: env.MONGO_APP_USERNAME,
  pwd: env.MONGO_APP_PASSWORD,
  roles: ${JSON.stringify(MONGO_APP_DATABASES.map((db) => ({ role: "readWrite", db })))},
});
db.getSiblingDB("admin").createUser({
  user: env.MONGO_EXPORTER_USERNAME,
  pwd: env.MONGO_EXPORTER_PASSWORD,
  roles: [{ role: "clusterMonitor", db: "admin" }, { role: "read", db: "local" }],
});
`;

/** mongosh (init scripts, `kubectl exec`) must not phone home or litter the volume with logs. */
const MONGOSH_CONF = `mongosh:
  disableLogging: true
  forceDisableTelemetry: true
`;

/** The key of a database's connection string in the apps' Secret (`url` for the default database). */
export function mongoUrlKey(database: MongoAppDatabase): string {
  return database === MONGO_APP_DATABASE ? "url" : `url-${database}`;
}

/** One MongoDB node: StatefulSet + headless and ClusterIP Services + Secrets + ConfigMap + NetworkPolicy. */
export class Mongo extends pulumi.ComponentResource implements MongoInfo {
  public readonly urlSecret: SecretRef;
  private readonly urlSecretName: pulumi.Output<string>;
  private readonly urlChecksum: pulumi.Output<string>;
  public readonly clientLabels: Record<string, string> = { ...CLIENT_LABELS.mongo };
  public readonly ready: pulumi.Resource;
  /** `mongodb://<service>.<namespace>.svc.cluster.local:27017` (no credentials). */
  public readonly address: pulumi.Output<string>;

  constructor(name: string, args: MongoArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:data:Mongo", name, {}, opts);
    const child = (...dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, ...(dependsOn.length ? { dependsOn } : {}) });
    const monitored = args.monitoring !== undefined;
    const lbl = labels(name, "mongo");
    const sel = selectorLabels(name);

    // special: false keeps the passwords safe inside a connection string without escaping.
    const pw = (who: string) => new random.RandomPassword(`${name}-${who}-password`, { length: 32, special: false }, child()).result;
    const rootPassword = pw("root");
    const appPassword = pw("app");
    const exporterPassword = pw("exporter");
    const authData = pulumi.secret({ "root-password": rootPassword, "app-password": appPassword, "exporter-password": exporterPassword });
    const auth = new k8s.core.v1.Secret(
      `${name}-auth`,
      {
        metadata: { name: `${name}-auth`, namespace: args.namespace, labels: lbl },
        type: "Opaque",
        stringData: authData,
      },
      child(),
    );
    const key = (k: string): SecretRef => ({ name: auth.metadata.name, key: k });

    const { headless, service } = dataServices(
      { name, namespace: args.namespace, labels: lbl, selector: sel, portName: "mongo", port: MONGO_PORT, exporterPort: monitored ? MONGO_EXPORTER_PORT : undefined },
      this,
    );
    this.address = pulumi.interpolate`mongodb://${service.metadata.name}.${args.namespace}.svc.cluster.local:${MONGO_PORT}`;

    // The app's connection strings carry the app user's password: a Secret in the apps' namespace,
    // one key per database (the user always authenticates against the default one).
    const urls: Record<string, pulumi.Output<string>> = {};
    for (const db of MONGO_APP_DATABASES) {
      urls[mongoUrlKey(db)] = pulumi.interpolate`mongodb://${MONGO_APP_USER}:${appPassword}@${service.metadata.name}.${args.namespace}.svc.cluster.local:${MONGO_PORT}/${db}?authSource=${MONGO_APP_DATABASE}`;
    }
    const urlSecret = new k8s.core.v1.Secret(
      `${name}-url`,
      { metadata: { name: `${name}-url`, namespace: args.clientNamespace, labels: lbl }, type: "Opaque", stringData: pulumi.secret(urls) },
      child(),
    );
    this.urlSecretName = urlSecret.metadata.name;
    // Every key holds the same password: one checksum of the whole Secret's data serves them all.
    this.urlChecksum = secretChecksum(urls);
    this.urlSecret = this.urlSecretFor(MONGO_APP_DATABASE);

    const init = new k8s.core.v1.ConfigMap(
      `${name}-init`,
      { metadata: { name: `${name}-init`, namespace: args.namespace, labels: lbl }, data: { "10-users.js": INIT_USERS_JS, "mongosh.conf": MONGOSH_CONF } },
      child(),
    );

    const mongoContainer: K8sInputs.core.v1.Container = {
      name: "mongo",
      image: MONGO_IMAGE,
      // The image's entrypoint stays: it creates the root user and runs the init script on first start.
      args: mongodArgs(args.throttle),
      ports: [{ name: "mongo", containerPort: MONGO_PORT }],
      env: [
        { name: "MONGO_INITDB_ROOT_USERNAME", value: MONGO_ROOT_USER },
        envFromSecret("MONGO_INITDB_ROOT_PASSWORD", key("root-password")),
        { name: "MONGO_APP_USERNAME", value: MONGO_APP_USER },
        envFromSecret("MONGO_APP_PASSWORD", key("app-password")),
        { name: "MONGO_EXPORTER_USERNAME", value: MONGO_EXPORTER_USER },
        envFromSecret("MONGO_EXPORTER_PASSWORD", key("exporter-password")),
        // The image sets HOME=/data/db; mongosh's state belongs in the scratch dir, not the data volume.
        { name: "HOME", value: "/tmp" },
      ],
      resources: resourceBlock(args.resources),
      securityContext: containerSecurityContext(MONGO_UID, MONGO_UID),
      // TCP, not `mongosh --eval ping`: mongosh is a Node.js process (~100 MB, a CPU burst) that
      // would run inside the throttled container every period and skew the seed-002 benchmark.
      // mongod listens on the pod IP only after the init phase (which binds 127.0.0.1), so an
      // open port means "initialised and accepting connections".
      startupProbe: tcpProbe("mongo", { periodSeconds: 5, failureThreshold: 60 }),
      readinessProbe: tcpProbe("mongo", { periodSeconds: 10 }),
      livenessProbe: tcpProbe("mongo", { periodSeconds: 20, failureThreshold: 6 }),
      volumeMounts: [
        { name: "data", mountPath: "/data/db" },
        // Declared as VOLUMEs by the image; with a read-only root they must be real mounts.
        { name: "configdb", mountPath: "/data/configdb" },
        { name: "tmp", mountPath: "/tmp" },
        { name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
        { name: "mongosh-conf", mountPath: "/etc/mongosh.conf", subPath: "mongosh.conf", readOnly: true },
      ],
    };
    const containers: K8sInputs.core.v1.Container[] = [mongoContainer];
    if (monitored) {
      containers.push({
        name: "exporter",
        image: MONGO_EXPORTER_IMAGE,
        // Default collectors only: every scrape takes read tickets from the throttled mongod.
        args: ["--collector.diagnosticdata", "--compatible-mode", `--web.listen-address=:${MONGO_EXPORTER_PORT}`],
        ports: [{ name: "metrics", containerPort: MONGO_EXPORTER_PORT }],
        env: [
          { name: "MONGODB_URI", value: `mongodb://127.0.0.1:${MONGO_PORT}/admin` },
          { name: "MONGODB_USER", value: MONGO_EXPORTER_USER },
          envFromSecret("MONGODB_PASSWORD", key("exporter-password")),
        ],
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "96Mi" } },
        securityContext: containerSecurityContext(EXPORTER_UID, EXPORTER_UID),
        readinessProbe: tcpProbe("metrics"),
        livenessProbe: tcpProbe("metrics", { periodSeconds: 20 }),
      });
    }

    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name, namespace: args.namespace, labels: lbl },
        spec: {
          serviceName: headless.metadata.name,
          replicas: 1,
          selector: { matchLabels: sel },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            // The exporter reads its password from env at start; mongod's stored users keep theirs
            // until changed in the database (docs/operations.md, rotating secrets).
            metadata: { labels: lbl, annotations: secretChecksumAnnotation([secretChecksum(authData)]) },
            spec: {
              securityContext: podSecurityContext(MONGO_UID, MONGO_UID),
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              // mongod needs time to checkpoint and close the journal cleanly.
              terminationGracePeriodSeconds: 60,
              containers,
              volumes: [
                { name: "configdb", emptyDir: { sizeLimit: "16Mi" } },
                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                { name: "init", configMap: { name: init.metadata.name, items: [{ key: "10-users.js", path: "10-users.js" }] } },
                { name: "mongosh-conf", configMap: { name: init.metadata.name, items: [{ key: "mongosh.conf", path: "mongosh.conf" }] } },
              ],
            },
          },
          volumeClaimTemplates: [{
            metadata: { name: "data", labels: lbl },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.storageSize } } },
          }],
        },
      },
      child(),
    );
    this.ready = statefulSet;

    dataAccessPolicy(name, {
      name, namespace: args.namespace, labels: lbl, selector: sel,
      clientNamespace: args.clientNamespace, clientLabels: this.clientLabels,
      port: MONGO_PORT, exporterPort: monitored ? MONGO_EXPORTER_PORT : undefined,
    }, this);

    if (args.monitoring) {
      serviceMonitor(`${name}-metrics`, { name, namespace: args.namespace, labels: lbl, selector: sel, port: "metrics", monitoring: args.monitoring, service }, this);
    }

    this.registerOutputs({ address: this.address, urlSecret: this.urlSecret.name });
  }

  public urlSecretFor(database: MongoAppDatabase): SecretRef {
    return { name: this.urlSecretName, key: mongoUrlKey(database), checksum: this.urlChecksum };
  }
}
