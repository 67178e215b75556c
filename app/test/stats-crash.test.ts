import { expect } from "chai";
import { mayHaveCounted, sustained, type Outcome } from "./helpers/load";
import { waitFor } from "./helpers/net";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { RoleProcess, type Env } from "./helpers/role";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

const CLIENTS = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "198.51.100.7"];
const POD_IPS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];

/**
 * kill -9 one of three replicas under load, restart it, keep the load going.
 * The acknowledgement rule says: every 200 is counted. A request whose connection broke
 * when the process died may or may not have been counted (its increment can be durable
 * while the answer never left), so the total must lie in [200s, 200s + broken]; nothing else
 * may be lost or counted twice, and every replica, the restarted one included, must agree.
 */
describe("stats replicas under load with a kill -9", function () {
  this.timeout(60_000);
  let replicas: RoleProcess[] = [];
  let redis: RedisServer | undefined;
  let mongo: MongoServer | undefined;
  const dir = tempDir("crash");

  afterEach(async function () {
    await Promise.all(replicas.map((r) => (r.exited ? undefined : r.stop())));
    replicas = [];
  });
  after(async function () {
    await Promise.all([redis?.stop(), mongo?.remove()]);
    dir.remove();
  });

  async function crashUnderLoad(env: Env): Promise<void> {
    replicas = await Promise.all(
      POD_IPS.map((ip, i) => RoleProcess.start("stats", { TRUST_PROXY: "true", POD_NAME: `stats-${i}`, POD_IP: ip, ...env })),
    );
    // Like a Service's endpoints: a replica leaves the rotation when it dies and comes back
    // once /readyz says so (a starting replica answers 503 until its store is connected).
    const inRotation = [true, true, true];
    const load = sustained(() => replicas.map((r, i) => (inRotation[i] ? r.url : undefined)), 12, CLIENTS);
    const after = async (n: number) => {
      const target = load.count() + n;
      await waitFor(`${n} more requests`, async () => load.count() >= target, 20_000, 10);
    };
    await after(150);
    await (replicas[1] as RoleProcess).kill();
    inRotation[1] = false;
    await after(100);
    replicas[1] = await (replicas[1] as RoleProcess).restart();
    inRotation[1] = true;
    await after(200);
    const outcomes = await load.stop();

    const ok = outcomes.filter((o) => o.status === 200);
    const broken = outcomes.filter(mayHaveCounted);
    const other = outcomes.filter((o) => o.status !== undefined && o.status !== 200);
    expect(other, "answers other than 200").to.deep.equal([]);
    expect(broken.every((o) => o.replica === 1), "only the killed replica may break connections").to.equal(true);
    expect(ok.filter((o) => o.replica === 1).length, "the restarted replica served requests").to.be.greaterThan(0);

    const views = await Promise.all(replicas.map((r) => statsOf(r)));
    for (const [i, view] of views.entries()) {
      expect(view.total, `replica ${i}: total vs ${ok.length} answered 200 and ${broken.length} broken`).to.be.within(
        ok.length,
        ok.length + broken.length,
      );
      for (const p of view.pairs) {
        const mine = (list: Outcome[]) => list.filter((o) => o.client === p.client && POD_IPS[o.replica] === p.server).length;
        expect(p.count, `${p.client} -> ${p.server}`).to.be.within(mine(ok), mine(ok) + mine(broken));
      }
    }
    expect(views.map((v) => v.total), "every replica shows the same total").to.deep.equal(views.map(() => views[0]?.total));
  }

  it("redis: no answered request is lost or double counted, and the restarted replica continues", async function () {
    redis = await RedisServer.start();
    await crashUnderLoad({ STATE: "redis", REDIS_URL: redis.url, REDIS_KEY_PREFIX: "t-crash:" });
  });

  it("mongo: no answered request is lost or double counted, and the restarted replica continues", async function () {
    mongo = await MongoServer.start();
    await crashUnderLoad({ STATE: "mongo", MONGO_URL: mongo.url("crash") });
  });

  it("shared-volume: no answered request is lost or double counted, and the restarted replica continues", async function () {
    await crashUnderLoad({ STATE: "shared-volume", STATE_DIR: dir.path });
  });
});
