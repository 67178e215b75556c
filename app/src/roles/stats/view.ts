import type { Pair } from "../../state";

/** A pair touched less than this long ago is drawn red/blue, older ones maroon/navy (upstream rule). */
const RECENT_US = 3_000_000;

export interface PageView {
  /** This replica's POD_IP. */
  server: string;
  /** The requester, as resolved from the socket or X-Forwarded-For. */
  client: string;
  pairs: Pair[];
  nowUs: number;
}

export interface JsonPage {
  server: string;
  client: string;
  pairs: Array<{ client: string; server: string; count: number; lastSeen: string; local: boolean }>;
  total: number;
}

export function toJson(view: PageView): JsonPage {
  return {
    server: view.server,
    client: view.client,
    pairs: view.pairs.map((p) => ({
      client: p.client,
      server: p.server,
      count: p.count,
      lastSeen: new Date(Math.floor(p.lastSeenUs / 1000)).toISOString(),
      local: p.client === view.client,
    })),
    total: view.pairs.reduce((sum, p) => sum + p.count, 0),
  };
}

/**
 * The upstream "Real Visit Results" page (yeasy/simple-web), one `<p>` per pair in hit order.
 * Differences on purpose: times are UTC (upstream used the container's local time) and
 * every client string is HTML-escaped, because with TRUST_PROXY it comes from a header.
 */
export function renderHtml(view: PageView): string {
  const lines = view.pairs.map((p) => {
    const recent = view.nowUs - p.lastSeenUs < RECENT_US;
    const [countColor, nameColor] = recent ? ["red", "blue"] : ["maroon", "navy"];
    const guest = `${p.client === view.client ? "LOCAL: " : ""}${escapeHtml(p.client)}`;
    return (
      `<p style="font-size:150%" >#${formatUtc(p.lastSeenUs)}: <font color="${countColor}">${p.count}</font> ` +
      `requests from &lt<font color="${nameColor}">${guest}</font>&gt ` +
      `to WebServer &lt<font color="${nameColor}">${escapeHtml(p.server)}</font>&gt</p>`
    );
  });
  return [
    '<!DOCTYPE html> <html> <body><center><h1><font color="blue" face="Georgia, Arial" size=8><em>Real</em></font> Visit Results</h1></center>',
    ...lines,
    "<p><small>Times are UTC.</small></p>",
    "</body> </html>",
    "",
  ].join("\n");
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. The last second's text is kept: under load every page shows it. */
export function formatUtc(us: number): string {
  const second = Math.floor(us / 1_000_000);
  if (second !== lastSecond) {
    lastSecondText = new Date(second * 1000).toISOString().slice(0, 19).replace("T", " ");
    lastSecond = second;
  }
  return lastSecondText;
}
let lastSecond = Number.NaN;
let lastSecondText = "";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const HTML_SIGNIFICANT = /[&<>"']/;

export function escapeHtml(text: string): string {
  return HTML_SIGNIFICANT.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c) : text;
}

/**
 * JSON when asked for with `?format=json`, or when `Accept` names application/json with a
 * quality at least that of text/html. Browsers never list application/json, so they get HTML.
 */
export function wantsJson(format: unknown, accept: string | undefined): boolean {
  if (format === "json") return true;
  if (format === "html" || !accept) return false;
  let json = 0;
  let html = 0;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === "application/json") json = Math.max(json, q);
    if (type === "text/html") html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}
