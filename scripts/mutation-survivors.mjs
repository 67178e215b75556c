#!/usr/bin/env node
// `node scripts/mutation-survivors.mjs <scope> [--all]`: the mutants a Stryker run left alive, one
// line each (file:line:column, mutator, replacement), from reports/mutation/<scope>.json (written by
// `npm run mutation -- <scope>`); with no report yet, from the committed
// test/mutation/<scope>.incremental.json (the last run's results, same format). For iterating on a
// scope's tests: look at a line, write the test a user would miss it in, re-run the scope.
// Statuses listed: Survived and NoCoverage (`--all` adds Timeout and RuntimeError); the summary
// line gives the score as docs/testing.md counts it: killed / (killed + survived + no coverage).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [scope, ...flags] = process.argv.slice(2);
if (!scope || scope.startsWith("-")) {
  console.error("usage: node scripts/mutation-survivors.mjs <scope> [--all]   (scope: config-rules, policy-rules, …)");
  process.exit(2);
}
// App scopes write theirs at the root too, as app-<name> (app/stryker.config.mjs).
const candidates = [path.join(root, "reports/mutation", `${scope}.json`), path.join(root, "test/mutation", `${scope}.incremental.json`)];
const file = candidates.find((f) => fs.existsSync(f));
if (!file) {
  console.error(`no report for scope ${scope}: run \`npm run mutation -- ${scope}\` first (looked for ${candidates.map((c) => path.relative(root, c)).join(", ")})`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, "utf8"));
const shown = new Set(["Survived", "NoCoverage", ...(flags.includes("--all") ? ["Timeout", "RuntimeError"] : [])]);
const oneLine = (s, max = 100) => {
  const t = String(s ?? "").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

const counts = {};
const rows = [];
for (const [name, f] of Object.entries(report.files ?? {})) {
  for (const m of f.mutants ?? []) {
    counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (!shown.has(m.status)) continue;
    const { line, column } = m.location.start;
    rows.push({ name, line, column, text: `${name}:${line}:${column}  ${m.status}${m.static ? " (static)" : ""}  ${m.mutatorName}  → ${oneLine(m.replacement)}` });
  }
}
rows.sort((a, b) => a.name.localeCompare(b.name) || a.line - b.line || a.column - b.column);
for (const r of rows) console.log(r.text);

const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const alive = (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
const total = killed + alive;
const score = total ? ((100 * killed) / total).toFixed(1) : "n/a";
console.log(`\n${path.relative(root, file)}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`score ${score} % (${killed} of ${total}: killed + timeout over killed + timeout + survived + no coverage; compile errors excluded)`);
