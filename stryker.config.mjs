// Mutation testing of the Pulumi program's rules (not part of `npm test`: too slow for CI).
// Run through scripts/mutation.mjs (`npm run mutation [-- <scope>...]`), which picks a scope below.
// Each scope mutates one file and runs the test files that exercise it (cheapest first: mocha
// bails on the first failure, which is where a killed mutant stops), so a run fits the 2-core
// machine; `incremental` reuses earlier results for unchanged code and tests.
//
// Test runner: @stryker-mutator/mocha-runner, in process (one mocha per worker, the mutant
// switched on between runs); test/mutation/mocha-cjs-paths.mjs lets it load mocha 12.
// perTest coverage: a mutant runs only the tests that reach it; code reached from `before`
// hooks (a stack evaluated once per describe) counts as static and runs every test in scope.
import { pickScope, scopeOptions } from "./test/mutation/stryker-options.mjs";

/** @type {Record<string, { mutate: string[]; spec: string[]; grep?: string; tsconfig?: string }>} */
export const scopes = {
  // The config-rule tests of the platform files too, but not their describes that evaluate stacks.
  "config-rules": {
    mutate: ["config/rules.ts"],
    spec: ["test/config.test.ts", "test/platform-entry.test.ts", "test/platform-data.test.ts"],
    tsconfig: "test/mutation/tsconfig.config-rules.json",
    grep: "stack config validation|what needs a component fails config validation|data service config rules",
  },
  "policy-rules": { mutate: ["policy/rules.ts"], spec: ["test/layers.test.ts"], tsconfig: "test/mutation/tsconfig.policy-rules.json" },
  workload: { mutate: ["components/workload.ts"], spec: ["test/apps.test.ts", "test/platform-entry.test.ts", "test/stacks.test.ts"] },
  // The same file against its in-process contract: each test builds its own Workload, so per-test
  // coverage applies (minutes, where `workload` takes hours); the checker compiles workload.ts's imports only.
  "workload-contract": { mutate: ["components/workload.ts"], spec: ["test/workload.test.ts"], tsconfig: "test/mutation/tsconfig.workload-contract.json" },
  // The variants that came after the scope was set up (issue #12 item 4): api, sms and shop on the program side.
  variants: {
    mutate: [
      "components/variants/api.ts", "components/variants/sms.ts", "components/variants/sms-routing.ts", "components/variants/sms-monitoring.ts",
      "components/variants/sms-rollout.ts", "components/platform/flagger.ts", "config/sms.ts",
      "components/variants/shop.ts", "components/variants/shop-dashboard.ts", "config/shop.ts",
    ],
    spec: ["test/sms-routing.test.ts", "test/sms.test.ts", "test/sms-rollout.test.ts", "test/api.test.ts", "test/shop.test.ts"],
  },
};

const scope = pickScope(scopes);

export default {
  ...scopeOptions({ report: scope.name, toRoot: "", ...scope }),
  coverageAnalysis: "perTest",
  // The sms routing test replays cookies from a real sms-app process, so `variants` needs the built
  // app (npm run build) in its sandbox; the other program scopes never start a role.
  ignorePatterns: [...(scope.name === "variants" ? [] : ["app/dist"]), "app/node_modules", ".pulumi", ".pulumi-state", ".pulumi-work", "reports", "bin"],
};
