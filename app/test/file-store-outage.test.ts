import { expect } from "chai";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

/**
 * The file stores lose their directory under a running role (a volume unmounted, a claim deleted):
 * users get a clear 503 (never a number that was not stored), the pods leave the rotation but stay
 * alive, and once the directory is back they go on without a restart and without handing out a
 * number twice. The sibling of store-outage.test.ts (Redis, MongoDB) for `pod` and `shared-volume`.
 */
for (const layout of ["pod", "shared-volume"] as const) {
  for (const runner of RUNNERS) {
    describe(`${layout} store outage and recovery (${runner.name})`, function () {
      this.timeout(30_000);
      const dir = tempDir(`outage-${layout}-${runner.name}`);
      const pingpongDir = path.join(dir.path, "pingpong");
      const statsDir = path.join(dir.path, "stats");
      const A = { "x-forwarded-for": "203.0.113.7" };
      let pingpong: RunningRole;
      let stats: RunningRole;

      before(async function () {
        [pingpong, stats] = await Promise.all([
          runner.start("pingpong", { STATE: layout, STATE_DIR: pingpongDir }),
          runner.start("stats", { STATE: layout, STATE_DIR: statsDir, TRUST_PROXY: "true", POD_IP: "10.1.2.5" }),
        ]);
      });
      after(async function () {
        await Promise.all([pingpong?.stop(), stats?.stop()]);
        dir.remove();
      });

      it("counts normally before the outage", async function () {
        for (let k = 0; k < 2; k++) expect((await pingpong.get("/pingpong")).body).to.equal(`pong ${k}`);
        for (let k = 0; k < 2; k++) expect((await stats.get("/", A)).status).to.equal(200);
        expect((await stats.get("/favicon.ico", A)).status).to.equal(404);
        expect((await statsOf(stats, A)).total, "a 404 and a /stats read count nothing").to.equal(2);
      });

      it(`answers 503 'state store unavailable: ${layout}: …' and /readyz 503 while the directory is gone; /healthz stays 200`, async function () {
        rmSync(pingpongDir, { recursive: true, force: true });
        rmSync(statsDir, { recursive: true, force: true });
        for (const [app, p] of [[pingpong, "/pingpong"], [stats, "/"]] as const) {
          const res = await app.get(p, A);
          expect(res.status, `${p}: ${res.body}`).to.equal(503);
          expect(res.body, p).to.match(new RegExp(`^state store unavailable: ${layout}: `));
        }
        for (const [role, app] of [["pingpong", pingpong], ["stats", stats]] as const) {
          const ready = await app.get("/readyz");
          expect(ready.status, `${role} /readyz: ${ready.body}`).to.equal(503);
          expect(ready.body).to.match(new RegExp(`state store ${layout} does not answer`));
          expect((await app.get("/healthz")).status, `${role}: alive, no reason to restart the pod`).to.equal(200);
        }
        const metrics = (await pingpong.get("/metrics")).body;
        expect(metrics).to.match(new RegExp(`state_store_errors_total\\{role="pingpong",store="${layout}",operation="increment"\\} [1-9]`));
      });

      it("recovers without a restart once the directory is back, handing out no number twice", async function () {
        mkdirSync(pingpongDir);
        mkdirSync(statsDir);
        await Promise.all([pingpong.waitReady(10_000), stats.waitReady(10_000)]);
        expect((await pingpong.get("/pingpong")).body, "the failed request took no number").to.equal("pong 2");
        expect((await stats.get("/", A)).status).to.equal(200);
        expect((await statsOf(stats, A)).total, "the failed hit was not counted").to.equal(3);
      });
    });
  }
}
