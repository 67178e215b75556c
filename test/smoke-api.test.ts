/**
 * The api smoke check (smoke/variants/api.ts) against real `api` processes and a real
 * Mongo-protocol server (FerretDB behind tools/ferretdb's serialising proxy): it passes for two
 * replicas sharing one database, and it fails — naming the missing documents — when the replicas
 * behind the URL write to different databases (what two stacks' pods mixed behind one entry, or a
 * replica on the wrong connection string, would look like).
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { MongoServer } from "../app/test/helpers/mongo";
import { killAll } from "../app/test/helpers/processes";
import { RoleProcess } from "../app/test/helpers/role";
import { EXIT } from "../smoke/run";
import { smokeOnOutputs } from "./harness/smoke";
import { RoundRobinProxy } from "./harness/round-robin-proxy";

describe("npm run smoke: the api check against real api processes and FerretDB", function () {
  this.timeout(180_000); // a developer's first run may build the FerretDB binary (tools/ferretdb/build.sh)
  const scratch = mkdtempSync(path.join(os.tmpdir(), "statefleet-smoke-api-"));
  let mongo: MongoServer;
  const proxies: RoundRobinProxy[] = [];

  const api = (database: string) =>
    RoleProcess.start("api", { MONGO_URL: mongo.url(database), API_WRITES: "batched", API_CACHE: "none", API_BATCH_MAX_WAIT_MS: "2" });

  before(async () => {
    mongo = await MongoServer.start();
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await killAll();
    await mongo?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function behindProxy(replicas: RoleProcess[]): Promise<string> {
    const proxy = await RoundRobinProxy.start(replicas.map((r) => r.url));
    proxies.push(proxy);
    return `${proxy.url}/api/data`;
  }

  const smoke = (apiUrl: string) => smokeOnOutputs(scratch, { enabledVariants: ["api"], apiUrl }, ["--requests", "6", "--wait-s", "2", "--timeout-ms", "5000"]);

  it("passes against two replicas on one database: the contract, exactly 5 documents per request, cache status", async () => {
    const url = await behindProxy(await Promise.all([api("shared"), api("shared")]));
    const { code, lines } = await smoke(url);
    expect(lines.filter((l) => l.includes("✗")), lines.join("\n")).to.deep.equal([]);
    expect(code).to.equal(EXIT.ok);
    expect(lines.join("\n")).to.match(/✓ answers the seed's \/api\/data contract — 5 writes, \d reads/);
    expect(lines.join("\n")).to.match(/✓ adds exactly 5 documents per answered request over 6 calls — total_documents (\d+) → (\d+)/);
    const [, before, after] = /total_documents (\d+) → (\d+)/.exec(lines.join("\n"))!;
    expect(Number(after) - Number(before)).to.equal(30);
    expect(lines).to.include("  ✓ answers /api/cache/status — cache off");
  });

  it("fails, naming the missing documents, when the replicas behind the URL keep different databases", async () => {
    const url = await behindProxy(await Promise.all([api("left"), api("right")]));
    const { code, lines } = await smoke(url);
    expect(code).to.equal(EXIT.failed);
    const bad = lines.filter((l) => l.includes("✗"));
    expect(bad, lines.join("\n")).to.have.length(1);
    expect(bad[0]).to.match(/✗ adds exactly 5 documents per answered request over 6 calls — total_documents went \d+ → \d+, expected (at least )?\d+/);
  });
});
