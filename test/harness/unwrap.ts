/** How the Pulumi SDK marks secrets and unknowns in the inputs a mock monitor sees. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The value under SECRET_SIG that marks a secret wrapper `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`. */
export const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const isSecretWrapper = (v: unknown): v is { value: unknown } =>
  !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE_SIG;

/** Inputs with every secret wrapper replaced by its value (for asserting and schema validation). */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretWrapper(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

/** Every string in the inputs that is NOT inside a secret wrapper: what a preview would print. */
export function plainStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretWrapper(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
  return out;
}

/** True when the value at this spot is a Pulumi secret. */
export function isSecret(v: unknown): boolean {
  return isSecretWrapper(v);
}

/** True when any part of the value is unknown (preview). */
export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (v && typeof v === "object" && (v as Record<string, unknown>).__pulumiUnknown === true) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}
