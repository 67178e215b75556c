/**
 * logoutput (seed 001): its two-line status in the exact format, fresh, from one process, and
 * showing the count pingpong has reached (it reads pingpong's store or its /pings).
 */
import { fail, type CheckContext, type VariantCheck } from "../check";
import type { Reply } from "../http";
import { pong } from "./pingpong";

const STAMP_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z): ([0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.$/;
const COUNT_RE = /^Ping \/ Pongs: (\d+)$/;

export interface Status {
  at: Date;
  uuid: string;
  count: number;
}

/** `<ISO-8601 ms Z>: <uuid>.` newline `Ping / Pongs: <N>` (one trailing newline allowed). */
export function readStatus(reply: Reply): Status {
  if (reply.status !== 200) fail(`answered ${reply.status}: ${reply.body.slice(0, 160)}`);
  if (!reply.contentType.startsWith("text/plain")) fail(`answer is ${reply.contentType || "untyped"}, expected text/plain`);
  const lines = reply.body.replace(/\n$/, "").split("\n");
  if (lines.length !== 2) fail(`expected 2 lines, got ${lines.length}: ${JSON.stringify(reply.body.slice(0, 200))}`);
  const stamp = STAMP_RE.exec(lines[0] as string);
  if (!stamp) fail(`first line is ${JSON.stringify(lines[0])}, expected "<ISO-8601 UTC with ms>: <uuid>."`);
  const at = new Date(stamp[1] as string);
  // A regex accepts 2026-13-45; only a real instant survives the round trip.
  if (Number.isNaN(at.getTime()) || at.toISOString() !== stamp[1]) fail(`${stamp[1]} is not a real UTC instant`);
  const count = COUNT_RE.exec(lines[1] as string);
  if (!count) fail(`second line is ${JSON.stringify(lines[1])}, expected "Ping / Pongs: <N>"`);
  return { at, uuid: stamp[2] as string, count: Number(count[1]) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(ctx: CheckContext): Promise<void> {
  const { http, url, settings } = ctx;
  let first: Status | undefined;
  const ok = await ctx.check("status format", async () => {
    first = readStatus(await http.get(url, { waitForReady: true }));
    return `${first.at.toISOString()}: ${first.uuid}. / Ping / Pongs: ${first.count}`;
  });
  if (!ok) return;

  await ctx.check("line is fresh", async () => {
    const age = Date.now() - (first as Status).at.getTime();
    if (age > settings.maxLineAgeMs) {
      fail(`the line is ${Math.round(age / 1000)} s old (limit ${settings.maxLineAgeMs / 1000} s): logoutput cannot read the count and keeps its last line`);
    }
    return `${Math.round(age / 100) / 10} s old`;
  });

  const pingpongUrl = ctx.urlOf("pingpong");
  if (!pingpongUrl) {
    ctx.note("follows pingpong: not checked, pingpong has no URL in the outputs (off or not exposed)");
    return;
  }
  await ctx.check("follows pingpong", async () => {
    // After `pong P` the counter is P+1; logoutput must reach exactly that, within a few lines.
    const p = await pong(http, pingpongUrl, true);
    const want = p + 1;
    const deadline = Date.now() + settings.followMs;
    let seen = readStatus(await http.get(url));
    while (seen.count < want && Date.now() < deadline) {
      await sleep(250);
      seen = readStatus(await http.get(url));
    }
    if (seen.uuid !== (first as Status).uuid) {
      fail(`the UUID changed from ${(first as Status).uuid} to ${seen.uuid}: more than one logoutput process answers, or it restarted`);
    }
    if (seen.count !== want) {
      const why = seen.count < want ? `still ${seen.count} after ${settings.followMs / 1000} s — logoutput reads another counter than pingpong, or cannot read it` : `${seen.count} — ahead of pingpong: it counts something else, or another client is calling pingpong`;
      fail(`pingpong answered pong ${p} (count now ${want}); logoutput shows ${why}`);
    }
    return `pong ${p} → "Ping / Pongs: ${seen.count}"`;
  });
}

export const check: VariantCheck = { variant: "logoutput", output: "logoutputUrl", run };
