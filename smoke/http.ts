/**
 * The smoke test's HTTP client (undici): every request has a deadline, and a request is retried
 * only when it certainly did not reach the app — so a counted request (stats, pingpong) is never
 * counted twice by a retry.
 */
import dns from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, request } from "undici";

export interface HttpOptions {
  /** Deadline of one request: connect, headers and body together. */
  timeoutMs: number;
  /** Extra attempts after a refused connection (nothing listening yet). */
  connectRetries: number;
  /** How long to keep retrying while the entry point answers 502/503 (no ready backend behind it yet). */
  waitMs: number;
}

export interface Reply {
  status: number;
  /** Lower-case `content-type`, "" when absent. */
  contentType: string;
  body: string;
  ms: number;
}

/** A failure that says what to fix; `code` is the network error code when there is one. */
export class HttpError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * RFC 6761 §6.3: `localhost` and `*.localhost` are loopback. Browsers and curl resolve them
 * themselves; many system resolvers (glibc without systemd-resolved, macOS) do not, and the
 * k3d stack's URLs are `http://<name>.localhost:<port>`.
 */
export const lookupLocalhost: LookupFunction = (hostname, options, callback) => {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
};

/** Statuses an entry point answers while nothing behind it is ready; the app did not count them. */
const NOT_READY = new Set([502, 503]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  private readonly agent: Agent;
  /**
   * Cookies by host, sent back like a browser does: with `affinity: cookie` the entry point pins a
   * client to one replica by a cookie, and the smoke test must see what a browser user sees.
   */
  private readonly cookies = new Map<string, Map<string, string>>();

  constructor(readonly options: HttpOptions) {
    this.agent = new Agent({
      connect: { timeout: options.timeoutMs, lookup: lookupLocalhost },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 1000,
    });
  }

  /**
   * One GET. A refused connection is retried `connectRetries` times (the request never reached
   * anything); with `waitForReady`, a 502/503 is retried until `waitMs` has passed. Timeouts and
   * broken connections are never retried: the app may have counted that request.
   */
  get(url: string, opts: { headers?: Record<string, string>; waitForReady?: boolean } = {}): Promise<Reply> {
    return this.send("GET", url, opts);
  }

  /**
   * One POST without a body (the shop's routes carry everything in the path), retried like a GET;
   * ask for `waitForReady` only where doing the request twice does no harm.
   */
  post(url: string, opts: { headers?: Record<string, string>; waitForReady?: boolean } = {}): Promise<Reply> {
    return this.send("POST", url, opts);
  }

  private async send(method: "GET" | "POST", url: string, opts: { headers?: Record<string, string>; waitForReady?: boolean }): Promise<Reply> {
    const deadline = Date.now() + this.options.waitMs;
    let refused = 0;
    for (;;) {
      const started = Date.now();
      try {
        const host = new URL(url).host;
        const jar = this.cookies.get(host) ?? new Map<string, string>();
        this.cookies.set(host, jar);
        const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
        const res = await request(url, {
          method,
          headers: { "user-agent": "statefleet-smoke", ...(cookie ? { cookie } : {}), ...opts.headers },
          dispatcher: this.agent,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        keepCookies(jar, res.headers["set-cookie"]);
        const body = await res.body.text();
        const reply: Reply = { status: res.statusCode, contentType: String(res.headers["content-type"] ?? "").toLowerCase(), body, ms: Date.now() - started };
        if (opts.waitForReady && NOT_READY.has(reply.status) && Date.now() < deadline) {
          await sleep(1000);
          continue;
        }
        return reply;
      } catch (err) {
        const failure = describe(url, err, this.options.timeoutMs, method);
        if (failure.code === "ECONNREFUSED" && refused < this.options.connectRetries) {
          refused++;
          await sleep(500);
          continue;
        }
        throw failure;
      }
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** `name=value` of each Set-Cookie (attributes ignored: the smoke test stays on one path of one host). */
function keepCookies(jar: Map<string, string>, header: string | string[] | undefined): void {
  for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    const pair = line.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

/** A network error as a sentence naming the URL and what probably went wrong. */
export function describe(url: string, err: unknown, timeoutMs: number, method = "GET"): HttpError {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  // AbortSignal.timeout's DOMException has a numeric `code` (23) of its own: check its name first.
  const code = e.name === "TimeoutError" || e.name === "AbortError" ? "TIMEOUT" : typeof e.code === "string" ? e.code : e.cause?.code;
  const host = safeHost(url, "host");
  switch (code) {
    case "ECONNREFUSED":
      return new HttpError(`${method} ${url}: connection refused — nothing listens on ${host} (is the cluster up? k3d: \`k3d cluster list\`)`, code);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new HttpError(`${method} ${url}: cannot resolve ${safeHost(url, "hostname")} — use an address that resolves, or --url VARIANT=URL`, code);
    case "TIMEOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return new HttpError(`${method} ${url}: no answer within ${timeoutMs} ms (raise --timeout-ms if the cluster is slow)`, code);
    default:
      return new HttpError(`${method} ${url}: ${code ? `${code} ` : ""}${e.message}`, code);
  }
}

function safeHost(url: string, part: "host" | "hostname"): string {
  try {
    return new URL(url)[part];
  } catch {
    return url;
  }
}
