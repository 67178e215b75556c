/** pingpong (seed 001): `pong N` through the entry point, and N rising by exactly one per call. */
import { fail, type CheckContext, type VariantCheck } from "../check";
import type { HttpClient, Reply } from "../http";

/** N from a `pong N` answer. */
export function readPong(reply: Reply): number {
  if (reply.status !== 200) fail(`answered ${reply.status}: ${reply.body.slice(0, 160)}`);
  if (!reply.contentType.startsWith("text/plain")) fail(`answer is ${reply.contentType || "untyped"}, expected text/plain`);
  const m = /^pong (\d+)\n?$/.exec(reply.body);
  if (!m) fail(`answer is ${JSON.stringify(reply.body.slice(0, 80))}, expected "pong N"`);
  return Number(m[1]);
}

/** One call; the count it answered. */
export async function pong(http: HttpClient, url: string, waitForReady = false): Promise<number> {
  return readPong(await http.get(url, { waitForReady }));
}

async function run(ctx: CheckContext): Promise<void> {
  let n = 0;
  const ok = await ctx.check("answers pong N", async () => {
    n = await pong(ctx.http, ctx.url, true);
    return `pong ${n}`;
  });
  if (!ok) return;
  await ctx.check(`increments by one over ${ctx.settings.requests} calls`, async () => {
    const start = n;
    for (let i = 1; i <= ctx.settings.requests; i++) {
      const next = await pong(ctx.http, ctx.url);
      if (next !== n + 1) {
        const why =
          next <= n
            ? " — the answers do not share one counter (replicas on state: pod?) or an increment was lost"
            : " — something else is calling pingpong right now, or one call was counted twice";
        fail(`call ${i} answered pong ${next} after pong ${n}, expected pong ${n + 1}${why}`);
      }
      n = next;
    }
    return `pong ${start} → pong ${n}`;
  });
}

export const check: VariantCheck = { variant: "pingpong", output: "pingpongUrl", run };
