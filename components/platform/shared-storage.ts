/**
 * SharedStorage: ReadWriteMany claims for the `shared-volume` state strategy. The mechanism
 * differs per cluster and stays in here (docs/storage.md):
 *  - AKS: one StorageClass on the Azure Files CSI driver (SMB) whose mount options give the
 *    app's uid/gid ownership (SMB ignores fsGroup and chown); each claim is its own file share.
 *  - k3d: statically provisioned hostPath PersistentVolumes on the directory k3d mounts on every
 *    node (`--volume …@all`); each claim is a sub-directory of it, mounted with `subPath`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { quantityValue } from "../../config/data";
import type { RwxSupport } from "../cluster/types";
import type { RwxClaim, RwxStorage } from "../contracts";
import { APP_GID, APP_UID, labels } from "../k8s";

/** Azure Files SKUs the StorageClass can ask for (`skuName`). */
export type AzureFilesSku = "Standard_LRS" | "Standard_ZRS" | "Premium_LRS" | "Premium_ZRS";

export interface SharedStorageArgs {
  /** How the cluster offers RWX volumes (`ClusterInfo.rwx`). */
  rwx: RwxSupport;
  /** Azure Files SKU (`storage.azureFilesSku`); unused on k3d. */
  azureFilesSku: AzureFilesSku;
  /** Size of a claim made without one (`storage.defaultSize`). */
  defaultSize: string;
}

/** The StorageClass SharedStorage creates on AKS. */
export const AZURE_FILES_CLASS = "statefleet-azurefile-rwx";

/**
 * SMB mount options that let a non-root pod with a read-only root filesystem write: the share
 * is owned by the app's uid/gid at mount time (fsGroup and chown have no effect on SMB),
 * symlinks work (`mfsymlinks`), byte-range locks stay local (`nobrl`, which SQLite-style
 * lockers need), and the attribute cache is bounded. The Microsoft-recommended set, with
 * 0770/0660 instead of 0777 so only the app's uid/gid gets in.
 */
export const AZURE_FILES_MOUNT_OPTIONS = [
  `uid=${APP_UID}`,
  `gid=${APP_GID}`,
  "dir_mode=0770",
  "file_mode=0660",
  "mfsymlinks",
  "nobrl",
  "cache=strict",
  "actimeo=30",
  "nosharesock",
];

/** Premium file shares are provisioned (and billed) at 100 GiB or more; the driver rounds up anyway. */
const PREMIUM_MIN_SIZE = "100Gi";

/** Hands out ReadWriteMany claims; see the file comment for how. */
export class SharedStorage extends pulumi.ComponentResource implements RwxStorage {
  /** The AKS StorageClass (undefined on k3d, whose PersistentVolumes are static). */
  public readonly storageClass?: k8s.storage.v1.StorageClass;
  private readonly prefix: string;
  private readonly args: SharedStorageArgs;
  private readonly claims = new Set<string>();

  constructor(name: string, args: SharedStorageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("statefleet:platform:SharedStorage", name, {}, opts);
    this.prefix = name;
    this.args = args;
    if (args.rwx.kind === "azure-files") {
      this.storageClass = new k8s.storage.v1.StorageClass(
        `${name}-azurefile`,
        {
          metadata: { name: AZURE_FILES_CLASS, labels: labels(AZURE_FILES_CLASS, "storage") },
          provisioner: "file.csi.azure.com",
          parameters: { skuName: args.azureFilesSku, protocol: "smb" },
          // Retain: deleting a claim (a state strategy switched off, a rename) must not delete the
          // counts with it. Released shares stay in the node resource group until an operator
          // deletes them, or until the cluster (and that resource group) is deleted.
          reclaimPolicy: "Retain",
          allowVolumeExpansion: true,
          // Azure Files is reachable from every zone: no need to wait for the first consumer.
          volumeBindingMode: "Immediate",
          mountOptions: AZURE_FILES_MOUNT_OPTIONS,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ storageClass: this.storageClass?.metadata.name });
  }

  /** A ReadWriteMany claim named `name` in `namespace`; see `RwxClaim.subPath` for how to mount it. */
  claim(name: string, args: { namespace: string; size?: string }): RwxClaim {
    const key = `${args.namespace}-${name}`;
    if (this.claims.has(key)) throw new Error(`SharedStorage: claim ${name} in namespace ${args.namespace} was requested twice; each claim must be unique`);
    this.claims.add(key);
    const size = args.size ?? this.args.defaultSize;
    const rwx = this.args.rwx;
    const meta = { name, namespace: args.namespace, labels: labels(name, "shared-volume") };

    if (rwx.kind === "azure-files") {
      const premium = this.args.azureFilesSku.startsWith("Premium");
      const request = premium && quantityValue(size) < quantityValue(PREMIUM_MIN_SIZE) ? PREMIUM_MIN_SIZE : size;
      const pvc = new k8s.core.v1.PersistentVolumeClaim(
        `${this.prefix}-${key}`,
        {
          metadata: meta,
          spec: {
            accessModes: ["ReadWriteMany"],
            storageClassName: this.storageClass!.metadata.name,
            resources: { requests: { storage: request } },
          },
        },
        { parent: this },
      );
      return { claimName: pvc.metadata.name };
    }

    // k3d. The PersistentVolume is the shared root itself, not a per-claim directory: a hostPath
    // PV whose directory the kubelet creates (DirectoryOrCreate) is root-owned 0755, so uid 10001
    // could not write to it, and hostPath volumes ignore fsGroup. The root is 0777 (the k3d create
    // command chmods it), and the kubelet creates a missing `subPath` with the mode of the volume
    // root, so the claim's sub-directory is writable by the non-root app (docs/storage.md).
    const subPath = key;
    const pv = new k8s.core.v1.PersistentVolume(
      `${this.prefix}-${key}`,
      {
        metadata: { name: `statefleet-${key}`, labels: labels(name, "shared-volume") },
        spec: {
          capacity: { storage: size },
          accessModes: ["ReadWriteMany"],
          // Retain is the only safe policy here: Recycle would empty the shared root, and the
          // kubelet cannot Delete a hostPath outside /tmp. The data lives on the host anyway.
          persistentVolumeReclaimPolicy: "Retain",
          // No class: nothing dynamic may bind here, and the default class (local-path) stays out.
          storageClassName: "",
          hostPath: { path: rwx.nodePath, type: "Directory" },
          // Pre-bound: only this claim can ever bind this volume.
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: args.namespace, name },
        },
      },
      // A hostPath has no quota: the size is nominal, and changing it must not force a new volume.
      { parent: this, ignoreChanges: ["spec.capacity"] },
    );
    const pvc = new k8s.core.v1.PersistentVolumeClaim(
      `${this.prefix}-${key}`,
      {
        metadata: meta,
        spec: {
          accessModes: ["ReadWriteMany"],
          storageClassName: "",
          volumeName: pv.metadata.name,
          resources: { requests: { storage: size } },
        },
      },
      // A static volume cannot be expanded; the request is nominal like the capacity.
      { parent: this, ignoreChanges: ["spec.resources"] },
    );
    return { claimName: pvc.metadata.name, subPath };
  }
}
