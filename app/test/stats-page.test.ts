import { expect } from "chai";
import { parsePage, statsOf, LINE_RE } from "./helpers/stats";
import { RUNNERS, type RunningRole } from "./helpers/in-process";
import { RoleProcess } from "./helpers/role";
import { tempDir } from "./helpers/tmp";
import { sleep } from "./helpers/processes";

for (const runner of RUNNERS) {
  /** The page rules of seed 000 on one replica (STATE=pod), behind a trusted proxy. */
  describe(`stats page (${runner.name})`, function () {
    const dir = tempDir(`stats-page-${runner.name}`);
    let app: RunningRole;
    const xff = (client: string) => ({ "x-forwarded-for": `${client}, 10.42.0.5` });

    before(async function () {
      app = await runner.start("stats", { STATE: "pod", STATE_DIR: dir.path, TRUST_PROXY: "true", POD_IP: "10.1.2.3" });
    });
    after(async function () {
      await app?.stop();
      dir.remove();
    });

    it("serves the upstream HTML page that already counts the current request", async function () {
      const first = await app.get("/", xff("10.0.0.7"));
      expect(first.status).to.equal(200);
      expect(first.headers["content-type"]).to.match(/^text\/html/);
      expect(first.headers["cache-control"]).to.equal("no-store");
      expect(first.body.startsWith("<!DOCTYPE html>")).to.equal(true);
      expect(first.body).to.match(LINE_RE);
      const line = parsePage(first.body).find((l) => l.client === "10.0.0.7");
      expect(line).to.deep.include({ count: 1, local: true, server: "10.1.2.3", countColor: "red", nameColor: "blue" });

      const second = parsePage((await app.get("/", xff("10.0.0.7"))).body).find((l) => l.client === "10.0.0.7");
      expect(second?.count).to.equal(2);
    });

    it("shows UTC timestamps in YYYY-MM-DD HH:MM:SS, matching the JSON lastSeen", async function () {
      const before = Date.now();
      const page = parsePage((await app.get("/", xff("10.0.0.70"))).body).find((l) => l.client === "10.0.0.70");
      const json = (await statsOf(app)).pairs.find((p) => p.client === "10.0.0.70");
      expect(page?.time).to.equal(json?.lastSeen.slice(0, 19).replace("T", " "));
      expect(Date.parse(`${json?.lastSeen}`)).to.be.within(before - 1000, Date.now() + 1000);
    });

    it("does not count a 404, a /stats read or a probe", async function () {
      const before = (await statsOf(app)).total;
      for (const path of ["/nope", "/index.html", "/stats/x", "/rivka"]) {
        expect((await app.get(path, xff("10.0.0.7"))).status, path).to.equal(404);
      }
      await app.get("/healthz");
      await app.get("/readyz");
      await app.get("/metrics");
      await statsOf(app, xff("10.0.0.7"));
      expect((await statsOf(app)).total).to.equal(before);
    });

    it("marks only the requester's own pair LOCAL", async function () {
      await app.get("/", xff("10.0.0.8"));
      const lines = parsePage((await app.get("/", xff("10.0.0.9"))).body);
      expect(lines.find((l) => l.client === "10.0.0.9")?.local).to.equal(true);
      expect(lines.find((l) => l.client === "10.0.0.8")?.local).to.equal(false);
      expect(lines.filter((l) => l.local)).to.have.length(1);
    });

    it("marks only the requester's own pair local in the JSON views (counting and read-only)", async function () {
      await app.get("/", xff("10.0.3.1"));
      const counted = JSON.parse((await app.get("/?format=json", xff("10.0.3.2"))).body) as { pairs: { client: string; local: boolean }[] };
      expect(counted.pairs.filter((p) => p.local).map((p) => p.client)).to.deep.equal(["10.0.3.2"]);
      expect(counted.pairs.length, "other clients are listed too").to.be.greaterThan(1);
      const read = await statsOf(app, xff("10.0.3.1"));
      expect(read.pairs.filter((p) => p.local).map((p) => p.client)).to.deep.equal(["10.0.3.1"]);
    });

    it("shows the same pairs in the HTML and JSON views: order, counts, LOCAL, time", async function () {
      for (const c of ["10.0.4.1", "10.0.4.2", "10.0.4.1"]) await app.get("/", xff(c));
      const html = parsePage((await app.get("/", xff("10.0.4.2"))).body);
      const json = await statsOf(app, xff("10.0.4.2")); // does not count: the same state as the page
      expect(html.map((l) => ({ client: l.client, server: l.server, count: l.count, local: l.local, time: l.time }))).to.deep.equal(
        json.pairs.map((p) => ({ client: p.client, server: p.server, count: p.count, local: p.local, time: p.lastSeen.slice(0, 19).replace("T", " ") })),
      );
      expect(html.reduce((sum, l) => sum + l.count, 0)).to.equal(json.total);
    });

    it("lists pairs oldest hit first, the pair just hit last", async function () {
      for (const c of ["10.0.1.1", "10.0.1.2", "10.0.1.3"]) await app.get("/", xff(c));
      let clients = parsePage((await app.get("/", xff("10.0.1.1"))).body).map((l) => l.client);
      expect(clients.slice(-3)).to.deep.equal(["10.0.1.2", "10.0.1.3", "10.0.1.1"]);
      clients = parsePage((await app.get("/", xff("10.0.1.2"))).body).map((l) => l.client);
      expect(clients.slice(-3)).to.deep.equal(["10.0.1.3", "10.0.1.1", "10.0.1.2"]);
    });

    it("takes the first X-Forwarded-For hop, trimmed", async function () {
      const res = await app.get("/?format=json", { "x-forwarded-for": "  10.9.9.9 ,10.0.0.1, 10.42.0.5" });
      expect(JSON.parse(res.body).client).to.equal("10.9.9.9");
    });

    it("escapes HTML in a hostile X-Forwarded-For", async function () {
      const hostile = `<script>alert("x")</script>&<b>`;
      const res = await app.get("/", { "x-forwarded-for": hostile });
      expect(res.status).to.equal(200);
      expect(res.body).not.to.include("<script>");
      expect(res.body).not.to.include("<b>");
      expect(res.body).to.include("LOCAL: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;");
      // The JSON view keeps the raw value (JSON encoding is the escaping there).
      expect((await statsOf(app)).pairs.some((p) => p.client === hostile)).to.equal(true);
    });

    it("answers 400 and counts nothing for a malformed X-Forwarded-For", async function () {
      const before = (await statsOf(app)).total;
      const bad = ["", " ", ", 10.0.0.1", "x".repeat(256), "10.0.0.1\tevil, 10.0.0.2"];
      for (const value of bad) {
        const res = await app.get("/", { "x-forwarded-for": value });
        expect(res.status, JSON.stringify(value)).to.equal(400);
        expect(res.headers["content-type"]).to.equal("text/plain; charset=utf-8");
        expect(res.body).to.match(/^bad request: malformed X-Forwarded-For/);
      }
      expect((await app.get("/", { "x-forwarded-for": "x".repeat(255) })).status).to.equal(200);
      expect((await statsOf(app)).total).to.equal(before + 1);
    });

    it("serves the same page as JSON for ?format=json or Accept: application/json, counted like the page", async function () {
      const before = (await statsOf(app)).total;
      const a = await app.get("/?format=json", xff("10.0.2.1"));
      expect(a.headers["content-type"]).to.match(/^application\/json/);
      const body = JSON.parse(a.body);
      expect(body).to.have.all.keys("server", "client", "pairs", "total");
      expect(body.server).to.equal("10.1.2.3");
      expect(body.client).to.equal("10.0.2.1");
      expect(body.total).to.equal(before + 1);
      expect(body.pairs.at(-1)).to.deep.include({ client: "10.0.2.1", server: "10.1.2.3", count: 1, local: true });
      expect(body.pairs.at(-1).lastSeen).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const b = await app.get("/", { ...xff("10.0.2.1"), accept: "application/json" });
      expect(JSON.parse(b.body).total).to.equal(before + 2);
      const browser = await app.get("/", { ...xff("10.0.2.1"), accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" });
      expect(browser.headers["content-type"]).to.match(/^text\/html/);
      expect((await statsOf(app)).total).to.equal(before + 3);
    });

    it("draws a pair maroon/navy once its last hit is 3 s old", async function () {
      this.timeout(10_000);
      await app.get("/", xff("10.0.3.1"));
      await sleep(3100);
      const lines = parsePage((await app.get("/", xff("10.0.3.2"))).body);
      expect(lines.find((l) => l.client === "10.0.3.1")).to.deep.include({ countColor: "maroon", nameColor: "navy" });
      expect(lines.find((l) => l.client === "10.0.3.2")).to.deep.include({ countColor: "red", nameColor: "blue" });
    });

    it("keeps its counts across a graceful restart on the same STATE_DIR", async function () {
      const before = await statsOf(app);
      expect(await app.stop()).to.equal(0);
      app = await app.restart();
      expect((await statsOf(app)).pairs).to.deep.equal(before.pairs);
    });

    if (runner.name === "process") {
      it("keeps every answered count across a kill -9 on the same STATE_DIR", async function () {
        const proc = app as RoleProcess;
        const before = await statsOf(proc);
        await proc.get("/", xff("10.0.4.1"));
        await proc.kill();
        app = await proc.restart();
        expect((await statsOf(app)).total).to.equal(before.total + 1);
      });
    }
  });
}

for (const runner of RUNNERS) {
  describe(`stats without a trusted proxy (${runner.name})`, function () {
    const dir = tempDir(`stats-untrusted-${runner.name}`);
    let app: RunningRole;

    before(async function () {
      app = await runner.start("stats", { STATE: "pod", STATE_DIR: dir.path, TRUST_PROXY: "false", POD_IP: "10.1.2.4" });
    });
    after(async function () {
      await app?.stop();
      dir.remove();
    });

    it("ignores X-Forwarded-For (even a malformed one) and counts the socket's address", async function () {
      const res = await app.get("/", { "x-forwarded-for": "10.0.0.7" });
      expect(res.status).to.equal(200);
      expect(res.body).not.to.include("10.0.0.7");
      const lines = parsePage(res.body);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.deep.include({ client: "127.0.0.1", local: true, count: 1, server: "10.1.2.4" });
      expect((await app.get("/", { "x-forwarded-for": ", x" })).status).to.equal(200);
      expect((await statsOf(app, { "x-forwarded-for": "10.0.0.7" })).pairs).to.have.length(1);
      expect((await statsOf(app)).total).to.equal(2);
    });
  });
}
