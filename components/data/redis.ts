/**
 * Redis: one node of the official image in a StatefulSet, for the `redis` state strategy and the
 * api variant's cache. Auth always on; the password is a RandomPassword kept as a Pulumi secret
 * and a Kubernetes Secret, never a literal in any manifest. docs/data.md.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Resources } from "../../config/common";
import { serviceMonitor } from "../service-monitor";
import { dataAccessPolicy, dataServices } from "./common";
import { CLIENT_LABELS, type MonitoringInfo, type RedisInfo } from "../contracts";
import {
  containerSecurityContext,
  envFromSecret,
  execProbe,
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

/** The official image, pinned. Redis 8 is AGPLv3 / RSALv2 / SSPLv1 (docs/data.md). */
export const REDIS_IMAGE = "redis:8.10.1-alpine";
/** Prometheus exporter sidecar, pinned (runs as uid 59000, its image's user). */
export const REDIS_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.88.0";
export const REDIS_PORT = 6379;
export const REDIS_EXPORTER_PORT = 9121;
/** The `redis` user and group of the alpine image (owner of /data in the image). */
const REDIS_UID = 999;
const REDIS_GID = 1000;
const EXPORTER_UID = 59000;
/** Where the Secret's Redis config include (`requirepass …`) is mounted, read-only. */
export const REDIS_AUTH_DIR = "/etc/redis/auth";
/** Key of the data-namespace Secret holding that include, and its file name under REDIS_AUTH_DIR. */
export const REDIS_AUTH_CONF_KEY = "auth.conf";

export interface RedisArgs {
  /** Namespace Redis runs in (the data namespace). */
  namespace: pulumi.Input<string>;
  /** Namespace of the app pods: gets a copy of the password Secret and is admitted by the NetworkPolicy. */
  clientNamespace: pulumi.Input<string>;
  /** Redis `maxmemory` (e.g. `200mb`). */
  maxMemory: string;
  /** Redis `maxmemory-policy`. */
  maxMemoryPolicy: string;
  /** Append-only file persistence. */
  appendOnly: boolean;
  /** Size of the data volume (ReadWriteOnce, default storage class). */
  storageSize: string;
  resources: Resources;
  /** Prometheus operator; when set, an exporter sidecar and a ServiceMonitor are added. */
  monitoring?: MonitoringInfo;
}

/** One Redis node: StatefulSet + headless and ClusterIP Services + Secrets + NetworkPolicy. */
export class Redis extends pulumi.ComponentResource implements RedisInfo {
  public readonly url: pulumi.Output<string>;
  public readonly passwordSecret: SecretRef;
  public readonly clientLabels: Record<string, string> = { ...CLIENT_LABELS.redis };
  public readonly ready: pulumi.Resource;
  /** The password (a Pulumi secret), for components that build their own Secrets. */
  public readonly password: pulumi.Output<string>;

  constructor(name: string, args: RedisArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:data:Redis", name, {}, opts);
    const child = (...dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, ...(dependsOn.length ? { dependsOn } : {}) });
    const monitored = args.monitoring !== undefined;
    const lbl = labels(name, "redis");
    const sel = selectorLabels(name);

