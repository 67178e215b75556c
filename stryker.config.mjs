// Mutation testing of the Pulumi program's rules (not part of `npm test`: too slow for CI).
// Run through scripts/mutation.mjs (`npm run mutation [-- <scope>...]`), which picks a scope below.
// Each scope mutates one file and runs the test files that exercise it (cheapest first: mocha
// bails on the first failure, which is where a killed mutant stops), so a run fits the 2-core
// machine; `incremental` reuses earlier results for unchanged code and tests.
//
// Test runner: Stryker's built-in command runner (one `mocha` process per mutant, the mutant
// handed over in __STRYKER_ACTIVE_MUTANT__). @stryker-mutator/mocha-runner 10.0.0 cannot load
// mocha 12, which ships its cli internals as .cjs (stryker-js PR #6205, open); switch to it
// once a release carries that fix. Per-test coverage would not help here anyway: the program
// tests evaluate a stack in `before` hooks, so nearly every mutant would count as "static".
import { fileURLToPath } from "node:url";

/** @type {Record<string, { mutate: string[]; spec: string[] }>} */
export const scopes = {
  "config-rules": { mutate: ["config/rules.ts"], spec: ["test/config.test.ts", "test/platform-entry.test.ts", "test/platform-data.test.ts"] },
  "policy-rules": { mutate: ["policy/rules.ts"], spec: ["test/layers.test.ts"] },
  workload: { mutate: ["components/workload.ts"], spec: ["test/apps.test.ts", "test/platform-entry.test.ts", "test/stacks.test.ts"] },
};

const scope = scopes[process.env.MUTATION_SCOPE ?? ""];
if (!scope) throw new Error(`MUTATION_SCOPE must be one of: ${Object.keys(scopes).join(", ")}`);

// mocha's own bin, by absolute path (npx costs a second per mutant; the sandbox may have no .bin).
const MOCHA = fileURLToPath(new URL("node_modules/.bin/mocha", import.meta.url));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "command",
  // --bail: a mutant is killed by the first failing test; the rest need not run.
  // --no-config: .mocharc.json's spec glob would add every test file to the ones named here.
  commandRunner: { command: `${process.execPath} ${MOCHA} --no-config --require ts-node/register --extension ts --timeout 60000 --bail --reporter dot ${scope.spec.join(" ")}` },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  mutate: scope.mutate,
  coverageAnalysis: "off",
  concurrency: 2,
  timeoutMS: 60000,
  incremental: true,
  incrementalFile: `test/mutation/${process.env.MUTATION_SCOPE}.incremental.json`,
  ignorePatterns: ["app/dist", "app/node_modules", ".pulumi", ".pulumi-state", "reports", "bin"],
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${process.env.MUTATION_SCOPE}.html` },
  jsonReporter: { fileName: `reports/mutation/${process.env.MUTATION_SCOPE}.json` },
  thresholds: { high: 90, low: 80, break: null },
};
