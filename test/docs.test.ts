import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { keyPaths } from "../config/errors";
import { aksSchema, k3dSchema } from "../config/cluster";
import { stackSchema } from "../config/schema";
import { REPO_ROOT, stackFileConfig } from "./harness/evaluate";

/** One row of a `| key | default | allowed | meaning |` table in docs/config.md. */
interface DocRow { key: string; defaultCell: string; allowedCell: string }

/** Every key row of docs/config.md (cells split at `|`, not at the escaped `\|`). */
function docRows(doc: string): Map<string, DocRow> {
  const rows = new Map<string, DocRow>();
  for (const line of doc.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replace(/\\\|/g, "|"));
    const key = /^`([^`]+)`$/.exec(cells[0])?.[1];
    if (key && cells.length >= 3) rows.set(key, { key, defaultCell: cells[1], allowedCell: cells[2] });
  }
  return rows;
}

// zod 4 keeps its definition under `_zod.def`.
interface Def { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; defaultValue?: unknown; entries?: Record<string, string> }
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** A key's own `.default(…)`, for keys inside an optional block (autoscale) that `{}` does not reach. */
function ownDefault(schema: z.ZodType, key: string): unknown {
  let cur = schema;
  for (const step of key.split(".")) cur = defOf(schemaAtBare(cur)).shape![step];
  for (let d = defOf(cur); ; ) {
    if (d.type === "default") return d.defaultValue;
    const next = d.type === "pipe" ? d.in : d.innerType;
    if (!next) return undefined;
    d = defOf(next);
  }
}

/** The bare type of one key below its wrappers (default, prefault, optional, nullable, pipe). */
function schemaAt(schema: z.ZodType, key: string): z.ZodType {
  let cur = schema;
  for (const step of key.split(".")) cur = defOf(schemaAtBare(cur)).shape![step];
  return schemaAtBare(cur);
}
function schemaAtBare(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    const next = d.type === "pipe" ? d.in : d.innerType;
    if (!next || !["default", "prefault", "optional", "nullable", "pipe"].includes(d.type)) return cur;
    cur = next;
  }
}

const shown = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
/** The code spans of a cell, quotes around a value removed (`"1"` → 1). */
const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1].replace(/^"(.*)"$/, "$1"));

describe("operator docs", () => {
  it("docs/config.md documents every config key the schema accepts", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8");
    const missing = keyPaths(stackSchema).filter((k) => !doc.includes(`\`${k}\``));
    expect(missing, "undocumented keys (write them as `key.path` in docs/config.md)").to.deep.equal([]);
  });

  it("docs/config.md shows the schema's own default for every key that has one", () => {
    const rows = docRows(fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8"));
    // What an empty stack gets, plus the blocks of both cluster kinds: the defaults as the program sees them.
    const defaults = stackSchema.parse({}) as Record<string, unknown>;
    (defaults.cluster as Record<string, unknown>).k3d = k3dSchema.parse({});
    (defaults.cluster as Record<string, unknown>).aks = aksSchema.parse({});
    const wrong: string[] = [];
    let compared = 0;
    for (const key of keyPaths(stackSchema)) {
      const row = rows.get(key);
      if (!row) continue; // the key-coverage test above names it
      const value = key.split(".").reduce<unknown>((acc, k) => (acc && typeof acc === "object" ? (acc as Record<string, unknown>)[k] : undefined), defaults) ?? ownDefault(stackSchema, key);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) continue; // a block: its keys carry the defaults
      const single = /^`([^`]*)`$/.exec(row.defaultCell)?.[1];
      if (value !== undefined) {
        compared++;
        if (single !== shown(value)) wrong.push(`${key}: docs say ${row.defaultCell || "(nothing)"}, the schema's default is \`${shown(value)}\``);
      } else if (single !== undefined && !rows.has(single)) {
        // A default that names another key (`ingress.host`) is a reference, not a value.
        wrong.push(`${key}: docs say ${row.defaultCell}, the schema has no default`);
      }
    }
    expect(wrong).to.deep.equal([]);
    expect(compared, "defaults compared").to.be.greaterThan(150);
  });

  it("docs/config.md lists exactly the schema's allowed values for every choice, and its ranges for every bounded number", () => {
    const rows = docRows(fs.readFileSync(path.join(REPO_ROOT, "docs", "config.md"), "utf8"));
    const wrong: string[] = [];
    let choices = 0;
    let ranges = 0;
    for (const key of keyPaths(stackSchema)) {
      const row = rows.get(key);
      if (!row) continue;
      let bare = schemaAt(stackSchema, key);
      if (defOf(bare).type === "array" && defOf(bare).element) bare = schemaAtBare(defOf(bare).element!);
      const d = defOf(bare);
      if (d.type === "enum" && d.entries) {
        choices++;
        const want = Object.values(d.entries).map(String).sort();
        const got = [...new Set(codeSpans(row.allowedCell))].sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${key}: docs allow ${got.join(" | ")}, the schema ${want.join(" | ")}`);
      } else if (d.type === "number") {
        const n = bare as z.ZodNumber;
        if (n.minValue === null || n.maxValue === null || !Number.isFinite(n.minValue) || !Number.isFinite(n.maxValue)) continue;
        // `1–50`, or `> 0, ≤ 1000000` for a bound the value may not reach.
        const range = /(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)/.exec(row.allowedCell) ?? /> (\d+(?:\.\d+)?), ≤ (\d+(?:\.\d+)?)/.exec(row.allowedCell);
        if (!range) {
          // A port is 1–65535 by its name.
          if (!(row.allowedCell === "port" && n.minValue === 1 && n.maxValue === 65535)) wrong.push(`${key}: docs give no range, the schema ${n.minValue}–${n.maxValue}`);
          continue;
        }
        ranges++;
        if (Number(range[1]) !== n.minValue || Number(range[2]) !== n.maxValue) wrong.push(`${key}: docs allow ${range[0]}, the schema ${n.minValue}–${n.maxValue}`);
      } else if (d.type === "boolean" && row.allowedCell !== "boolean") {
        wrong.push(`${key}: docs allow ${row.allowedCell}, the schema a boolean`);
      }
    }
    expect(wrong).to.deep.equal([]);
    // The check looked at something: a table change that breaks the parser must not pass silently.
    expect(choices, "enum keys compared").to.be.greaterThan(20);
    expect(ranges, "number ranges compared").to.be.greaterThan(30);
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
