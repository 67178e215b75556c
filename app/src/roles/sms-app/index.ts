import { Counter, Gauge, Histogram } from "prom-client";
import type { SmsAppConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { GUESSES, parseSms, rawBodies } from "./input";
import { smsPage } from "./page";

const TEXT = "text/plain; charset=utf-8";
/** The one endpoint label: the seed's dashboards and alert select `endpoint="/sms"`. */
const ENDPOINT = "/sms";

/** What the model answered, or why the user gets a 502/504. */
type ModelAnswer = { ok: true; result: "spam" | "ham"; classifier: string } | { ok: false; status: 502 | 504; error: string };

async function askModel(config: SmsAppConfig, sms: string): Promise<ModelAnswer> {
  const url = `${config.modelHost}/predict`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sms }),
      signal: AbortSignal.timeout(config.modelTimeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError" || e.name === "AbortError") return { ok: false, status: 504, error: `model: no answer from ${url} within ${config.modelTimeoutMs} ms` };
    const cause = (e.cause as { code?: string } | undefined)?.code ?? e.message;
    return { ok: false, status: 502, error: `model: cannot reach ${url} (${cause})` };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, status: 502, error: `model: ${url} answered ${res.status} without a JSON body` };
  }
  const b = (body ?? {}) as { result?: unknown; classifier?: unknown };
  if (!res.ok) return { ok: false, status: 502, error: `model: ${url} answered ${res.status}` };
  if ((b.result !== "spam" && b.result !== "ham") || typeof b.classifier !== "string" || b.classifier === "") {
    return { ok: false, status: 502, error: `model: ${url} answered without a result and classifier` };
  }
  return { ok: true, result: b.result, classifier: b.classifier };
}

/**
 * The SMS checker's front end (seed 004). Every answer carries the version cookie and
 * `x-app-version`, so the mesh can keep a user on the version that first answered them.
 */
export async function start(config: SmsAppConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const registry = runtime.metrics.registry;
  const requests = new Counter({ name: "sms_requests_total", help: "Prediction requests received (POST /sms), valid or not", labelNames: ["endpoint"] as const, registers: [registry] });
  const results = new Counter({ name: "predictions_result_total", help: "Predictions answered to users, by result", labelNames: ["result"] as const, registers: [registry] });
  const active = new Gauge({ name: "active_users", help: "Prediction requests in flight", labelNames: ["endpoint"] as const, registers: [registry] });
  const duration = new Histogram({
    name: "request_duration_seconds",
    help: "Time to answer a prediction request, seconds (model call included)",
    labelNames: ["endpoint"] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const length = new Histogram({
    name: "sms_length",
    help: "Length of classified messages, characters",
    labelNames: ["result"] as const,
    buckets: [10, 20, 30, 40, 50, 100, 200, 500],
    registers: [registry],
  });
  // Every series exists from the first scrape (rate() over a series that appears late misses its first requests).
  requests.inc({ endpoint: ENDPOINT }, 0);
  active.set({ endpoint: ENDPOINT }, 0);
  for (const r of GUESSES) results.inc({ result: r }, 0);

  const cookie = `${config.sessionCookie}=${config.appVersion}; Path=/; Max-Age=${config.sessionMaxAgeSeconds}; HttpOnly; SameSite=Lax`;
  const page = smsPage(config.appVersion);

  return startService({
    config,
    runtime,
    routes(app) {
      rawBodies(app);
      if (config.fault === "http-500") {
        // The bad-version switch (SMS_FAULT): users get 500s while the pod stays Ready and scraped,
        // exactly the release a canary analysis must catch and roll back.
        app.addHook("onRequest", async (request, reply) => {
          const path = request.url.split("?")[0];
          if (path === "/healthz" || path === "/readyz" || path === "/metrics") return;
          if (request.method === "POST" && (path === "/sms" || path === "/sms/")) requests.inc({ endpoint: ENDPOINT });
          request.log.warn({ fault: config.fault }, "fault injected (SMS_FAULT)");
          return reply.code(500).type(TEXT).send(`fault injected: SMS_FAULT=${config.fault}\n`);
        });
      }
      app.addHook("onSend", async (_request, reply, payload) => {
        reply.header("set-cookie", cookie);
        reply.header("x-app-version", config.appVersion);
        return payload;
      });
      app.get("/", async (_request, reply) => reply.type(TEXT).send("Hello World!"));
      // Relative, so it also holds behind a path prefix.
      app.get("/sms", async (_request, reply) => reply.redirect("sms/", 302));
      app.get("/sms/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));
      const predict = async (body: unknown): Promise<{ status: number; body: unknown }> => {
        const parsed = parseSms(body, { guessRequired: true });
        if (!parsed.ok) return { status: 400, body: { error: parsed.error, field: parsed.field } };
        const answer = await askModel(config, parsed.sms);
        if (!answer.ok) return { status: answer.status, body: { error: answer.error } };
        results.inc({ result: answer.result });
        length.observe({ result: answer.result }, [...parsed.sms].length);
        return { status: 200, body: { classifier: answer.classifier, result: answer.result, sms: parsed.sms, guess: parsed.guess } };
      };
      for (const url of ["/sms", "/sms/"]) {
        app.post(url, async (request, reply) => {
          requests.inc({ endpoint: ENDPOINT });
          active.inc({ endpoint: ENDPOINT });
          const end = duration.startTimer({ endpoint: ENDPOINT });
          try {
            const out = await predict(request.body);
            if (out.status >= 500) request.log.warn({ status: out.status, error: (out.body as { error: string }).error }, "prediction failed");
            return reply.code(out.status).send(out.body);
          } finally {
            end();
            active.dec({ endpoint: ENDPOINT });
          }
        });
      }
    },
  });
}
