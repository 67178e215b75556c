/**
 * sms (seed 004) through the Istio gateway: the page answers, and a browser that keeps its
 * cookies stays on the app version that first answered it (the version cookie at work in the
 * real mesh; docs/sms.md). The page names its version in the footer (`app vN`).
 */
import { fail, type CheckContext, type VariantCheck } from "../check";
import type { Reply } from "../http";

/** The app version a `/sms/` page names. */
export function pageVersion(reply: Reply): string {
  if (reply.status !== 200) fail(`answered ${reply.status}: ${reply.body.slice(0, 160)}`);
  if (!reply.contentType.startsWith("text/html")) fail(`answer is ${reply.contentType || "untyped"}, expected text/html`);
  if (!reply.body.includes("<form")) fail("the page has no form");
  const m = /<footer>app (v\d+)<\/footer>/.exec(reply.body);
  if (!m) fail("the page does not name its app version (footer `app vN`)");
  return m[1] as string;
}

async function run(ctx: CheckContext): Promise<void> {
  let first = "";
  const ok = await ctx.check("serves the /sms/ page", async () => {
    first = pageVersion(await ctx.http.get(ctx.url, { waitForReady: true }));
    return `app ${first}`;
  });
  if (!ok) return;
  await ctx.check(`keeps this browser on app ${first} for ${ctx.settings.requests} more requests (version cookie)`, async () => {
    for (let i = 1; i <= ctx.settings.requests; i++) {
      const v = pageVersion(await ctx.http.get(ctx.url));
      if (v !== first) fail(`request ${i} was answered by app ${v} after app ${first}: the version cookie did not hold (is the VirtualService's sticky rule there? kubectl get vs sms-app -o yaml)`);
    }
    return `${ctx.settings.requests} × app ${first}`;
  });
  await ctx.check("answers Hello World! at /", async () => {
    const root = await ctx.http.get(new URL("/", ctx.url).toString());
    if (root.status !== 200 || root.body !== "Hello World!") fail(`answered ${root.status}: ${JSON.stringify(root.body.slice(0, 80))}`);
    return "Hello World!";
  });
}

export const check: VariantCheck = { variant: "sms", output: "smsUrl", run };
