/**
 * The shop on one machine, no cluster:
 *
 *   npm run shop:local -- [--port 8000] [--state redis|mongo] [--replicas 2] [--verbose]
 *
 * Starts a store of its own, the replicas of shop-order / shop-payment / shop-stock and nginx as
 * the gateway on 127.0.0.1:PORT, prints `gateway ready: http://127.0.0.1:PORT` once every /readyz
 * answers 200, and stays in the foreground until SIGINT/SIGTERM, which stops everything it started.
 * Exit codes: 0 stopped by a signal, 1 could not start or the store/nginx died, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { replicasFlag, runCli, stateFlag, UsageError } from "./cli";
import { start } from "./local";

const USAGE = "usage: npm run shop:local -- [--port 8000] [--state redis|mongo] [--replicas 2] [--verbose]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8000" },
      state: { type: "string", default: "redis" },
      replicas: { type: "string", default: "2" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) throw new UsageError(`--port: ${JSON.stringify(values.port)} is not a TCP port (1-65535)`);
  const state = stateFlag(values.state);
  const replicas = replicasFlag(values.replicas);

  let stopRequested: NodeJS.Signals | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(sig, () => {
        stopRequested = sig;
        resolve(sig);
      });
    }
  });

  process.stderr.write(`starting ${state} store, ${replicas} replica(s) each of shop-order, shop-payment, shop-stock and nginx on 127.0.0.1:${port}\n`);
  let shop;
  try {
    shop = await start({
      port,
      state,
      replicas,
      onEvent: (line) => process.stderr.write(`shop:local: ${line}\n`),
      // The roles log JSON at LOG_LEVEL=warn: warnings and errors are worth seeing; --verbose shows all of it.
      onLog: (label, line) => {
        if (values.verbose || (label.startsWith("shop-") && line.startsWith("{"))) process.stderr.write(`[${label}] ${line}\n`);
      },
    });
  } catch (err) {
    process.stderr.write(`shop:local: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  if (stopRequested) {
    await shop.stop();
    return 0;
  }
  for (const [role, list] of Object.entries(shop.replicas)) {
    process.stderr.write(`  ${role}: ${list.map((r) => r.url).join(" ")}\n`);
  }
  process.stdout.write(`gateway ready: ${shop.url}\n`);
  const outcome = await Promise.race([signalled.then((sig) => ({ sig })), shop.failed.then((reason) => ({ reason }))]);
  process.stderr.write("reason" in outcome ? `shop:local: stopping: ${outcome.reason}\n` : `shop:local: ${outcome.sig}: stopping\n`);
  await shop.stop();
  return "reason" in outcome ? 1 : 0;
}

runCli(USAGE, main);
