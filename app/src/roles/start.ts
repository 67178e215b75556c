import type { AppConfig } from "../lib/config";
import type { RoleHandle, Runtime } from "../lib/service";
import { startApi } from "./api/cluster";
import * as logoutput from "./logoutput";
import * as pingpong from "./pingpong";
import * as shopOrder from "./shop/order";
import * as shopPayment from "./shop/payment";
import * as shopStock from "./shop/stock";
import * as smsApp from "./sms-app";
import * as smsModel from "./sms-model";
import * as stats from "./stats";

/** Starts the role the configuration names (main.ts; the in-process role tests start roles the same way). */
export async function startRole(config: AppConfig, runtime: Runtime): Promise<RoleHandle> {
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
