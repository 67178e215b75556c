/**
 * The pages people open, driven in a real chromium (Debian package, through playwright-core)
 * against the roles running as real processes on loopback. Each test ends with a screenshot in
 * test-results/ (git-ignored; CI keeps it as an artefact).
 */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { Browser, countNavigations, screenshot } from "./helpers/browser";
import { post } from "./helpers/net";
import { RoleProcess } from "./helpers/role";
import { statsOf } from "./helpers/stats";
import { tempDir } from "./helpers/tmp";

describe("pages in a real browser (chromium)", function () {
  this.timeout(30_000);
  let browser: Browser;
  let context: BrowserContext | undefined;
  /** A new tab in the current test's own fresh context. */
  const open = async (): Promise<Page> => (context ??= await browser.context()).newPage();

  before(async function () {
    browser = await Browser.launch();
  });
  // Before any server stops: the browser's keep-alive connections would hold up its graceful shutdown.
  afterEach(async function () {
    await context?.close();
    context = undefined;
  });
  after(async function () {
    await browser?.close();
  });

  describe("stats: Real Visit Results", function () {
    const dir = tempDir("browser-stats");
    const SERVER = "10.1.2.3";
    const A = "203.0.113.7";
    // What a hostile client could put in X-Forwarded-For: markup that would run or add elements.
    const EVIL = `<img src=x onerror="window.__pwned=1"><b id="injected">evil</b><script>window.__pwned=2</script>`;
    const OLD = "198.51.100.9";
    let stats: RoleProcess;

    before(async function () {
      // A visitor from an hour ago, already in this replica's file: its line must be drawn as old.
      const hourAgoUs = (Date.now() - 3_600_000) * 1000;
      writeFileSync(path.join(dir.path, "stats.json"), JSON.stringify({ format: "statefleet-stats/1", writer: "stats-0", pairs: [[OLD, SERVER, 4, hourAgoUs]] }));
      stats = await RoleProcess.start("stats", { STATE: "pod", STATE_DIR: dir.path, TRUST_PROXY: "true", POD_IP: SERVER, POD_NAME: "stats-0" });
    });
    after(async function () {
      await stats?.stop();
      dir.remove();
    });

    /** The page's lines as the browser parsed them: visible text and each <font>'s colour. */
    const linesOf = (page: Page) =>
      page.$$eval("p[style]", (ps) =>
        ps.map((p) => {
          const fonts = [...p.querySelectorAll("font")];
          return {
            text: (p as HTMLElement).innerText,
            count: Number(fonts[0]?.textContent),
            countColor: fonts[0]?.getAttribute("color"),
            guest: fonts[1]?.textContent ?? "",
            guestColor: fonts[1]?.getAttribute("color"),
            server: fonts[2]?.textContent ?? "",
            elements: p.querySelectorAll("*").length,
          };
        }),
      );

    it("two clients, three visits: own line LOCAL, recent lines red/blue, old ones maroon/navy, counts as sent, HTML shown as text; the JSON view agrees", async function () {
      const alice = await open();
      await alice.setExtraHTTPHeaders({ "x-forwarded-for": `${A}, 10.42.0.5` });
      const mallory = await open();
      await mallory.setExtraHTTPHeaders({ "x-forwarded-for": `${EVIL}, 10.42.0.5` });

      expect((await alice.goto(stats.url))?.status()).to.equal(200);
      expect((await mallory.goto(stats.url))?.status()).to.equal(200);
      // The second client's view: its own line marked, the first client's count so far; nothing ran.
      const seenByMallory = await linesOf(mallory);
      expect(seenByMallory.filter((l) => l.guest.startsWith("LOCAL: ")).map((l) => l.guest)).to.deep.equal([`LOCAL: ${EVIL}`]);
      expect(seenByMallory.find((l) => l.guest === A)?.count).to.equal(1);
      expect(seenByMallory.find((l) => l.guest === `LOCAL: ${EVIL}`)).to.deep.include({ count: 1, countColor: "red", guestColor: "blue" });
      expect(await mallory.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);

      expect((await alice.goto(stats.url))?.status()).to.equal(200);
      await alice.getByRole("heading", { name: "Real Visit Results" }).waitFor();
      const lines = await linesOf(alice);
      const byGuest = (g: string) => lines.find((l) => l.guest === g || l.guest === `LOCAL: ${g}`);
      expect(lines.map((l) => l.guest)).to.have.members([OLD, `LOCAL: ${A}`, EVIL]);
      expect(byGuest(A)).to.deep.include({ count: 2, countColor: "red", guestColor: "blue", server: SERVER });
      // Seen moments ago (under 3 s on any sane machine, but not guaranteed): either colour pair, never mixed.
      expect(byGuest(EVIL)).to.deep.include({ count: 1, server: SERVER });
      expect([["red", "blue"], ["maroon", "navy"]]).to.deep.include([byGuest(EVIL)?.countColor, byGuest(EVIL)?.guestColor]);
      expect(byGuest(OLD)).to.deep.include({ count: 4, countColor: "maroon", guestColor: "navy", server: SERVER });
      // Three fonts per line and nothing else: the hostile string added no element and ran nothing.
      for (const l of lines) expect(l.elements, l.text).to.equal(3);
      expect(await alice.locator("#injected, img, body script").count()).to.equal(0);
      expect(await alice.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
      expect(byGuest(EVIL)?.text).to.contain(`requests from <${EVIL}> to WebServer <${SERVER}>`);

      // The JSON view (read-only) in the same browser: same pairs and counts, same LOCAL pair.
      const jsonPage = await open();
      await jsonPage.setExtraHTTPHeaders({ "x-forwarded-for": A });
      await jsonPage.goto(`${stats.url}/stats`);
      const json = JSON.parse(await jsonPage.locator("body").innerText()) as Awaited<ReturnType<typeof statsOf>>;
      const counted = lines.map((l) => `${l.guest.replace(/^LOCAL: /, "")} ${l.count} ${l.server}`).sort();
      expect(json.pairs.map((p) => `${p.client} ${p.count} ${p.server}`).sort()).to.deep.equal(counted);
      expect(json.pairs.filter((p) => p.local).map((p) => p.client)).to.deep.equal([A]);
      expect(json.total).to.equal(7);
      await screenshot(alice, "stats-page");
    });
  });

  describe("sms: the spam checker form", function () {
    let model: RoleProcess;
    let app: RoleProcess;
    const SPAM = "WINNER!! You have won a free prize of 1000 pounds. Call 09061701461 now to claim your cash reward";

    before(async function () {
      model = await RoleProcess.start("sms-model", { MODEL_VERSION: "v1" });
      app = await RoleProcess.start("sms-app", { MODEL_HOST: model.url, APP_VERSION: "v1", MODEL_TIMEOUT_MS: "2000" });
    });
    after(async function () {
      await Promise.all([app, model].filter((p) => p && !p.exited).map((p) => p.stop()));
    });

    /** The form as a person fills it: type, pick a guess, press Check. */
    async function check(page: Page, sms: string, guess: "spam" | "ham"): Promise<void> {
      await page.getByLabel("Message").fill(sms);
      await page.getByRole("radio", { name: guess === "spam" ? "spam" : "ham (not spam)", exact: true }).check();
      await page.getByRole("button", { name: "Check" }).click();
    }
    const result = (page: Page) => page.getByRole("status");
    /** Waits until the result area shows something other than the in-progress text. */
    async function answer(page: Page): Promise<string> {
      await page.waitForFunction(() => {
        const t = document.getElementById("result")?.textContent ?? "";
        return t !== "" && !t.startsWith("Checking");
      });
      return (await result(page).textContent()) ?? "";
    }

    it("shows the classifier's verdict and whether it agrees with the guess, without reloading the page", async function () {
      const verdict = JSON.parse((await post(`${app.url}/sms/`, JSON.stringify({ sms: SPAM, guess: "spam" }))).body) as { result: string; classifier: string };
      const page = await open();
      await page.goto(`${app.url}/sms/`);
      const navigations = countNavigations(page);

      await check(page, SPAM, "spam");
      const first = await answer(page);
      expect(first).to.equal(`The classifier ${verdict.result === "spam" ? "agrees" : "disagrees"}: ${verdict.result} (${verdict.classifier})`);

      const other = verdict.result === "spam" ? "ham" : "spam";
      await check(page, SPAM, other);
      await page.waitForFunction((before) => document.getElementById("result")?.textContent !== before && !document.getElementById("result")?.textContent?.startsWith("Checking"), first);
      expect(await result(page).textContent()).to.equal(`The classifier disagrees: ${verdict.result} (${verdict.classifier})`);

      expect(navigations(), "the page navigated (a reload or a form post)").to.equal(0);
      expect(await page.getByLabel("Message").inputValue(), "what the person typed is still there").to.equal(SPAM);
      await screenshot(page, "sms-verdict");
    });

    it("an empty, a blank or a too-long message shows the server's own error", async function () {
      const page = await open();
      await page.goto(`${app.url}/sms/`);
      const navigations = countNavigations(page);
      for (const [sms, error] of [
        ["", "sms: empty (allowed: a string of 1 to 1600 characters)"],
        ["   ", "sms: empty (allowed: a string of 1 to 1600 characters)"],
        ["x".repeat(1601), "sms: 1601 characters is too long (allowed: at most 1600)"],
      ] as const) {
        await page.evaluate(() => (document.getElementById("result")!.textContent = ""));
        await check(page, sms, "ham");
        expect(await answer(page), JSON.stringify(sms.slice(0, 10))).to.equal(`Error: ${error}`);
      }
      expect(navigations()).to.equal(0);
      await screenshot(page, "sms-too-long");
    });

    it("takes a long message of emoji whole: the server counts characters, the page must not cut at 1600 UTF-16 units", async function () {
      const page = await open();
      await page.goto(`${app.url}/sms/`);
      const message = "😀".repeat(1000); // 1,000 characters (the limit is 1,600), 2,000 UTF-16 units
      await page.getByLabel("Message").focus();
      await page.keyboard.insertText(message); // as a paste
      expect([...(await page.getByLabel("Message").inputValue())].length, "characters left in the box").to.equal(1000);
      await page.getByRole("button", { name: "Check" }).click();
      expect(await answer(page)).to.match(/^The classifier (agrees|disagrees): (spam|ham) \(/);
    });

    it("says clearly that the classifier is unavailable when the model is down, and when the checker itself is", async function () {
      const page = await open();
      await page.goto(`${app.url}/sms/`);
      // Last test of this block: the after hook stops whatever is left.
      await model.kill();
      await check(page, SPAM, "spam");
      expect(await answer(page)).to.match(/^The classifier is not available right now; try again later\. \(model: cannot reach http:\/\/127\.0\.0\.1:\d+\/predict \(ECONNREFUSED\)\)$/);
      await screenshot(page, "sms-model-down");

      await app.kill();
      await page.evaluate(() => (document.getElementById("result")!.textContent = ""));
      await check(page, SPAM, "spam");
      expect(await answer(page)).to.match(/^Cannot reach the checker; check your connection and try again\./);
    });
  });

  describe("logoutput: the status text", function () {
    const dir = tempDir("browser-logoutput");
    const INTERVAL_MS = 300;
    let pingpong: RoleProcess;
    let log: RoleProcess;

    before(async function () {
      pingpong = await RoleProcess.start("pingpong", { STATE: "pod", STATE_DIR: dir.path });
      log = await RoleProcess.start("logoutput", { PINGPONG_URL: pingpong.url, LOG_INTERVAL_MS: String(INTERVAL_MS) });
    });
    after(async function () {
      await Promise.all([log?.stop(), pingpong?.stop()]);
      dir.remove();
    });

    const LINE = /^(\S+): ([0-9a-f-]{36})\.\nPing \/ Pongs: (\d+)$/;
    async function shown(page: Page): Promise<{ at: number; uuid: string; count: number }> {
      const m = LINE.exec((await page.locator("body").innerText()).trim());
      if (!m) throw new Error(`the page does not show the status line: ${await page.locator("body").innerText()}`);
      return { at: Date.parse(m[1] as string), uuid: m[2] as string, count: Number(m[3]) };
    }

    it("shows a new line every interval on reload: same UUID, a later time, the count of pongs sent before it", async function () {
      const page = await open();
      await page.goto(log.url);
      const seen = [await shown(page)];
      for (let pongs = 1; pongs <= 3; pongs++) {
        expect((await pingpong.get("/pingpong")).status).to.equal(200);
        const sent = Date.now();
        // Reload until a line stamped after that pong is on screen (bounded: an interval is 300 ms).
        const deadline = sent + 5000;
        let next = await shown(page);
        while (next.at <= sent) {
          if (Date.now() > deadline) throw new Error(`no line newer than the pong after 5 s; still showing ${JSON.stringify(next)}`);
          await page.reload();
          next = await shown(page);
        }
        // Stamped when its read began, after the pong: it shows exactly the pongs sent so far.
        expect(next.count, `line ${pongs}`).to.equal(pongs);
        seen.push(next);
      }
      const gaps = seen.slice(1).map((s, i) => s.at - seen[i]!.at);
      for (const gap of gaps) expect(gap, `gaps ${gaps.join(", ")} ms`).to.be.at.least(INTERVAL_MS);
      expect(new Set(seen.map((s) => s.uuid)).size, "one UUID per process").to.equal(1);
      await screenshot(page, "logoutput");
    });
  });
});
