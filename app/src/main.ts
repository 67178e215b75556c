import { ConfigError, ROLES, isRole, loadConfig, type AppConfig, type Role } from "./lib/config";
import { createRuntime, type RoleHandle } from "./lib/service";
import { installShutdown } from "./lib/shutdown";
import { startRole } from "./roles/start";

/**
 * `node dist/main.js <role>`: one image, several roles. Exit codes: 0 clean shutdown,
 * 1 failed to start or to shut down in time, 2 bad usage or configuration.
 */
async function main(argv: string[]): Promise<void> {
  const role = argv[2];
  if (!isRole(role)) {
    process.stderr.write(
      `statefleet: unknown role ${JSON.stringify(role ?? "")} (allowed: ${ROLES.join(", ")})\n` +
        "usage: node dist/main.js <role>\n",
    );
    process.exit(2);
  }

  let config: AppConfig;
  try {
    config = loadConfig(role as Role, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Plain text on stderr: this is read by a person fixing a Deployment, not by a log pipeline.
    process.stderr.write(`statefleet ${role}: ${err.message}\n`);
    process.exit(2);
  }

  const runtime = createRuntime(config);
  process.on("uncaughtException", (err) => {
    runtime.logger.fatal({ err }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (err) => {
    runtime.logger.fatal({ err }, "unhandled rejection");
    process.exit(1);
  });

  let handle: RoleHandle;
  try {
    handle = await startRole(config, runtime);
  } catch (err) {
    runtime.logger.fatal({ err: (err as Error).message }, `${role} failed to start`);
    process.stderr.write(`statefleet ${role}: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  installShutdown(handle, config);
}

void main(process.argv);
