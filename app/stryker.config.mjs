// Mutation testing of the app's state strategies and roles (see ../stryker.config.mjs).
// The app tests drive real processes (`node dist/main.js <role>`), so the build step compiles
// the instrumented sources in the sandbox and the tests run that dist; the test helpers hand
// the active mutant to each child through __STRYKER_ACTIVE_MUTANT__ (test/helpers/processes.ts;
// the roles get a clean environment).
// Coverage cannot be read from child processes, hence coverageAnalysis "off" (every mutant runs
// the scope's tests, mocha bails on the first failure). The mocha runner: ../stryker.config.mjs.
import { readdirSync } from "node:fs";

// Every app test file, the quick in-process ones first (mocha bails on the first failure).
const QUICK = ["unit.test.ts", "config.test.ts"];
const APP_TESTS = readdirSync(new URL("test", import.meta.url))
  .filter((f) => f.endsWith(".test.ts"))
  .sort((a, b) => Number(QUICK.includes(b)) - Number(QUICK.includes(a)) || a.localeCompare(b))
  .map((f) => `test/${f}`);

/** @type {Record<string, { mutate: string[]; spec: string[] }>} */
export const scopes = {
  state: { mutate: ["src/state/**/*.ts"], spec: APP_TESTS },
  roles: { mutate: ["src/roles/**/*.ts"], spec: APP_TESTS },
};

const name = process.env.MUTATION_SCOPE ?? "";
const scope = scopes[name];
if (!scope) throw new Error(`MUTATION_SCOPE must be one of: ${Object.keys(scopes).join(", ")}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "mocha",
  mochaOptions: { config: ".mocharc.json", spec: scope.spec },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  buildCommand: "npx tsc -p tsconfig.json",
  mutate: scope.mutate,
  coverageAnalysis: "off",
  concurrency: 2,
  timeoutMS: 60000,
  incremental: true,
  incrementalFile: `../test/mutation/app-${name}.incremental.json`,
  ignorePatterns: ["dist", "node_modules", "bench"],
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: `../reports/mutation/app-${name}.html` },
  jsonReporter: { fileName: `../reports/mutation/app-${name}.json` },
  thresholds: { high: 90, low: 80, break: null },
};
