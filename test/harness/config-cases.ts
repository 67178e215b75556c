/**
 * Impossible combinations: a change to a committed stack file must fail config parsing with a
 * problem at the exact key path, saying what to fix.
 */
import { expect } from "chai";
import { ConfigError, parseStackConfig } from "../../config";
import { merge, stackFileConfig } from "./evaluate";

/** A stack file's `statefleet:*` keys without the prefix, as parseStackConfig takes them. */
export const stackRaw = (stack: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(stackFileConfig(stack)).filter(([k]) => k.startsWith("statefleet:")).map(([k, v]) => [k.slice(11), v]));

export interface ConfigCase { what: string; change: Record<string, unknown>; path: string; says: RegExp }

/** One `it` per case: parsing `stack` with the change throws a ConfigError whose line for `path` matches `says`. */
export function itRejects(stack: string, cases: ConfigCase[]): void {
  for (const c of cases) {
    it(`rejects ${c.what} at ${c.path}`, () => {
      let problems: string[] = [];
      try {
        parseStackConfig(stack, merge(stackRaw(stack), c.change) as Record<string, unknown>);
        expect.fail("accepted");
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        problems = (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      const line = problems.find((p) => p.startsWith(`${c.path}: `));
      expect(line, `no problem for ${c.path} in:\n${problems.join("\n")}`).to.be.a("string");
      expect(line!.slice(c.path.length + 2)).to.match(c.says);
    });
  }
}
