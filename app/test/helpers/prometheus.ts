import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { freePort, get, waitFor } from "./net";
import { spawnTracked, stopTracked, type Tracked } from "./processes";
import { tempDir } from "./tmp";

/** One series of an instant-query answer. */
export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

function requireBinary(name: string): void {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(`${name} is not on the PATH: install the Debian package prometheus (apt-get install prometheus); .ci/run does it`);
  }
}

/**
 * A real Prometheus server on a free loopback port, with its own config and a throw-away TSDB
 * directory, scraping `targets` (job → host:port) every second. The Debian package's own service
 * plays no part: this process is started and stopped by the test.
 */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly proc: Tracked,
    private readonly dir: { path: string; remove: () => void },
  ) {}

  /**
   * `targets`: job → `host:port`, or `{ target, labels }` to attach target labels as the
   * prometheus-operator does from a ServiceMonitor (`namespace`, `pod`, …).
   */
  static async start(targets: Record<string, string | { target: string; labels: Record<string, string> }>): Promise<PrometheusServer> {
    requireBinary("prometheus");
    const dir = tempDir("prometheus");
    const port = await freePort();
    const config = [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 900ms",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      ...Object.entries(targets).flatMap(([job, t]) => {
        const target = typeof t === "string" ? t : t.target;
        const labels = typeof t === "string" ? [] : [`        labels: ${JSON.stringify(t.labels)}`];
        return [`  - job_name: ${job}`, "    static_configs:", `      - targets: ["${target}"]`, ...labels];
      }),
      "",
    ].join("\n");
    const file = path.join(dir.path, "prometheus.yml");
    writeFileSync(file, config);
    const args = [
      `--config.file=${file}`,
      `--storage.tsdb.path=${path.join(dir.path, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
      "--log.level=warn",
    ];
    const proc = spawnTracked(`prometheus :${port}`, "prometheus", args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, proc, dir);
    await waitFor(`prometheus on ${port} to be ready`, async () => {
      if (proc.exited) throw new Error(`prometheus exited: ${proc.stderr}`);
      return (await get(`${server.url}/-/ready`, { timeoutMs: 1000 })).status === 200;
    }, 15_000, 100);
    return server;
  }

  /** An instant query through the HTTP API. */
  async query(promql: string): Promise<PromSeries[]> {
    const res = await get(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = JSON.parse(res.body) as { status: string; error?: string; data?: { resultType: string; result: PromSeries[] } };
    if (res.status !== 200 || body.status !== "success" || !body.data) throw new Error(`query ${promql} failed: ${res.status} ${res.body}`);
    return body.data.result;
  }

  async stop(): Promise<void> {
    try {
      await stopTracked(this.proc, "SIGTERM", 10_000);
    } finally {
      this.dir.remove();
    }
  }
}
