import type { FastifyReply, FastifyRequest } from "fastify";
import { resolveClient } from "../../lib/client-ip";
import type { StatsConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { openPairStore, type Pair } from "../../state";
import { nowUs } from "../../state/clock";
import { renderHtml, toJson, wantsJson, type PageView } from "./view";

/**
 * The stats role (seed 000): every GET / counts one request for (client, this replica) and
 * answers the page that already includes it. GET /stats shows the same data without counting.
 */
export async function start(config: StatsConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const store = await openPairStore(config.store, { ...runtime, role: config.role });

  return startService({
    config,
    runtime,
    readiness: async () => ((await store.ready()) ? undefined : `state store ${store.name} does not answer`),
    closeResources: () => store.close(),
    routes(app) {
      app.get("/", async (request, reply) => {
        const client = clientOr400(request, reply, config.trustProxy);
        if (client === undefined) return reply;
        const json = wantsJson((request.query as Record<string, unknown>).format, request.headers.accept);
        // The hit's own time is "now" for the page too (what is recent is judged to the second).
        const at = nowUs();
        const { pairs } = await store.hit(client, config.podIp, at);
        return send(reply, json, { server: config.podIp, client, pairs, nowUs: at });
      });

      // Read-only: for operators and tests; never counts, always JSON.
      app.get("/stats", async (request, reply) => {
        const client = clientOr400(request, reply, config.trustProxy);
        if (client === undefined) return reply;
        const pairs: Pair[] = await store.list();
        return send(reply, true, { server: config.podIp, client, pairs, nowUs: nowUs() });
      });
    },
  });
}

function clientOr400(request: FastifyRequest, reply: FastifyReply, trustProxy: boolean): string | undefined {
  const result = resolveClient({ headers: request.headers, socket: request.raw.socket }, trustProxy);
  if (result.ok) return result.client;
  void reply.code(400).type("text/plain; charset=utf-8").send(`bad request: ${result.reason}\n`);
  return undefined;
}

function send(reply: FastifyReply, json: boolean, view: PageView): FastifyReply {
  // The page changes with every request; no cache may serve it.
  void reply.header("cache-control", "no-store");
  if (json) return reply.type("application/json; charset=utf-8").send(toJson(view));
  return reply.type("text/html; charset=utf-8").send(renderHtml(view));
}
