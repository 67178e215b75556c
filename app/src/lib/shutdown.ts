import type { BaseConfig } from "./config";
import type { RoleHandle } from "./service";

/**
 * The one shutdown path. On SIGTERM/SIGINT: stop looking ready, optionally keep serving for
 * SHUTDOWN_DELAY_MS (endpoints take a moment to drop the pod), then stop accepting, let
 * in-flight requests finish, flush and close the stores and exit 0. If that does not finish
 * within SHUTDOWN_TIMEOUT_MS, exit 1 so the failure is visible.
 */
export function installShutdown(handle: RoleHandle, config: Pick<BaseConfig, "shutdownTimeoutMs" | "shutdownDelayMs">): void {
  const log = handle.logger;
  let started = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      log.warn({ signal }, "shutdown already in progress");
      return;
    }
    started = true;
    log.info({ signal, timeoutMs: config.shutdownTimeoutMs, delayMs: config.shutdownDelayMs }, "shutting down");
    const deadline = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown did not finish in time; exiting with in-flight work");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    handle.beginShutdown();
    void delay(config.shutdownDelayMs)
      .then(() => handle.close())
      .then(
        () => {
          clearTimeout(deadline);
          log.info("shutdown complete");
          process.exit(0);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  };

  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
