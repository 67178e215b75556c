import { readFileSync } from "node:fs";
import path from "node:path";
import { Counter, Histogram } from "prom-client";
import type { SmsModelConfig } from "../../lib/config";
import { createRuntime, startService, type RoleHandle, type Runtime } from "../../lib/service";
import { Classifier, type ModelArtefact } from "./classifier";
import { parseSms, rawBodies } from "../sms-app/input";

/** Loads `<modelDir>/<version>.json`, failing with what to fix when it is missing or broken. */
export function loadModel(config: Pick<SmsModelConfig, "modelDir" | "modelVersion">): { artefact: ModelArtefact; classifier: Classifier } {
  const file = path.join(config.modelDir, `${config.modelVersion}.json`);
  let artefact: ModelArtefact;
  try {
    artefact = JSON.parse(readFileSync(file, "utf8")) as ModelArtefact;
  } catch (err) {
    throw new Error(`MODEL_VERSION=${config.modelVersion}: cannot load ${file} (${(err as Error).message}); the image ships the versions its build trained (npm run build)`, { cause: err });
  }
  if (artefact.format !== 1 || artefact.version !== config.modelVersion) {
    throw new Error(`MODEL_VERSION=${config.modelVersion}: ${file} is not a format-1 artefact of that version`);
  }
  return { artefact, classifier: new Classifier(artefact) };
}

/**
 * The model service (seed 004): `POST /predict {"sms"}` → `{"result","classifier","sms","version"}`
 * from the naive Bayes model of `MODEL_VERSION`, trained at build time and loaded here once.
 */
export async function start(config: SmsModelConfig, runtime: Runtime = createRuntime(config)): Promise<RoleHandle> {
  const { artefact, classifier } = loadModel(config);
  const registry = runtime.metrics.registry;
  const predictions = new Counter({
    name: "model_predictions_total",
    help: "Predictions made, by model version and result",
    labelNames: ["version", "result"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "model_prediction_latency_seconds",
    help: "Time to classify one message, seconds",
    labelNames: ["version"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  // Both results exist from the first scrape, so rate() and ratios have a series to work on.
  for (const result of ["spam", "ham"]) predictions.inc({ version: config.modelVersion, result }, 0);
  const label = `${artefact.classifier}, model ${config.modelVersion}`;
  runtime.logger.info({ version: config.modelVersion, heldOut: artefact.heldOut }, "model loaded");

  return startService({
    config,
    runtime,
    routes(app) {
      rawBodies(app);
      app.post("/predict", async (request, reply) => {
        const parsed = parseSms(request.body, { guessRequired: false });
        if (!parsed.ok) return reply.code(400).send({ error: parsed.error, field: parsed.field });
        const end = latency.startTimer({ version: config.modelVersion });
        const { result } = classifier.predict(parsed.sms);
        end();
        predictions.inc({ version: config.modelVersion, result });
        return reply.send({ result, classifier: label, sms: parsed.sms, version: config.modelVersion });
      });
      app.get("/", async (_request, reply) => reply.send({ version: config.modelVersion, classifier: label, heldOut: artefact.heldOut }));
    },
  });
}
