/**
 * The k3d registry, checked against k3d v5.8.3's own rules (github.com/k3d-io/k3d, tag v5.8.3),
 * re-stated here from its source so the test derives the truth from the create command we send,
 * not from the program's constants:
 *  - cmd/cluster/clusterCreate.go applyCLIOverrides: `--registry-create` is split once on ':'
 *    (`strings.SplitN(flagvalue, ":", 2)`); part 0 is the NAME, part 1 a port exposure spec;
 *  - cmd/util/ports.go ParsePortExposureSpec: `^(hostip|hostname:)?(port|random)$`, the host
 *    port is the last group;
 *  - pkg/config/transform.go TransformSimpleToClusterConfig: the registry's host name is that
 *    NAME as given (`regName = simpleConfig.Registries.Create.Name`); the `k3d-` prefix is added
 *    only by `k3d registry create` (cmd/registry/registryCreate.go parseCreateRegistryCmd);
 *  - pkg/client/registry.go RegistryGenerateK3sConfig: every node's registries.yaml gets a
 *    mirror for `NAME:HOSTPORT` and `NAME:5000` (the registry's internal port) and nothing else.
 */
import { expect } from "chai";
import { evaluate, valueOf } from "./harness/evaluate";
import type { Graph } from "./harness/graph";

/** k3d's registry port inside its container (pkg/types/registry.go DefaultRegistryPort). */
const K3D_REGISTRY_INTERNAL_PORT = "5000";
/** cmd/util/ports.go apiPortRegexp. */
const PORT_SPEC = /^(?<hostref>(?<hostip>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})|(?<hostname>\S+):)?(?<port>(\d{1,5}|random))$/;

/** What k3d makes of `--registry-create VALUE`: the registry's name, host binding, and the nodes' mirrors. */
function k3dRegistryFromFlag(value: string): { name: string; hostIp: string; hostPort: string; mirrors: string[] } {
  const at = value.indexOf(":");
  const [name, spec] = at < 0 ? [value, ""] : [value.slice(0, at), value.slice(at + 1)];
  const m = PORT_SPEC.exec(spec);
  if (!m?.groups) throw new Error(`k3d would refuse the port spec '${spec}'`);
  const hostPort = m.groups.port;
  return {
    name,
    hostIp: m.groups.hostip ?? m.groups.hostname ?? "0.0.0.0",
    hostPort,
    mirrors: [`${name}:${hostPort}`, `${name}:${K3D_REGISTRY_INTERNAL_PORT}`],
  };
}

/** The single-quoted value of a flag in the create command (the program quotes every operator value). */
function flagValue(cmd: string, flag: string): string {
  const m = new RegExp(`${flag} '([^']*)'`).exec(cmd);
  if (!m) throw new Error(`${flag} not in the create command:\n${cmd}`);
  return m[1];
}

const hostOf = (imageRef: string) => imageRef.slice(0, imageRef.indexOf("/"));

for (const [what, overrides] of [
  ["dev stack as committed", {}],
  ["another cluster name and registry port", { "statefleet:cluster": { name: "demo", k3d: { registryPort: 5999 } } }],
] as const) {
  describe(`k3d registry (${what}) against k3d v5.8.3's rules`, () => {
    let g: Graph;
    let reg: ReturnType<typeof k3dRegistryFromFlag>;
    before(async () => {
      g = await evaluate("dev", { overrides });
      reg = k3dRegistryFromFlag(flagValue(g.one("command:local:Command", "cluster-create").inputs.create, "--registry-create"));
    });

    it("pods pull the app image from a host:port the nodes have a containerd mirror for (no ImagePullBackOff)", async () => {
      const ref = await valueOf(g.outputs.appImage as never as string);
      expect(reg.mirrors, `k3d mirrors ${reg.mirrors.join(", ")}; pods pull ${ref}`).to.include(hostOf(ref));
      const pods = g.k8sObjects().filter(({ obj }) => obj.kind === "Deployment" && obj.metadata?.namespace === "statefleet-apps");
      expect(pods.length).to.be.greaterThan(0);
      for (const { obj } of pods) {
        for (const c of obj.spec.template.spec.containers) expect(reg.mirrors, `${obj.metadata?.name}/${c.name}`).to.include(hostOf(c.image));
      }
    });

    it("pushes from the operator's machine to the port k3d binds the registry to, on loopback", () => {
      const tag: string = g.one("docker-build:index:Image").inputs.tags[0];
      const [host, port] = hostOf(tag).split(":");
      expect(port).to.equal(reg.hostPort);
      expect(reg.hostIp, "the registry is not exposed beyond this machine").to.equal("127.0.0.1");
      // Docker trusts plain-HTTP registries on loopback only under these names.
      expect(["localhost", "127.0.0.1"]).to.include(host);
    });

    it("deletes the registry by the name k3d gave it", () => {
      const del: string = g.one("command:local:Command", "cluster-create").inputs.delete;
      expect(flagValue(del, "k3d registry delete")).to.equal(reg.name);
    });
  });
}

