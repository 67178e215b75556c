/**
 * The seed-002 throttle as mongod 8.0 will read it: every flag and `--setParameter` that
 * mongodArgs() emits is checked against MongoDB's own rules (test/fixtures/mongod/8.0-startup-rules.json,
 * taken from the server's parameter definitions and validators), not against our constants.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { MONGO_IMAGE, mongodArgs, type MongoThrottle } from "../components/data/mongo";
import { mongoSchema } from "../config/data";
import { REPO_ROOT, stackFileConfig } from "./harness/evaluate";

interface ParamRule { setAt: string[]; type: "int" | "enum"; min?: number; values?: string[]; deprecatedNames?: string[]; onlyWithAlgorithm?: string }
interface OptionRule { type: "float" | "int" | "flag" | "name=value"; min?: number; max?: number }
const RULES = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "mongod", "8.0-startup-rules.json"), "utf8")) as {
  setParameters: Record<string, ParamRule>;
  options: Record<string, OptionRule>;
};
const ALGORITHM = "storageEngineConcurrencyAdjustmentAlgorithm";

/** Every way mongod 8.0 would refuse these arguments at startup (or silently not throttle). */
function violations(args: string[]): string[] {
  const out: string[] = [];
  if (args[0] !== "mongod") out.push(`first argument is ${args[0]}, not mongod`);
  const params = new Map<string, string>();
  for (let i = 1; i < args.length; i++) {
    const flag = args[i];
    const rule = RULES.options[flag];
    if (!rule) { out.push(`${flag}: not a mongod option we know the rule of`); continue; }
    if (rule.type === "flag") continue;
    const value = args[++i];
    if (value === undefined) { out.push(`${flag}: no value`); continue; }
    if (rule.type === "name=value") {
      const m = /^([A-Za-z]+)=(.+)$/.exec(value);
      if (!m) { out.push(`${flag} ${value}: not name=value`); continue; }
      params.set(m[1], m[2]);
      continue;
    }
    const n = Number(value);
    if (!Number.isFinite(n) || (rule.type === "int" && !Number.isInteger(n))) out.push(`${flag} ${value}: not a ${rule.type}`);
    if (rule.min !== undefined && n < rule.min) out.push(`${flag} ${value}: below ${rule.min}`);
    if (rule.max !== undefined && n > rule.max) out.push(`${flag} ${value}: above ${rule.max}`);
  }
  for (const [name, value] of params) {
    const rule = RULES.setParameters[name];
    const deprecated = Object.entries(RULES.setParameters).find(([, r]) => r.deprecatedNames?.includes(name));
    if (deprecated) { out.push(`${name}: deprecated in 8.0, use ${deprecated[0]}`); continue; }
    if (!rule) { out.push(`${name}: not a server parameter we know the rule of`); continue; }
    if (!rule.setAt.includes("startup")) out.push(`${name}: cannot be set at startup`);
    if (rule.type === "int") {
      if (!/^-?\d+$/.test(value)) out.push(`${name}=${value}: not an integer`);
      else if (rule.min !== undefined && Number(value) < rule.min) out.push(`${name}=${value}: mongod refuses values below ${rule.min}`);
    }
    if (rule.type === "enum" && !rule.values!.includes(value)) out.push(`${name}=${value}: not one of ${rule.values!.join(", ")}`);
    if (rule.onlyWithAlgorithm && params.get(ALGORITHM) !== rule.onlyWithAlgorithm)
      out.push(`${name}: only compatible with ${ALGORITHM}=${rule.onlyWithAlgorithm}, which is not set (tickets would not be fixed)`);
  }
  return out;
}

const throttleOf = (stack: string): MongoThrottle => mongoSchema.parse((stackFileConfig(stack) as Record<string, unknown>)["statefleet:mongo"]).throttle;

describe("mongod arguments for the seed-002 throttle (MongoDB 8.0 rules)", () => {
  it("runs a MongoDB 8.0 image, the version these rules are for", () => {
    expect(MONGO_IMAGE).to.match(/^mongo:8\.0\.\d+$/);
  });

  for (const stack of ["dev", "aks"]) {
    it(`${stack}: every flag and parameter is one mongod 8.0 accepts, and the tickets are fixed`, () => {
      const args = mongodArgs(throttleOf(stack));
      expect(violations(args)).to.deep.equal([]);
      expect(args).to.include("--setParameter");
    });
  }

  it("holds across the whole range the config accepts", () => {
    const lowest = mongoSchema.parse({ throttle: { readTickets: 5, writeTickets: 5, cacheSizeGB: 0.25 } }).throttle;
    const highest = mongoSchema.parse({ throttle: { readTickets: 128, writeTickets: 128, cacheSizeGB: 64 } }).throttle;
    for (const t of [lowest, highest]) expect(violations(mongodArgs(t)), JSON.stringify(t)).to.deep.equal([]);
    expect(mongoSchema.safeParse({ throttle: { readTickets: 4 } }).success, "4 read tickets would stop mongod at startup").to.equal(false);
    expect(mongoSchema.safeParse({ throttle: { writeTickets: 4 } }).success, "4 write tickets would stop mongod at startup").to.equal(false);
    expect(mongoSchema.safeParse({ throttle: { cacheSizeGB: 0.2 } }).success).to.equal(false);
  });

  it("catches what mongod 8.0 would refuse or ignore (the checker itself)", () => {
    const ok = mongodArgs({ readTickets: 10, writeTickets: 10, cacheSizeGB: 0.25 });
    const without = (name: string) => ok.filter((a, i) => !a.startsWith(`${name}=`) && !(a === "--setParameter" && ok[i + 1]?.startsWith(`${name}=`)));
    expect(violations(without(ALGORITHM))).to.have.length(2);
    expect(violations(ok.map((a) => a.replace("storageEngineConcurrentReadTransactions", "wiredTigerConcurrentReadTransactions")))).to.deep.equal([
      "wiredTigerConcurrentReadTransactions: deprecated in 8.0, use storageEngineConcurrentReadTransactions",
    ]);
    expect(violations(ok.map((a) => a.replace("=10", "=4")))[0]).to.match(/refuses values below 5/);
    expect(violations(ok.map((a) => (a === "0.25" ? "0.1" : a)))).to.deep.equal(["--wiredTigerCacheSizeGB 0.1: below 0.25"]);
    expect(violations(ok.map((a) => a.replace("fixedConcurrentTransactions", "fixed")))[0]).to.match(/not one of/);
  });
});
