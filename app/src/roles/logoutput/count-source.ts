import type { CountSourceConfig } from "../../lib/config";
import type { Runtime } from "../../lib/service";
import { openCounterReader, StoreUnavailableError } from "../../state";
import { reasonOf } from "../../state/errors";

/** Where logoutput gets "Ping / Pongs: N": pingpong's store, or pingpong over HTTP. */
export interface CountSource {
  readonly name: string;
  count(): Promise<number>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openCountSource(config: CountSourceConfig, runtime: Runtime): Promise<CountSource> {
  if (config.kind === "store") {
    const reader = await openCounterReader(config.store, { ...runtime, role: "logoutput" });
    return { name: reader.name, count: () => reader.read(), ready: () => reader.ready(), close: () => reader.close() };
  }
  runtime.logger.info({ pingpongUrl: config.url }, "reading the count from pingpong over HTTP");
  return new HttpCountSource(config.url, config.timeoutMs, runtime);
}

/** The course's exercise 2.01: ask pingpong's non-incrementing `/pings` endpoint. */
class HttpCountSource implements CountSource {
  readonly name = "pingpong-http";

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly runtime: Runtime,
  ) {}

  async count(): Promise<number> {
    try {
      const res = await fetch(`${this.baseUrl}/pings`, { signal: AbortSignal.timeout(this.timeoutMs) });
      const body = (await res.text()).trim();
      if (res.status !== 200) throw new Error(`GET /pings answered ${res.status}: ${body.slice(0, 200)}`);
      if (!/^\d{1,15}$/.test(body)) throw new Error(`GET /pings answered a non-number: ${JSON.stringify(body.slice(0, 50))}`);
      return Number(body);
    } catch (err) {
      this.runtime.metrics.storeErrors.inc({ role: "logoutput", store: this.name, operation: "read" });
      throw new StoreUnavailableError(this.name, `${this.baseUrl}/pings: ${reasonOf(err)}`);
    }
  }

  async ready(): Promise<boolean> {
    try {
      await this.count();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}
