/**
 * The app image's platform: built for the machine's architecture on k3d, linux/amd64 on AKS,
 * overridable, and only values the build tools parse.
 *
 * The truth comes from the tools, restated here with where it is written:
 *  - containerd/platforms Parse (used by BuildKit and by docker-build's provider through buildx
 *    util/platformutil.Parse, provider/internal/platform.go validate): a specifier has 1–3 parts
 *    separated by '/', each matching `^[A-Za-z0-9_-]+$`; with 2–3 parts they are os/arch[/variant];
 *  - the OCI image index spec: `architecture` values are Go's GOARCH names;
 *  - Node's `process.arch` values (nodejs.org/api/process.html#processarch), mapped to GOARCH per
 *    Go's `go tool dist list` (x64→amd64, ia32→386, ppc64 on Linux is little-endian→ppc64le).
 */
import { expect } from "chai";
import * as dockerBuild from "@pulumi/docker-build";
import { ConfigError, parseStackConfig } from "../config";
import { evaluate, stackFileConfig, type EvaluateOptions } from "./harness/evaluate";

/** containerd/platforms Parse, as far as accepting or refusing a specifier goes. */
function containerdParses(spec: string): { os?: string; arch?: string; variant?: string } | undefined {
  const parts = spec.split("/");
  if (parts.length < 1 || parts.length > 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  if (parts.length === 1) return { arch: parts[0] };
  return { os: parts[0], arch: parts[1], variant: parts[2] };
}

/** Node's process.arch → the GOARCH Docker names images with (OCI image index `architecture`). */
const GOARCH_OF_NODE_ARCH: Record<string, [string, string?]> = {
  x64: ["amd64"],
  arm64: ["arm64"],
  arm: ["arm", "v7"],
  ia32: ["386"],
  ppc64: ["ppc64le"],
  s390x: ["s390x"],
  riscv64: ["riscv64"],
  loong64: ["loong64"],
};

const configOf = (stack: string, cluster: Record<string, unknown> = {}) => {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackFileConfig(stack))) if (k.startsWith("statefleet:")) raw[k.slice(11)] = v;
  raw.cluster = { ...(raw.cluster as object), ...cluster };
  return raw;
};

/** Evaluates with process.arch reading `arch`, as it would on that machine. */
async function evaluateOn(arch: string, stack: string, opts: EvaluateOptions = {}) {
  const real = Object.getOwnPropertyDescriptor(process, "arch")!;
  Object.defineProperty(process, "arch", { ...real, value: arch });
  try {
    return await evaluate(stack, opts);
  } finally {
    Object.defineProperty(process, "arch", real);
  }
}

describe("app image platform", () => {
  describe("k3d builds for the machine it runs on (its nodes are containers there)", () => {
    for (const [nodeArch, [goarch, variant]] of Object.entries(GOARCH_OF_NODE_ARCH)) {
      it(`process.arch ${nodeArch} → linux/${goarch}${variant ? `/${variant}` : ""}, a platform containerd parses`, () => {
        const p = parseStackConfig("dev", configOf("dev"), nodeArch).cluster.imagePlatform;
        const parsed = containerdParses(p);
        expect(parsed, p).to.not.equal(undefined);
        expect(parsed).to.deep.equal({ os: "linux", arch: goarch, variant });
      });
    }

    it("refuses an architecture it cannot name, pointing at cluster.image.platform", () => {
      let err: unknown;
      try { parseStackConfig("dev", configOf("dev"), "mips"); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/statefleet:cluster\.image\.platform: .*"mips".*\(allowed: /);
    });

    for (const arch of ["arm64", "x64"]) {
      it(`dev stack on an ${arch} machine: the build's platform is the one docker-build knows for it`, async () => {
        const g = await evaluateOn(arch, "dev");
        const [goarch] = GOARCH_OF_NODE_ARCH[arch];
        const platforms: string[] = g.one("docker-build:index:Image").inputs.platforms;
        expect(platforms).to.deep.equal([`linux/${goarch}`]);
        expect(Object.values(dockerBuild.Platform), "a value of docker-build's Platform enum").to.include(platforms[0]);
      });
    }
  });

  describe("AKS", () => {
    it("builds linux/amd64 by default whatever the operator's machine is (the default VM sizes are x86)", async () => {
      const g = await evaluateOn("arm64", "aks");
      expect(g.one("docker-build:index:Image").inputs.platforms).to.deep.equal(["linux/amd64"]);
    });

    it("builds what cluster.image.platform says, e.g. linux/arm64 for Arm node pools", async () => {
      const g = await evaluateOn("x64", "aks", { overrides: { "statefleet:cluster": { image: { platform: "linux/arm64" } } } });
      expect(g.one("docker-build:index:Image").inputs.platforms).to.deep.equal(["linux/arm64"]);
    });
  });

  describe("cluster.image.platform accepts only Linux platforms the build tools parse", () => {
    const candidates = [
      "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/arm64/v8", "linux/ppc64le", "linux/s390x", "linux/riscv64",
      "amd64", "linux", "linux/", "/amd64", "linux//v7", "linux/amd64/", "linux/arm/v7/x", "linux/amd 64", "linux:amd64", "linux\\amd64",
      "windows/amd64", "darwin/arm64", "",
    ];
    for (const c of candidates) {
      const parsed = containerdParses(c);
      const shouldAccept = parsed !== undefined && parsed.os === "linux" && parsed.arch !== undefined;
      it(`${JSON.stringify(c)}: ${shouldAccept ? "accepted" : "refused"} (containerd ${parsed ? `parses os=${parsed.os ?? "(default)"}` : "refuses it"})`, () => {
        let err: unknown;
        try { parseStackConfig("dev", configOf("dev", { image: { platform: c } }), "x64"); } catch (e) { err = e; }
        if (shouldAccept) {
          expect(err, String(err)).to.equal(undefined);
          expect(parseStackConfig("dev", configOf("dev", { image: { platform: c } }), "x64").cluster.imagePlatform).to.equal(c);
        } else {
          expect(err).to.be.instanceOf(ConfigError);
          expect((err as Error).message).to.match(/statefleet:cluster\.image\.platform: .*\(allowed: auto, linux\/amd64, linux\/arm64/);
        }
      });
    }
  });
});
