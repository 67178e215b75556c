/**
 * stats (seed 000): the page and its JSON view through the entry point, and that every counted
 * request raises your own count by exactly one whichever replica answers — the property that
 * `state: pod` without affinity breaks.
 */
import { fail, type CheckContext, type VariantCheck } from "../check";
import type { Reply } from "../http";

/** One line of the page (docs/app.md, "stats"). */
const LINE_RE =
  /^<p style="font-size:150%" >#(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): <font color="(?:red|maroon)">(\d+)<\/font> requests from &lt<font color="(?:blue|navy)">(LOCAL: )?([^<]+)<\/font>&gt to WebServer &lt<font color="(?:blue|navy)">([^<]+)<\/font>&gt<\/p>$/;

interface Seen {
  /** Your own requests as this answer counts them (sum over your pairs). */
  mine: number;
  /** The replica that answered. */
  server: string;
  client: string;
}

/** The HTML page: every pair line well-formed, the pair just hit last and marked LOCAL. */
export function readPage(reply: Reply): Seen & { lines: number } {
  if (reply.status !== 200) fail(`page answered ${reply.status}: ${snippet(reply.body)}`);
  if (!reply.contentType.startsWith("text/html")) fail(`page is ${reply.contentType || "untyped"}, expected text/html`);
  const raw = reply.body.split("\n").filter((l) => l.startsWith("<p style"));
  if (raw.length === 0) fail("page has no request lines, yet it must include this request");
  const lines = raw.map((l) => {
    const m = LINE_RE.exec(l);
    if (!m) fail(`line not in the page format: ${snippet(l)}`);
    return { count: Number(m[2]), local: m[3] !== undefined, client: m[4] as string, server: m[5] as string };
  });
  const last = lines[lines.length - 1] as (typeof lines)[number];
  if (!last.local) fail(`the last line (the pair just hit) is not marked LOCAL: ${snippet(raw[raw.length - 1] as string)}`);
  const mine = lines.filter((l) => l.local).reduce((s, l) => s + l.count, 0);
  return { mine, server: last.server, client: last.client, lines: lines.length };
}

interface JsonView {
  server: string;
  client: string;
  pairs: Array<{ client: string; server: string; count: number; lastSeen: string; local: boolean }>;
  total: number;
}

/** The JSON view: its shape, total = sum of counts, and this (client, server) pair present. */
export function readJson(reply: Reply): Seen & { pairs: number } {
  if (reply.status !== 200) fail(`JSON view answered ${reply.status}: ${snippet(reply.body)}`);
  if (!reply.contentType.startsWith("application/json")) fail(`JSON view is ${reply.contentType || "untyped"}, expected application/json`);
  let v: JsonView;
  try {
    v = JSON.parse(reply.body) as JsonView;
  } catch {
    return fail(`JSON view is not JSON: ${snippet(reply.body)}`);
  }
  if (typeof v.server !== "string" || typeof v.client !== "string" || !Array.isArray(v.pairs) || typeof v.total !== "number") {
    fail(`JSON view lacks server/client/pairs/total: ${snippet(reply.body)}`);
  }
  for (const p of v.pairs) {
    if (typeof p.client !== "string" || typeof p.server !== "string" || !Number.isInteger(p.count) || p.count < 1 || Number.isNaN(Date.parse(p.lastSeen))) {
      fail(`JSON pair malformed: ${JSON.stringify(p)}`);
    }
    if (p.local !== (p.client === v.client)) fail(`JSON pair ${p.client} → ${p.server} has local=${p.local}, but you are ${v.client}`);
  }
  const sum = v.pairs.reduce((s, p) => s + p.count, 0);
  if (sum !== v.total) fail(`JSON total is ${v.total}, but its pairs add up to ${sum}`);
  if (!v.pairs.some((p) => p.client === v.client && p.server === v.server)) {
    fail(`JSON view has no pair for this request (${v.client} → ${v.server}), yet it must include it`);
  }
  const mine = v.pairs.filter((p) => p.local).reduce((s, p) => s + p.count, 0);
  return { mine, server: v.server, client: v.client, pairs: v.pairs.length };
}

function jsonUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set("format", "json");
  return u.toString();
}

/** A path below the page that the app answers 404 (and must not count). */
function missingUrl(url: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/statefleet-smoke-no-such-page`;
  u.search = "";
  return u.toString();
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 160 ? `${t.slice(0, 160)}…` : t;
}

async function run(ctx: CheckContext): Promise<void> {
  const { http, url } = ctx;
  let last: Seen | undefined;
  // Waits out 502/503 (pods not ready yet): those never reached the app, so nothing was counted.
  const pageOk = await ctx.check("page lines", async () => {
    const page = readPage(await http.get(url, { waitForReady: true }));
    last = page;
    return `${page.lines} line(s) in the page format; the pair just hit is last and LOCAL (you are ${page.client})`;
  });
  if (!pageOk) return;

  await ctx.check("JSON view", async () => {
    const seen = readJson(await http.get(jsonUrl(url)));
    const before = last as Seen;
    last = seen;
    if (seen.client !== before.client) fail(`the JSON view sees you as ${seen.client}, the page as ${before.client}`);
    return `${seen.pairs} pair(s), total = sum of counts, this request's pair present`;
  });

  const exact = await ctx.check(`exact counts over ${ctx.settings.requests} requests`, async () => {
    const start = (last as Seen).mine;
    const servers = new Set<string>();
    for (let i = 1; i <= ctx.settings.requests; i++) {
      const html = i % 2 === 0;
      const seen = html ? readPage(await http.get(url)) : readJson(await http.get(jsonUrl(url)));
      servers.add(seen.server);
      const expected = (last as Seen).mine + 1;
      if (seen.mine !== expected) {
        const why =
          servers.size > 1
            ? `; answers came from ${servers.size} replicas (${[...servers].join(", ")}) that do not share their counts (state: pod without affinity does exactly this)`
            : "";
        fail(`request ${i} (${html ? "page" : "JSON"}, replica ${seen.server}) shows ${seen.mine} requests from you, expected ${expected}${why}`);
      }
      last = seen;
    }
    return `your count went ${start} → ${(last as Seen).mine} one by one, answered by ${servers.size} replica(s): ${[...servers].join(", ")}`;
  });

  if (!exact) return; // the next check measures against exact counting
  await ctx.check("a 404 is not counted", async () => {
    const before = (last as Seen).mine;
    const missing = await http.get(missingUrl(url));
    if (missing.status !== 404) fail(`${missingUrl(url)} answered ${missing.status}, expected 404`);
    const seen = readJson(await http.get(jsonUrl(url)));
    if (seen.mine !== before + 1) fail(`after a 404 and one counted request your count is ${seen.mine}, expected ${before + 1}`);
    last = seen;
    return `404, then ${before} → ${seen.mine}`;
  });
}

export const check: VariantCheck = { variant: "stats", output: "statsUrl", run };
