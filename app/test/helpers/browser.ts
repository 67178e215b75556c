import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser as PlaywrightBrowser, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); STATEFLEET_CHROMIUM names another build. */
export const CHROMIUM = process.env.STATEFLEET_CHROMIUM || "/usr/bin/chromium";

/** Screenshots land here (git-ignored); CI keeps the folder as an artefact for reviewers. */
export const RESULTS_DIR = path.resolve(__dirname, "..", "..", "..", "test-results");

/**
 * Headless and quiet: no GPU, no QUIC, no first-run, sync, component-update or background
 * traffic, so the browser talks to nothing but the loopback servers a test opens.
 */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A real chromium. Playwright starts it on a fresh temporary profile (its own --user-data-dir,
 * deleted on close; passing the flag in `args` is refused), and every `context()` is a fresh
 * incognito-like context on top: no cookie, cache or connection survives from one to the next.
 */
export class Browser {
  private constructor(private readonly browser: PlaywrightBrowser) {}

  static async launch(): Promise<Browser> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it) or set STATEFLEET_CHROMIUM`);
    }
    return new Browser(await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 20_000 }));
  }

  /**
   * A fresh context. Close it before stopping the servers it talked to: chromium keeps (and
   * pre-opens) keep-alive connections, which a server's graceful shutdown waits for.
   */
  async context(): Promise<BrowserContext> {
    const context = await this.browser.newContext();
    context.setDefaultTimeout(5000);
    return context;
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** The page as a person saw it at the end of a test: test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Counts top-level navigations of a page (a full reload or a form post would add one), so a test
 * can assert that something happened in place.
 */
export function countNavigations(page: Page): () => number {
  let n = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) n++;
  });
  return () => n;
}
