// What every mutation scope shares (stryker.config.mjs, app/stryker.config.mjs).

/**
 * Stryker options for one scope. `report` names its files: `<toRoot>reports/mutation/<report>.*`
 * and `<toRoot>test/mutation/<report>.incremental.json` (committed; see docs/testing.md).
 * `grep` narrows the spec files to the describes that matter (mocha's --grep); `tsconfig` is what
 * the TypeScript checker compiles per mutant (a narrow one is much faster on a busy machine).
 * @param {{ report: string; toRoot: string; mutate: string[]; spec: string[]; grep?: string; tsconfig?: string }} scope
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function scopeOptions({ report, toRoot, mutate, spec, grep, tsconfig = "tsconfig.json" }) {
  return {
    packageManager: "npm",
    testRunner: "mocha",
    mochaOptions: { config: ".mocharc.json", spec, ...(grep ? { grep } : {}) },
    checkers: ["typescript"],
    tsconfigFile: tsconfig,
    mutate,
    concurrency: 2,
    timeoutMS: 60000,
    incremental: true,
    incrementalFile: `${toRoot}test/mutation/${report}.incremental.json`,
    reporters: ["clear-text", "progress-append-only", "html", "json"],
    htmlReporter: { fileName: `${toRoot}reports/mutation/${report}.html` },
    jsonReporter: { fileName: `${toRoot}reports/mutation/${report}.json` },
    thresholds: { high: 90, low: 80, break: null },
  };
}

/** The scope named by MUTATION_SCOPE (set by scripts/mutation.mjs). */
export function pickScope(scopes) {
  const name = process.env.MUTATION_SCOPE ?? "";
  const scope = scopes[name];
  if (!scope) throw new Error(`MUTATION_SCOPE must be one of: ${Object.keys(scopes).join(", ")}`);
  return { name, ...scope };
}
