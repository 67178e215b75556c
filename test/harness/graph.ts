import { unwrapSecrets } from "./unwrap";

/** One registered resource as the engine would receive it. */
export interface Res {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** Inputs with secrets unwrapped. */
  inputs: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- resource inputs are free-form
  /** Inputs as sent, secret wrappers included. */
  raw: unknown;
  /**
   * Outputs as the engine would keep them in the state file, secret wrappers included: the mock's
   * fabricated state with `additionalSecretOutputs` applied (test/harness/mocks.ts).
   */
  stored: Record<string, unknown>;
  /** Provider reference `urn::id`, for custom resources. */
  provider?: string;
  /** Parent URN ("" for top-level). */
  parent: string;
  /** URNs this resource waits for (dependsOn, expanded to component children, plus input dependencies). */
  dependencies: string[];
  /** Input paths the engine keeps from the state instead of the program (`ignoreChanges`). */
  ignoreChanges: string[];
}

/** A Kubernetes object as it would be applied: apiVersion, kind, metadata, spec… */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Kinds that live outside namespaces. */
export const CLUSTER_SCOPED = new Set([
  "Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
  "CustomResourceDefinition", "PriorityClass", "IngressClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
]);

/** Every resource the program registered, with finders. */
export class Graph {
  constructor(
    public readonly resources: Res[],
    /** The program module's exports (stack outputs). */
    public readonly outputs: Record<string, unknown>,
    public readonly preview: boolean,
  ) {}

  ofType(type: string): Res[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Exactly one resource of this type whose name matches; fails with the candidates otherwise. */
  one(type: string, name: RegExp | string = /.*/): Res {
    const hits = this.find(type, name);
    if (hits.length !== 1) {
      throw new Error(`expected exactly one ${type} named ${String(name)}, found ${hits.length}: [${this.ofType(type).map((r) => r.name).join(", ")}]`);
    }
    return hits[0];
  }

  find(type: string, name: RegExp | string = /.*/): Res[] {
    return this.ofType(type).filter((r) => (typeof name === "string" ? r.name === name : name.test(r.name)));
  }

  has(type: string, name: RegExp | string = /.*/): boolean {
    return this.find(type, name).length > 0;
  }

  byUrn(urn: string): Res | undefined {
    return this.resources.find((r) => r.urn === urn);
  }

  /** Direct and indirect children of a component. */
  descendants(of: Res): Res[] {
    const out: Res[] = [];
    const walk = (urn: string) => {
      for (const r of this.resources) if (r.parent === urn) { out.push(r); walk(r.urn); }
    };
    walk(of.urn);
    return out;
  }

  /** The chain of component types above a resource, outermost first. */
  ancestry(r: Res): string[] {
    const chain: string[] = [];
    let p = this.byUrn(r.parent);
    while (p) { chain.unshift(p.type); p = this.byUrn(p.parent); }
    return chain;
  }

  /** True when `r` waits for `on` (or for any resource inside `on` when it is a component). */
  dependsOn(r: Res, on: Res): boolean {
    const targets = new Set([on.urn, ...this.descendants(on).map((d) => d.urn)]);
    return r.dependencies.some((d) => targets.has(d));
  }

  /** Every Kubernetes object (custom resources of the kubernetes provider that carry apiVersion/kind). */
  k8sObjects(): { res: Res; obj: K8sObject }[] {
    return this.resources
      .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && r.inputs?.apiVersion && r.inputs?.kind)
      .map((res) => ({ res, obj: res.inputs as K8sObject }));
  }

  /** Counts per type, for reports. */
  census(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const r of this.resources) c[r.type] = (c[r.type] ?? 0) + 1;
    return c;
  }
}

export function toRes(r: Omit<Res, "inputs">): Res {
  return { ...r, inputs: unwrapSecrets(r.raw) };
}
