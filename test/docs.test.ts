import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { keyPaths } from "../config/errors";
import { stackSchema } from "../config/schema";
import { REPO_ROOT, stackFileConfig } from "./harness/evaluate";

describe("operator docs", () => {
  it("docs/config.md documents every config key the schema accepts", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8");
    const missing = keyPaths(stackSchema).filter((k) => !doc.includes(`\`${k}\``));
    expect(missing, "undocumented keys (write them as `key.path` in docs/config.md)").to.deep.equal([]);
  });

  it("both stack files show every top-level key", () => {
    for (const stack of ["dev", "aks"]) {
      const shown = Object.keys(stackFileConfig(stack)).filter((k) => k.startsWith("statefleet:")).map((k) => k.slice(11)).sort();
      expect(shown, stack).to.deep.equal(Object.keys(stackSchema.shape).sort());
    }
  });

  it("the README gives the test command that CI runs", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(readme).to.contain("npm test");
    expect(ci, ".ci/run must run exactly the README's command").to.match(/^npm test 2>&1 \| tee /m);
  });
});
