/**
 * The `aks` stack runs pingpong/logoutput on Azure Files (ReadWriteMany), and a non-root pod
 * with a read-only root filesystem can write there. Checked against Microsoft's and the driver's
 * documented rules, not our constants:
 *  - the Azure Files CSI driver is `file.csi.azure.com`; its `protocol` parameter is `smb` or
 *    `nfs`; `skuName` one of Premium_LRS, Premium_ZRS, Standard_LRS, Standard_GRS, Standard_ZRS,
 *    Standard_RAGRS, Standard_RAGZRS (kubernetes-sigs/azurefile-csi-driver docs/driver-parameters.md);
 *  - the recommended SMB mount options: mfsymlinks, cache=strict, nosharesock, actimeo=30, nobrl
 *    (learn.microsoft.com/troubleshoot/azure/azure-kubernetes/storage/mountoptions-settings-azure-files);
 *  - SMB ignores fsGroup and chown: ownership and modes come only from the `uid`, `gid`,
 *    `dir_mode`, `file_mode` mount options (mount.cifs(8)), so they must match the pod's user.
 */
import { expect } from "chai";
import { evaluate } from "./harness/evaluate";
import type { Graph, Res } from "./harness/graph";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  sc: "kubernetes:storage.k8s.io/v1:StorageClass",
};
const AZURE_FILES_DRIVER = "file.csi.azure.com";
const DRIVER_SKUS = ["Premium_LRS", "Premium_ZRS", "Standard_LRS", "Standard_GRS", "Standard_ZRS", "Standard_RAGRS", "Standard_RAGZRS"];
const MICROSOFT_SMB_OPTIONS = ["mfsymlinks", "cache=strict", "nosharesock", "actimeo=30", "nobrl"];

/** The `state` volume and mount of a Deployment, with the effective uid/gid of its app container. */
function stateOf(d: Res) {
  const pod = d.inputs.spec.template.spec;
  const c = pod.containers[0];
  const mount = c.volumeMounts.find((m: { name: string }) => m.name === "state");
  const volume = pod.volumes.find((v: { name: string }) => v.name === "state");
  const env = Object.fromEntries(c.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
  return {
    pod,
    container: c,
    mount,
    volume,
    env,
    uid: c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser,
    gid: c.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup,
  };
}

/** `key=value` and bare-flag mount options as a map (flags map to true). */
function options(list: string[]): Record<string, string | true> {
  return Object.fromEntries(list.map((o) => { const i = o.indexOf("="); return i < 0 ? [o, true] : [o.slice(0, i), o.slice(i + 1)]; }));
}

describe("aks stack: pingpong and logoutput on Azure Files", () => {
  let g: Graph;
  before(async () => { g = await evaluate("aks"); });

  const claimOf = (d: Res): Res => {
    const name = stateOf(d).volume?.persistentVolumeClaim?.claimName;
    expect(name, `${d.name} mounts no claim`).to.be.a("string");
    const ns = d.inputs.metadata.namespace;
    const hits = g.ofType(T.pvc).filter((p) => p.inputs.metadata.name === name && p.inputs.metadata.namespace === ns);
    expect(hits, `claim ${name} in ${ns}`).to.have.length(1);
    return hits[0];
  };
  const classOf = (pvc: Res): Res => {
    const hits = g.ofType(T.sc).filter((s) => s.inputs.metadata.name === pvc.inputs.spec.storageClassName);
    expect(hits, `StorageClass ${pvc.inputs.spec.storageClassName}`).to.have.length(1);
    return hits[0];
  };

  it("runs pingpong with state shared-volume on a ReadWriteMany claim of an Azure Files (file.csi.azure.com) class", () => {
    const pingpong = g.one(T.deployment, "pingpong");
    expect(stateOf(pingpong).env.STATE).to.equal("shared-volume");
    const pvc = claimOf(pingpong);
    expect(pvc.inputs.spec.accessModes).to.deep.equal(["ReadWriteMany"]);
    expect(classOf(pvc).inputs.provisioner).to.equal(AZURE_FILES_DRIVER);
  });

  it("lets logoutput read the same share, read-only", () => {
    const pp = stateOf(g.one(T.deployment, "pingpong"));
    const lo = stateOf(g.one(T.deployment, "logoutput"));
    expect(lo.env.STATE).to.equal("shared-volume");
    expect(claimOf(g.one(T.deployment, "logoutput")).inputs.metadata.name).to.equal(claimOf(g.one(T.deployment, "pingpong")).inputs.metadata.name);
    expect(lo.mount.readOnly).to.equal(true);
    expect(pp.mount.readOnly ?? false, "pingpong writes").to.equal(false);
  });

  it("asks the driver for an SMB share of a SKU it offers", () => {
    const sc = classOf(claimOf(g.one(T.deployment, "pingpong")));
    expect(sc.inputs.parameters.protocol).to.equal("smb");
    expect(DRIVER_SKUS).to.include(sc.inputs.parameters.skuName);
  });

  it("mounts with Microsoft's recommended SMB options", () => {
    const mo: string[] = classOf(claimOf(g.one(T.deployment, "pingpong"))).inputs.mountOptions;
    expect(mo).to.include.members(MICROSOFT_SMB_OPTIONS);
  });

  it("makes the share owned by exactly the uid/gid the pods run as, with modes that let that owner write", () => {
    const sc = classOf(claimOf(g.one(T.deployment, "pingpong")));
    const o = options(sc.inputs.mountOptions);
    for (const name of ["pingpong", "logoutput"]) {
      const s = stateOf(g.one(T.deployment, name));
      expect(s.uid, `${name} runs as a fixed uid`).to.be.a("number");
      expect(o.uid, `${name}: mount uid = runAsUser`).to.equal(String(s.uid));
      expect(o.gid, `${name}: mount gid = runAsGroup`).to.equal(String(s.gid));
    }
    const dirMode = parseInt(String(o.dir_mode), 8);
    const fileMode = parseInt(String(o.file_mode), 8);
    expect(dirMode & 0o700, `dir_mode ${o.dir_mode}: owner can list, create and enter`).to.equal(0o700);
    expect(fileMode & 0o600, `file_mode ${o.file_mode}: owner can read and write`).to.equal(0o600);
    expect(dirMode & 0o007, "no access for other users").to.equal(0);
    expect(fileMode & 0o007, "no access for other users").to.equal(0);
  });

  it("runs the writer non-root with a read-only root filesystem, writing only to the share at STATE_DIR", () => {
    const s = stateOf(g.one(T.deployment, "pingpong"));
    expect(s.pod.securityContext.runAsNonRoot).to.equal(true);
    expect(s.uid).to.be.above(0);
    expect(s.container.securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(s.container.securityContext.capabilities.drop).to.include("ALL");
    expect(s.mount.mountPath).to.equal(s.env.STATE_DIR);
    // Azure Files: one share per claim, mounted at its root (subPath is the k3d layout).
    expect(s.mount).to.not.have.property("subPath");
  });

  it("keeps the share when the claim goes away (Retain): switching state off loses no counts", () => {
    expect(classOf(claimOf(g.one(T.deployment, "pingpong"))).inputs.reclaimPolicy).to.equal("Retain");
  });
});
