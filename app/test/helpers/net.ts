import http, { type IncomingHttpHeaders } from "node:http";
import net from "node:net";

/** A port nobody listens on right now (the OS picks it; we release it for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One GET on a fresh connection (no keep-alive pool): a test that kills and restarts
 * servers must never send a request down a socket of the previous process.
 */
export function get(url: string, options: GetOptions = {}): Promise<Res> {
  return send(url, "GET", undefined, options);
}

function send(url: string, method: string, body: string | undefined, options: GetOptions & { contentType?: string }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> =
      body === undefined ? { ...(options.headers ?? {}) } : { "content-type": options.contentType ?? "application/json", "content-length": String(Buffer.byteLength(body)), ...(options.headers ?? {}) };
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Polls `check` every `intervalMs` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
}

/** One POST on a fresh connection; `body` is sent as given (a test may send broken JSON on purpose). */
export function post(url: string, body: string, options: GetOptions & { contentType?: string } = {}): Promise<Res> {
  return send(url, "POST", body, options);
}

/**
 * The value of one sample of a Prometheus text exposition (`name{a="b"}`, labels in the order the
 * exposition prints them). A missing series fails, unless `absent` says what it counts as.
 */
export function sample(exposition: string, series: string, absent?: number): number {
  for (const line of exposition.split("\n")) {
    if (line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    if (space > 0 && line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  if (absent !== undefined) return absent;
  throw new Error(`series ${series} is not in the exposition`);
}
