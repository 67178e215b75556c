/**
 * The stack's outputs without the ones this stack does not have. The engine warns
 * "Undefined value (x) will not show as a stack output" for every top-level `undefined`
 * (@pulumi/pulumi runtime/stack.ts, `massage`), so a clean preview exports only what exists:
 * `pulumi stack output` then lists exactly what the stack has (no `sharedStorageClass` on k3d,
 * no `redisUrl` with Redis off).
 */
export function stackOutputs<T extends Record<string, unknown>>(outputs: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
