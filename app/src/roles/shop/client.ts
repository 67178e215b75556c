import http from "node:http";
import https from "node:https";
import { DownstreamError } from "./errors";

export interface CallResult {
  status: number;
  body: unknown;
}

/**
 * shop-order's client for payment and stock. Base URLs come from SHOP_PAYMENT_URL /
 * SHOP_STOCK_URL: one Service URL, or a list of replicas it spreads calls over (round robin).
 * Only idempotent calls are made through it (GETs and the checkout-id-keyed saga calls), so a
 * call that gets no answer — connection refused or reset, timeout, 5xx — is simply sent again,
 * to the next base URL, with a short backoff, until `budgetMs` is spent.
 */
export class ServiceClient {
  private next = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000 });
  private readonly tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    readonly service: string,
    private readonly bases: string[],
    private readonly budgetMs: number,
  ) {}

  /** `onRetry` runs before each repeat (the saga counts them as `retried`). */
  async call(method: "GET" | "POST", path: string, body?: unknown, onRetry: () => void = () => undefined): Promise<CallResult> {
    const deadline = Date.now() + this.budgetMs;
    let backoff = 20;
    let last: string;
    for (;;) {
      const base = this.bases[this.next++ % this.bases.length] ?? "";
      const remaining = deadline - Date.now();
      try {
        const res = await this.once(method, base + path, body, Math.max(remaining, 50));
        if (res.status < 500) return res;
        last = `${base} answered ${res.status}`;
      } catch (err) {
        last = `${base}: ${(err as Error).message}`;
      }
      if (Date.now() + backoff >= deadline) break;
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 250);
    }
    throw new DownstreamError(`${this.service} did not answer within ${this.budgetMs} ms (${last})`);
  }

  private once(method: string, url: string, body: unknown, timeoutMs: number): Promise<CallResult> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const secure = url.startsWith("https:");
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = payload === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
      const req = (secure ? https : http).request(url, { method, headers, agent: secure ? this.tlsAgent : this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {
            // Not JSON: keep the text (an error page of a proxy).
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
    this.tlsAgent.destroy();
  }
}
