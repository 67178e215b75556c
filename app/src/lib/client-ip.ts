/**
 * Who is asking. Behind ingress-nginx the socket peer is the ingress pod, so with
 * `TRUST_PROXY=true` the first `X-Forwarded-For` hop is taken instead. That header is user
 * input: it is validated here and must be HTML-escaped wherever it is shown.
 */
export type ClientResult = { ok: true; client: string } | { ok: false; reason: string };

const MAX_CLIENT_LENGTH = 255;
/** C0 controls and DEL. The hop is trimmed first, so only inner ones (a tab, say) remain. */
function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export interface ClientSource {
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress?: string | undefined };
}

export function resolveClient(req: ClientSource, trustProxy: boolean): ClientResult {
  const forwarded = req.headers["x-forwarded-for"];
  if (trustProxy && forwarded !== undefined) {
    // Node joins repeated X-Forwarded-For headers with ", ", so the first hop is still first.
    const header = Array.isArray(forwarded) ? forwarded.join(", ") : forwarded;
    const first = (header.split(",")[0] ?? "").trim();
    if (first === "") return { ok: false, reason: "malformed X-Forwarded-For: the first hop is empty" };
    if (first.length > MAX_CLIENT_LENGTH) {
      return { ok: false, reason: `malformed X-Forwarded-For: the first hop is longer than ${MAX_CLIENT_LENGTH} characters` };
    }
    if (hasControlChars(first)) {
      return { ok: false, reason: "malformed X-Forwarded-For: the first hop contains control characters" };
    }
    return { ok: true, client: first };
  }
  return { ok: true, client: normalizeAddress(req.socket.remoteAddress) };
}

/** `::ffff:10.0.0.7` is how a dual-stack socket reports an IPv4 peer; show it as IPv4. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address;
}
