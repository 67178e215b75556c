import pino, { type DestinationStream, type Logger } from "pino";
import type { BaseConfig } from "./config";

export type { Logger };

/**
 * JSON logs on stdout, one object per line, with the role and pod on every line so logs
 * from several replicas can be told apart once aggregated. Writes are synchronous: we log
 * little, and a line written right before `process.exit` must not be lost.
 */
export function createLogger(
  config: Pick<BaseConfig, "role" | "podName" | "logLevel">,
  // The in-process role tests read the lines from a stream of their own.
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { role: config.role, pod: config.podName },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
