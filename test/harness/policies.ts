import { checkObjects, checkStack, type PolicyObject, type Violation } from "../../policy/rules";
import type { Graph } from "./graph";
import { isSecret } from "./unwrap";

/** Every Kubernetes object and Helm release of a graph, in the shape the rules take. */
export function policyObjects(graph: Graph): PolicyObject[] {
  return graph.resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && (r.inputs?.kind || r.type === "kubernetes:helm.sh/v3:Release"))
    .map((r) => {
      const raw = (r.raw ?? {}) as Record<string, unknown>;
      const secretFields = new Set(Object.keys(raw).filter((k) => isSecret(raw[k])));
      return { type: r.type, name: r.name, obj: r.inputs, secretFields };
    });
}

/** All violations of every rule, as readable lines. */
export function policyViolations(graph: Graph): string[] {
  const objects = policyObjects(graph);
  return [...checkObjects(objects), ...checkStack(objects)].map((v: Violation) => `[${v.policy}] ${v.resource}: ${v.message}`);
}
