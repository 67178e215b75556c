/**
 * Validates custom resources against a CustomResourceDefinition's `openAPIV3Schema`, the way the
 * API server reads a structural schema: `type` (with `x-kubernetes-int-or-string`), `enum`,
 * `required`, `minimum`/`maximum`, and — unlike kubernetes-models — unknown fields: the API
 * server prunes a field that is neither in `properties` nor allowed by `additionalProperties` or
 * `x-kubernetes-preserve-unknown-fields`, so a misspelled field would be dropped without a word.
 *
 * The CRDs are checked-in copies of the pinned chart's own files (test/fixtures/<tool>/…), each
 * naming its source tag and path in a header comment.
 */
import * as fs from "node:fs";
import * as YAML from "yaml";

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** `<group>/<version> <Kind>` → the version's openAPIV3Schema, for every CRD in the file. */
export function loadCrdSchemas(file: string): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const crd = doc.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: JsonSchema } }[] } } | null;
    if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
    for (const v of crd.spec.versions) out.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
  }
  if (out.size === 0) throw new Error(`${file}: no CustomResourceDefinition in it`);
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Every place `value` breaks `schema`, as `<path>: <problem>` (empty when valid). */
export function schemaProblems(value: unknown, schema: JsonSchema, path = ""): string[] {
  const at = path || "(root)";
  const t = typeOf(value);
  if (schema["x-kubernetes-int-or-string"]) {
    return t === "integer" || t === "string" ? [] : [`${at}: ${t} where an integer or a string is allowed`];
  }
  if (schema.type) {
    const ok = schema.type === t || (schema.type === "number" && t === "integer");
    if (!ok) return [`${at}: ${t} where the schema wants ${schema.type}`];
  }
  const out: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: ${value} is below the minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: ${value} is above the maximum ${schema.maximum}`);
  }
  if (t === "array" && schema.items) (value as unknown[]).forEach((x, i) => out.push(...schemaProblems(x, schema.items as JsonSchema, `${path}[${i}]`)));
  if (t === "object") {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) out.push(`${path ? `${path}.` : ""}${r}: required`);
    if (schema["x-kubernetes-preserve-unknown-fields"] && !schema.properties) return out;
    for (const [k, v] of Object.entries(obj)) {
      const p = path ? `${path}.${k}` : k;
      // ObjectMeta is the API server's own (validated like every object's, elsewhere); CRDs give it no properties.
      if (path === "" && k === "metadata") continue;
      const prop = schema.properties?.[k];
      if (prop) out.push(...schemaProblems(v, prop, p));
      else if (typeof schema.additionalProperties === "object") out.push(...schemaProblems(v, schema.additionalProperties, p));
      else if (schema.additionalProperties === true || schema["x-kubernetes-preserve-unknown-fields"]) continue;
      else if (path === "" && (k === "apiVersion" || k === "kind")) continue;
      else out.push(`${p}: unknown field (the API server would drop it)`);
    }
  }
  return out;
}