    // special: false keeps the password safe inside a URL, a shell word and a Redis argument.
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, child());
    this.password = pulumi.secret(password.result);
    const authData = pulumi.secret({ password: password.result });
    // Redis reads its password from a config include in this Secret, mounted as a file: as an
    // argument (`--requirepass $(REDIS_PASSWORD)`) it would be in /proc/<pid>/cmdline, `ps` and
    // `kubectl describe`-style process dumps. The exporter and redis-cli keep reading `password`.
    const serverAuthData = pulumi.secret(password.result.apply((p) => ({ password: p, [REDIS_AUTH_CONF_KEY]: `requirepass ${p}\n` })));
    const auth = new k8s.core.v1.Secret(
      `${name}-auth`,
      { metadata: { name: `${name}-auth`, namespace: args.namespace, labels: lbl }, type: "Opaque", stringData: serverAuthData },
      child(),
    );
    // The apps read the same password from their own namespace (secretKeyRef cannot cross namespaces).
    const clientAuth = new k8s.core.v1.Secret(
      `${name}-client-auth`,
      { metadata: { name: `${name}-auth`, namespace: args.clientNamespace, labels: lbl }, type: "Opaque", stringData: authData },
      child(),
    );
    const ownRef: SecretRef = { name: auth.metadata.name, key: "password" };
    this.passwordSecret = { name: clientAuth.metadata.name, key: "password", checksum: secretChecksum(authData) };

    const { headless, service } = dataServices(
      { name, namespace: args.namespace, labels: lbl, selector: sel, portName: "redis", port: REDIS_PORT, exporterPort: monitored ? REDIS_EXPORTER_PORT : undefined },
      this,
    );

    // Config as arguments, reviewable in the manifest, except the password: `--include` loads the
    // `requirepass` line from the Secret's file (special: false above keeps it one bare word).
    const serverArgs = [
      "--include", `${REDIS_AUTH_DIR}/${REDIS_AUTH_CONF_KEY}`,
      "--port", String(REDIS_PORT),
      "--dir", "/data",
      "--maxmemory", args.maxMemory,
      "--maxmemory-policy", args.maxMemoryPolicy,
      "--appendonly", args.appendOnly ? "yes" : "no",
      "--appendfsync", "everysec",
    ];
    const redisContainer: K8sInputs.core.v1.Container = {
      name: "redis",
      image: REDIS_IMAGE,
      // Skip the image's entrypoint: as a non-root user it would only set a umask and load the
      // bundled modules, which a counter store does not need (and which cost memory).
      command: ["redis-server"],
      args: serverArgs,
      ports: [{ name: "redis", containerPort: REDIS_PORT }],
      env: [
        // redis-cli reads it, so the probe needs no password on its command line.
        envFromSecret("REDISCLI_AUTH", ownRef),
      ],
      resources: resourceBlock(args.resources),
      securityContext: containerSecurityContext(REDIS_UID, REDIS_GID),
      // Replaying a large AOF can take a while: the startup probe holds off the liveness probe.
      startupProbe: tcpProbe("redis", { periodSeconds: 5, failureThreshold: 60 }),
      readinessProbe: execProbe(["sh", "-c", "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"], { periodSeconds: 5, timeoutSeconds: 3 }),
      livenessProbe: tcpProbe("redis", { periodSeconds: 10, failureThreshold: 6 }),
      volumeMounts: [
        { name: "data", mountPath: "/data" },
        { name: "tmp", mountPath: "/tmp" },
        { name: "auth", mountPath: REDIS_AUTH_DIR, readOnly: true },
      ],
    };
    const containers: K8sInputs.core.v1.Container[] = [redisContainer];
    if (monitored) {
      containers.push({
        name: "exporter",
        image: REDIS_EXPORTER_IMAGE,
        ports: [{ name: "metrics", containerPort: REDIS_EXPORTER_PORT }],
        env: [{ name: "REDIS_ADDR", value: `redis://127.0.0.1:${REDIS_PORT}` }, envFromSecret("REDIS_PASSWORD", ownRef)],
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: containerSecurityContext(EXPORTER_UID, EXPORTER_UID),
        readinessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 10, timeoutSeconds: 2 },
        livenessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 3 },
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
            // A new password restarts Redis onto it (it reads requirepass only at start).
            metadata: { labels: lbl, annotations: secretChecksumAnnotation([secretChecksum(serverAuthData)]) },
            spec: {
              securityContext: podSecurityContext(REDIS_UID, REDIS_GID),
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: 30,
              containers,
              volumes: [
                { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                // Only the include, readable by the owner and Redis's group (fsGroup), nobody else.
                { name: "auth", secret: { secretName: auth.metadata.name, items: [{ key: REDIS_AUTH_CONF_KEY, path: REDIS_AUTH_CONF_KEY }], defaultMode: 0o440 } },
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
      port: REDIS_PORT, exporterPort: monitored ? REDIS_EXPORTER_PORT : undefined,
    }, this);

    if (args.monitoring) {
      serviceMonitor(`${name}-metrics`, { name, namespace: args.namespace, labels: lbl, selector: sel, port: "metrics", monitoring: args.monitoring, service }, this);
    }

    this.url = pulumi.interpolate`redis://${service.metadata.name}.${args.namespace}.svc.cluster.local:${REDIS_PORT}`;
    this.registerOutputs({ url: this.url, passwordSecret: this.passwordSecret.name });
  }
}
