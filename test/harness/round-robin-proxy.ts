import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback reverse proxy that sends request i to backend i % n — the way a Service or an
 * ingress spreads requests over replicas without affinity. With `stickyCookie`, like
 * ingress-nginx's cookie affinity: a request without the cookie is balanced and answered with
 * `Set-Cookie: <name>=<backend index>`; a request with it goes to that backend.
 */
export class RoundRobinProxy {
  private next = 0;
  readonly hits: number[];

  private constructor(
    private readonly server: http.Server,
    private backends: string[],
    private readonly stickyCookie?: string,
  ) {
    this.hits = backends.map(() => 0);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async start(backends: string[], options: { stickyCookie?: string } = {}): Promise<RoundRobinProxy> {
    const server = http.createServer();
    const proxy = new RoundRobinProxy(server, backends, options.stickyCookie);
    server.on("request", (req, res) => proxy.forward(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    return proxy;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pinned = this.stickyCookie ? new RegExp(`(?:^|;\\s*)${this.stickyCookie}=(\\d+)`).exec(req.headers.cookie ?? "") : null;
    const i = pinned ? Number(pinned[1]) % this.backends.length : this.next++ % this.backends.length;
    this.hits[i] = (this.hits[i] ?? 0) + 1;
    const target = new URL(req.url ?? "/", this.backends[i]);
    const upstream = http.request(target, { method: req.method, headers: req.headers, agent: false }, (up) => {
      const headers = { ...up.headers };
      if (this.stickyCookie && !pinned) headers["set-cookie"] = [`${this.stickyCookie}=${i}; Path=/; HttpOnly`];
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`bad gateway: ${err.message}`);
    });
    req.pipe(upstream);
  }

  /** From now on, send requests to these backends (a Service whose endpoints changed). */
  retarget(backends: string[]): void {
    this.backends = backends;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
