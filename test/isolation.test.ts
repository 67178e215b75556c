import { expect } from "chai";
import { evaluate } from "./harness/evaluate";

describe("stack isolation", () => {
  it("evaluates dev, aks, dev in one process without one leaking into the next", async () => {
    const dev1 = await evaluate("dev");
    const aks = await evaluate("aks");
    const dev2 = await evaluate("dev", { overrides: { "statefleet:cluster": { name: "other" } } });
    const names = (g: typeof dev1) => g.resources.map((r) => `${r.type}::${r.name}`).sort();
    expect(aks.resources.some((r) => r.type === "command:local:Command"), "k3d resources in the aks stack").to.equal(false);
    expect(dev2.resources.some((r) => r.type.startsWith("azure-native:")), "AKS resources in a later dev stack").to.equal(false);
    expect(names(dev2)).to.deep.equal(names(dev1));
    expect(dev2.one("command:local:Command", "cluster-create").inputs.create).to.contain("k3d cluster create 'other'");
    expect(dev1.one("command:local:Command", "cluster-create").inputs.create).to.contain("k3d cluster create 'statefleet'");
    expect(dev2.resources.every((r) => r.urn.startsWith("urn:pulumi:dev::statefleet::"))).to.equal(true);
    expect(aks.resources.every((r) => r.urn.startsWith("urn:pulumi:aks::statefleet::"))).to.equal(true);
  });
});
