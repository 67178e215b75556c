/** Reading the pod template of a registered Deployment in program tests. */
import type { Res } from "./graph";

/** An env entry as the Workload writes it: a literal value or a `valueFrom` reference. */
export type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pod specs are free-form inputs
export const podOf = (d: Res): any => d.inputs.spec.template.spec;
/** The Workload's one application container (`app`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- container specs are free-form inputs
export const appContainer = (d: Res): any => podOf(d).containers.find((c: { name: string }) => c.name === "app");
export const envOf = (d: Res): Env[] => appContainer(d).env;
