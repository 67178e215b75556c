/**
 * api (seed 002): `/api/data` answers the seed's contract, every answered request adds exactly
 * five documents to `/api/stats`, and `/api/cache/status` answers.
 */
import { fail, jsonObject, type CheckContext, type VariantCheck } from "../check";
import type { HttpClient, Reply } from "../http";

const json = (reply: Reply, what: string) => jsonObject(reply, what);

const isIdList = (v: unknown, max: number) => Array.isArray(v) && v.length <= max && v.every((x) => typeof x === "string" && x.length > 0);

/** One `/api/data` call, checked against the seed's contract. */
export async function data(http: HttpClient, url: string, waitForReady = false): Promise<{ writes: string[]; reads: string[] }> {
  const body = json(await http.get(url, { waitForReady }), "/api/data");
  if (body.status !== "success") fail(`status is ${JSON.stringify(body.status)}, expected "success"`);
  if (!isIdList(body.writes, 5) || (body.writes as string[]).length !== 5) fail(`writes is ${JSON.stringify(body.writes)}, expected 5 ids`);
  if (!isIdList(body.reads, 5)) fail(`reads is ${JSON.stringify(body.reads)}, expected up to 5 ids`);
  if (typeof body.timestamp !== "string" || Number.isNaN(Date.parse(body.timestamp))) fail(`timestamp is ${JSON.stringify(body.timestamp)}`);
  return { writes: body.writes as string[], reads: body.reads as string[] };
}

/** `total_documents` from `/api/stats`. */
export async function total(http: HttpClient, statsUrl: string): Promise<number> {
  const body = json(await http.get(statsUrl), "/api/stats");
  if (typeof body.total_documents !== "number" || !Number.isInteger(body.total_documents)) {
    fail(`total_documents is ${JSON.stringify(body.total_documents)}, expected a whole number`);
  }
  return body.total_documents as number;
}

/** The sibling route of `/api/data` under the same prefix. */
export function sibling(dataUrl: string, route: "stats" | "cache/status"): string {
  const u = new URL(dataUrl);
  if (!u.pathname.endsWith("/api/data")) fail(`${dataUrl} does not end in /api/data`);
  u.pathname = u.pathname.replace(/\/api\/data$/, `/api/${route}`);
  return u.toString();
}

async function run(ctx: CheckContext): Promise<void> {
  const ok = await ctx.check("answers the seed's /api/data contract", async () => {
    const r = await data(ctx.http, ctx.url, true);
    return `5 writes, ${r.reads.length} reads`;
  });
  if (!ok) return;
  await ctx.check(`adds exactly 5 documents per answered request over ${ctx.settings.requests} calls`, async () => {
    const statsUrl = sibling(ctx.url, "stats");
    const before = await total(ctx.http, statsUrl);
    const seen = new Set<string>();
    for (let i = 0; i < ctx.settings.requests; i++) {
      for (const id of (await data(ctx.http, ctx.url)).writes) {
        if (seen.has(id)) fail(`id ${id} was answered twice`);
        seen.add(id);
      }
    }
    const after = await total(ctx.http, statsUrl);
    const expected = before + 5 * ctx.settings.requests;
    if (after < expected) fail(`total_documents went ${before} → ${after}, expected at least ${expected}: acknowledged documents are missing`);
    if (after > expected) fail(`total_documents went ${before} → ${after}, expected ${expected} — something else is calling the api right now`);
    return `total_documents ${before} → ${after}`;
  });
  await ctx.check("answers /api/cache/status", async () => {
    const body = json(await ctx.http.get(sibling(ctx.url, "cache/status")), "/api/cache/status");
    if (typeof body.cache_enabled !== "boolean") fail(`cache_enabled is ${JSON.stringify(body.cache_enabled)}`);
    if (body.cache_enabled && body.connected !== true) fail(`the cache is on but not connected: ${JSON.stringify(body)}`);
    return body.cache_enabled ? "cache on, connected" : "cache off";
  });
}

export const check: VariantCheck = { variant: "api", output: "apiUrl", run };
