import { expect } from "chai";
import type { RoleProcess } from "./role";

/** Acceptance check 1 of seed 000, per line. */
export const LINE_RE =
  /#(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d): <font color="(red|maroon)">(\d+)<\/font> requests from &lt<font color="(blue|navy)">(LOCAL: )?([^<]+)<\/font>&gt to WebServer &lt<font color="(blue|navy)">([^<]+)<\/font>&gt/;

export interface PageLine {
  time: string;
  countColor: string;
  count: number;
  nameColor: string;
  local: boolean;
  client: string;
  server: string;
}

export function parsePage(html: string): PageLine[] {
  return html
    .split("\n")
    .filter((l) => l.startsWith("<p style"))
    .map((l) => {
      const m = LINE_RE.exec(l);
      if (!m) throw new Error(`line does not match the page format: ${l}`);
      return {
        time: m[1] as string,
        countColor: m[2] as string,
        count: Number(m[3]),
        nameColor: m[4] as string,
        local: m[5] !== undefined,
        client: m[6] as string,
        server: m[8] as string,
      };
    });
}

export interface JsonPair {
  client: string;
  server: string;
  count: number;
  lastSeen: string;
  local: boolean;
}

export interface StatsJson {
  server: string;
  client: string;
  pairs: JsonPair[];
  total: number;
}

/** The non-counting view of one replica. */
export async function statsOf(replica: Pick<RoleProcess, "get">, headers: Record<string, string> = {}): Promise<StatsJson> {
  const res = await replica.get("/stats", headers);
  expect(res.status, res.body).to.equal(200);
  return JSON.parse(res.body) as StatsJson;
}

/** "client -> server: count" lines, the part every replica must agree on. */
export function pairLines(s: StatsJson): string[] {
  return s.pairs.map((p) => `${p.client} -> ${p.server}: ${p.count}`).sort();
}
