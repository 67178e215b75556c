import { ConfigError, ROLES, isRole, loadConfig, type AppConfig, type Role } from "./lib/config";
import { createRuntime, type RoleHandle, type Runtime } from "./lib/service";
import { installShutdown } from "./lib/shutdown";
import { startApi } from "./roles/api/cluster";
import * as logoutput from "./roles/logoutput";
import * as pingpong from "./roles/pingpong";
import * as shopOrder from "./roles/shop/order";
import * as shopPayment from "./roles/shop/payment";
import * as shopStock from "./roles/shop/stock";
import * as smsApp from "./roles/sms-app";
import * as smsModel from "./roles/sms-model";
import * as stats from "./roles/stats";

/**
 * `node dist/main.js <role>`: one image, several roles. Exit codes: 0 clean shutdown,
 * 1 failed to start or to shut down in time, 2 bad usage or configuration.
 */
async function startRole(config: AppConfig, runtime: Runtime): Promise<RoleHandle> {
  switch (config.role) {
    case "stats":
      return stats.start(config, runtime);
    case "pingpong":
      return pingpong.start(config, runtime);
    case "logoutput":
      return logoutput.start(config, runtime);
    case "sms-app":
      return smsApp.start(config, runtime);
    case "sms-model":
      return smsModel.start(config, runtime);
    case "api":
      return startApi(config, runtime);
    case "shop-order":
      return shopOrder.start(config, runtime);
    case "shop-payment":
      return shopPayment.start(config, runtime);
    case "shop-stock":
      return shopStock.start(config, runtime);
  }
}

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
