import { expect } from "chai";
import { burst, type Outcome } from "./helpers/load";
import { MongoServer } from "./helpers/mongo";
import { RedisServer } from "./helpers/redis";
import { RoleProcess, type Env } from "./helpers/role";
import { pairLines, statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

const N = 300;
const CLIENTS = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "198.51.100.7", "2001:db8::1"];
const POD_IPS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];

/** Three replicas as separate processes, each with its own identity, like pods of one Deployment. */
async function startReplicas(env: (i: number) => Env): Promise<RoleProcess[]> {
  return Promise.all(
    POD_IPS.map((ip, i) => RoleProcess.start("stats", { TRUST_PROXY: "true", POD_NAME: `stats-${i}`, POD_IP: ip, ...env(i) })),
  );
}

/** What each (client, replica) pair must show after the burst: the requests that replica answered for it. */
function expectedLines(outcomes: Outcome[]): string[] {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.client} -> ${POD_IPS[o.replica]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}: ${n}`).sort();
}

describe("stats with 3 replicas (the seed-000 problem and its fixes)", function () {
  this.timeout(60_000);
  let replicas: RoleProcess[] = [];
  const dirs: Array<{ remove: () => void }> = [];
  let redis: RedisServer | undefined;
  let mongo: MongoServer | undefined;

  afterEach(async function () {
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
  });
  after(async function () {
    await Promise.all([redis?.stop(), mongo?.remove()]);
    dirs.forEach((d) => d.remove());
  });

  async function burstAndCheckAgreement(): Promise<void> {
    const outcomes = await burst(replicas.map((r) => r.url), N, CLIENTS);
    expect(outcomes.filter((o) => o.status !== 200), "requests that did not get a 200").to.deep.equal([]);
    const views = await Promise.all(replicas.map((r) => statsOf(r)));
    const expected = expectedLines(outcomes);
    for (const [i, view] of views.entries()) {
      expect(view.total, `replica ${i} total`).to.equal(N);
      expect(pairLines(view), `replica ${i} lines`).to.deep.equal(expected);
    }
    // Not just the same counts: the same page, in the same order, from every replica.
    const orders = views.map((v) => v.pairs.map((p) => `${p.client}>${p.server}@${p.lastSeen}`));
    expect(orders[1]).to.deep.equal(orders[0]);
    expect(orders[2]).to.deep.equal(orders[0]);
  }

  it(`redis: ${N} concurrent requests over 3 replicas → every replica shows exactly ${N}, identical lines`, async function () {
    redis = await RedisServer.start();
    const url = redis.url;
    replicas = await startReplicas(() => ({ STATE: "redis", REDIS_URL: url, REDIS_KEY_PREFIX: "t-replicas:" }));
    await burstAndCheckAgreement();
  });

  it(`mongo: ${N} concurrent requests over 3 replicas → every replica shows exactly ${N}, identical lines`, async function () {
    mongo = await MongoServer.start();
    const url = mongo.url("replicas");
    replicas = await startReplicas(() => ({ STATE: "mongo", MONGO_URL: url }));
    await burstAndCheckAgreement();
  });

  it(`shared-volume: ${N} concurrent requests over 3 replicas on one directory → every replica shows exactly ${N}`, async function () {
    const dir = tempDir("shared");
    dirs.push(dir);
    replicas = await startReplicas(() => ({ STATE: "shared-volume", STATE_DIR: dir.path }));
    await burstAndCheckAgreement();
  });

  it("pod: each replica sees only its own share, so replicas disagree (the seed-000 problem)", async function () {
    replicas = await startReplicas(() => {
      const dir = tempDir("pod");
      dirs.push(dir);
      return { STATE: "pod", STATE_DIR: dir.path };
    });
    const outcomes = await burst(replicas.map((r) => r.url), N, CLIENTS);
    expect(outcomes.filter((o) => o.status !== 200)).to.deep.equal([]);
    const views = await Promise.all(replicas.map((r) => statsOf(r)));
    const expected = expectedLines(outcomes);
    for (const [i, view] of views.entries()) {
      expect(view.total, `replica ${i}`).to.equal(N / 3);
      expect(view.pairs.every((p) => p.server === POD_IPS[i]), "only its own server's pairs").to.equal(true);
      expect(pairLines(view)).to.deep.equal(expected.filter((l) => l.includes(`-> ${POD_IPS[i]}:`)));
    }
    // The same client sees three different pages depending on which pod answers.
    expect(new Set(views.map((v) => JSON.stringify(pairLines(v)))).size).to.equal(3);
  });
});
