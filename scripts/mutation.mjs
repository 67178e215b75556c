#!/usr/bin/env node
// `npm run mutation [-- <scope>...]`: Stryker over the code where a bug costs most, one scope at
// a time (scopes: stryker.config.mjs for the program, app/stryker.config.mjs for the app).
// Stryker is started through its API module, not its CLI or package index: Stryker 10 declares
// Node >= 22 and its CLI module refuses to load on older Node, while the API runs on the Node
// 20.19+ this project also supports (its tests run on 20 here). On Node 22 both ways are the same.
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (process.argv[2] === "--one") {
  const { Stryker } = await import(pathToFileURL(path.join(root, "node_modules/@stryker-mutator/core/dist/src/stryker.js")).href);
  // MUTATE=<glob>[,<glob>…] narrows a scope to some of its files (e.g. while writing tests for one).
  const mutate = process.env.MUTATE ? { mutate: process.env.MUTATE.split(",") } : {};
  await new Stryker({ configFile: "stryker.config.mjs", ...mutate }).runMutationTest();
} else {
  const app = path.join(root, "app");
  // Scope name → where its stryker.config.mjs is and the MUTATION_SCOPE it reads.
  const all = [
    { scope: "config-rules", dir: root },
    { scope: "policy-rules", dir: root },
    { scope: "workload", dir: root },
    { scope: "workload-contract", dir: root },
    { scope: "variants", dir: root },
    { scope: "app-state", name: "state", dir: app },
    { scope: "app-roles", name: "roles", dir: app },
    { scope: "app-shop", name: "shop", dir: app },
    { scope: "app-shard-log", name: "shard-log", dir: app },
    { scope: "app-state-contract", name: "state-contract", dir: app },
    { scope: "app-roles-contract", name: "roles-contract", dir: app },
    { scope: "app-shop-contract", name: "shop-contract", dir: app },
  ];
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !all.some((a) => a.scope === w));
  if (unknown.length) {
    console.error(`unknown scope ${unknown.join(", ")}; scopes: ${all.map((a) => a.scope).join(", ")}`);
    process.exit(2);
  }
  let failed = 0;
  // The app tests find the Mongo-protocol test server through tools/ferretdb/build.sh, which is
  // not in Stryker's sandbox (it copies the app only): build or find it here, hand them the path.
  let ferretdb = process.env.STATEFLEET_FERRETDB;
  const ferretdbBinary = () => {
    ferretdb ??= execFileSync(path.join(root, "tools", "ferretdb", "build.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    return ferretdb;
  };
  for (const s of all.filter((a) => wanted.length === 0 || wanted.includes(a.scope))) {
    console.log(`\n=== mutation scope ${s.scope} ===`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--one"], {
      cwd: s.dir,
      stdio: "inherit",
      env: {
        ...process.env,
        MUTATION_SCOPE: s.name ?? s.scope,
        ...(s.dir === app ? { STATEFLEET_FERRETDB: ferretdbBinary() } : {}),
        // Type errors are the TypeScript checker's job; the test runs only transpile.
        TS_NODE_TRANSPILE_ONLY: "true",
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${pathToFileURL(path.join(root, "test/mutation/mocha-cjs-paths.mjs")).href}`.trim(),
      },
    });
    if (r.status !== 0) failed++;
  }
  process.exit(failed ? 1 : 0);
}
