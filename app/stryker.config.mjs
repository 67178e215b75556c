// Mutation testing of the app's state strategies and roles (see ../stryker.config.mjs).
// The app tests drive real processes (`node dist/main.js <role>`), so the build step compiles
// the instrumented sources in the sandbox and the tests run that dist; the test helpers hand
// the active mutant to each child through __STRYKER_ACTIVE_MUTANT__ (test/helpers/processes.ts;
// the roles get a clean environment).
// Coverage cannot be read from child processes, hence coverageAnalysis "off" (every mutant runs
// the scope's tests, mocha bails on the first failure). The mocha runner: ../stryker.config.mjs.
import { readdirSync } from "node:fs";
import { pickScope, scopeOptions } from "../test/mutation/stryker-options.mjs";

// Every app test file, the quick in-process ones first (mocha bails on the first failure).
// Not bench.test.ts: it drives bench/ (ignored below, so absent from the sandbox) and what it
// exercises of src/ the role tests cover; file-log.test.ts (the file stores' log) is in.
const QUICK = ["unit.test.ts", "config.test.ts"];
const NOT_IN_SCOPE = ["bench.test.ts"];
const APP_TESTS = readdirSync(new URL("test", import.meta.url))
  .filter((f) => f.endsWith(".test.ts") && !NOT_IN_SCOPE.includes(f))
  .sort((a, b) => Number(QUICK.includes(b)) - Number(QUICK.includes(a)) || a.localeCompare(b))
  .map((f) => `test/${f}`);

/** @type {Record<string, { mutate: string[]; spec: string[]; grep?: string; coverage?: "off" | "perTest" }>} */
export const scopes = {
  state: { mutate: ["src/state/**/*.ts"], spec: APP_TESTS },
  roles: { mutate: ["src/roles/**/*.ts"], spec: APP_TESTS },
  // The file stores' log (append, replay, compaction, incremental reading) against its in-process
  // tests only: minutes instead of the hours of `state`, for iterating on shard-log.ts.
  "shard-log": { mutate: ["src/state/shard-log.ts"], spec: ["test/file-log.test.ts"], grep: "in-process" },
  // Every state strategy against the in-process contract (test/stores.test.ts: real files,
  // redis-server and the Mongo-protocol server, no role process), the building blocks' unit tests
  // and the log's in-process tests. No child process runs the code under test, so per-test
  // coverage works: each mutant runs only the tests that reach it (minutes, not the hours of `state`).
  "state-contract": {
    mutate: ["src/state/**/*.ts"],
    spec: ["test/unit.test.ts", "test/stores.test.ts", "test/file-log.test.ts"],
    grep: "building blocks (GroupCommit|PipelinedGroups|FreshRead|mergePairs)|in-process",
    coverage: "perTest",
  },
  // The roles (the shop has its own scope) against the tests that also run each role in the test
  // process (test/helpers/in-process.ts, the describes named "(in-process)"): per-test coverage,
  // so each mutant runs only the tests that reach it. The process-only tests (kill -9, exit codes)
  // and what needs a built dist/ are `roles`' part.
  "roles-contract": {
    // Not api/cluster.ts: the API_WORKERS>1 primary forks processes (a fork here would run mocha),
    // so only the process tests reach it; the `roles` scope measures it.
    mutate: ["src/roles/**/*.ts", "!src/roles/shop/**", "!src/roles/api/cluster.ts"],
    spec: [
      "test/unit.test.ts",
      "test/sms-model.test.ts",
      "test/stats-page.test.ts",
      "test/pingpong.test.ts",
      "test/logoutput.test.ts",
      "test/store-outage.test.ts",
      "test/file-store-outage.test.ts",
      "test/sms.test.ts",
      "test/api.test.ts",
    ],
    // Plus the roles' unit tests: the stats view's helpers and the classifiers.
    grep: "in-process|stats view helpers|sms-model classifiers",
    coverage: "perTest",
  },
  // The shop against its unit tests and the shop suite run in the test process (per-test coverage,
  // like roles-contract); the kill -9 / SIGSTOP recovery test is `shop`'s part.
  "shop-contract": {
    mutate: ["src/roles/shop/**/*.ts"],
    spec: ["test/shop-unit.test.ts", "test/shop.test.ts"],
    grep: "in-process|shop money and parameters|shop configuration",
    coverage: "perTest",
  },
  // The shop (seed 003): its stores and the checkout saga, against the shop tests only.
  shop: {
    mutate: ["src/roles/shop/**/*.ts"],
    spec: ["test/shop-unit.test.ts", "test/config.test.ts", "test/shop.test.ts", "test/shop-recovery.test.ts"],
  },
};

const scope = pickScope(scopes);

export default {
  ...scopeOptions({ report: `app-${scope.name}`, toRoot: "../", mutate: scope.mutate, spec: scope.spec, grep: scope.grep }),
  // The app's build: the compiled roles for the tests that start processes, and the sms models
  // the build trains into dist/models (the classifier tests and sms-model read them).
  buildCommand: "npm run build",
  // "off" unless the scope's tests run the code in this process (see state-contract).
  coverageAnalysis: scope.coverage ?? "off",
  ignorePatterns: ["dist", "node_modules", "bench"],
};
