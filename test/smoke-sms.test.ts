/**
 * The sms smoke check (smoke/variants/sms.ts) against real sms-app processes: it passes for one
 * app version, and it fails — naming the cookie — when two versions sit behind a proxy that
 * ignores the version cookie (what a mesh without the sticky rules would do).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { killAll } from "../app/test/helpers/processes";
import { RoleProcess } from "../app/test/helpers/role";
import { EXIT } from "../smoke/run";
import { smokeOnOutputs } from "./harness/smoke";
import { RoundRobinProxy } from "./harness/round-robin-proxy";

describe("npm run smoke: the sms check against real sms-app processes", function () {
  this.timeout(60_000);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "statefleet-smoke-sms-"));
  let v1: RoleProcess;
  let v2: RoleProcess;
  let proxy: RoundRobinProxy;

  before(async () => {
    const model = await RoleProcess.start("sms-model", { MODEL_VERSION: "v1" });
    [v1, v2] = await Promise.all(["v1", "v2"].map((v) => RoleProcess.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: v })));
    proxy = await RoundRobinProxy.start([v1.url, v2.url]);
  });
  after(async () => {
    await proxy?.stop();
    await killAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  const smoke = (smsUrl: string) => smokeOnOutputs(scratch, { enabledVariants: ["sms"], smsUrl }, ["--requests", "6", "--wait-s", "2", "--timeout-ms", "2000"]);

  it("passes against one app version: page, 6 more requests on the same version, Hello World!", async () => {
    const { code, lines } = await smoke(`${v2.url}/sms/`);
    expect(lines.filter((l) => l.includes("✗")), lines.join("\n")).to.deep.equal([]);
    expect(code).to.equal(EXIT.ok);
    expect(lines).to.include("  ✓ serves the /sms/ page — app v2");
    expect(lines).to.include("  ✓ keeps this browser on app v2 for 6 more requests (version cookie) — 6 × app v2");
  });

  it("fails when the versions behind the URL ignore the version cookie", async () => {
    const { code, lines } = await smoke(`${proxy.url}/sms/`);
    expect(code).to.equal(EXIT.failed);
    expect(lines.some((l) => /✗ keeps this browser on app v\d .*the version cookie did not hold/.test(l)), lines.join("\n")).to.equal(true);
  });
});
