// Preloaded (NODE_OPTIONS=--import) into Stryker's processes by scripts/mutation.mjs.
// @stryker-mutator/mocha-runner 10.0.0 requires mocha's cli internals without an extension
// (mocha/lib/cli/run-helpers, options, collect-files); mocha 12 ships them as .cjs, which
// require() does not try, so the runner fails to load. stryker-js PR #6205 (open) fixes that
// upstream; until a release carries it, resolve exactly those requests to their .cjs files.
import Module from "node:module";

const original = Module._resolveFilename;
Module._resolveFilename = function resolveMochaCli(request, ...rest) {
  try {
    return original.call(this, request, ...rest);
  } catch (err) {
    if (/[\\/]mocha[\\/]lib[\\/]cli[\\/][\w-]+$/.test(request)) return original.call(this, `${request}.cjs`, ...rest);
    throw err;
  }
};
