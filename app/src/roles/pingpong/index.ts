import type { PingpongConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { openCounterStore } from "../../state";

const TEXT = "text/plain; charset=utf-8";

/**
 * The ping-pong role (seed 001, course-faithful): GET /pingpong answers `pong N`, N being
 * the number of earlier pongs (first `pong 0`); GET /pings reads N without counting; GET /
 * answers 200 for load-balancer health checks (the course's GKE ingress probes `/`).
 */
export async function start(config: PingpongConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const store = await openCounterStore(config.store, { ...runtime, role: config.role });

  return startService({
    config,
    runtime,
    readiness: async () => ((await store.ready()) ? undefined : `state store ${store.name} does not answer`),
    closeResources: () => store.close(),
    routes(app) {
      app.get("/pingpong", async (_request, reply) => reply.type(TEXT).send(`pong ${await store.increment()}`));
      app.get("/pings", async (_request, reply) => reply.type(TEXT).send(String(await store.read())));
      app.get("/", async (_request, reply) => reply.type(TEXT).send("ok\n"));
    },
  });
}
