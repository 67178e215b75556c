import { parseDocument } from "yaml";

/** kubelogin login modes that need no browser or device code. */
export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";

/**
 * AKS hands out an exec kubeconfig for Entra-ID-only clusters that logs in with a device code,
 * which cannot work inside `pulumi up`. Rewrite every kubelogin exec to a non-interactive
 * mode (the same thing `kubelogin convert-kubeconfig -l <mode>` does).
 */
export function toNonInteractiveKubeconfig(kubeconfig: string, mode: KubeloginMode): string {
  const doc = parseDocument(kubeconfig);
  const users = doc.toJS()?.users;
  if (!Array.isArray(users)) throw new Error("kubeconfig has no users list");
  let rewritten = 0;
  users.forEach((u: { user?: { exec?: { command?: string; args?: string[] } } }, i: number) => {
    const exec = u.user?.exec;
    if (!exec || !exec.command || !/kubelogin$/.test(exec.command)) return;
    const args = [...(exec.args ?? [])];
    const at = args.findIndex((a) => a === "--login" || a === "-l");
    if (at >= 0) args.splice(at, 2);
    // Device-code-only flags would make kubelogin reject the new mode.
    const drop = new Set(["--legacy"]);
    const kept = args.filter((a) => !drop.has(a));
    kept.push("--login", mode);
    doc.setIn(["users", i, "user", "exec", "args"], kept);
    rewritten++;
  });
  if (rewritten === 0) throw new Error("kubeconfig has no kubelogin exec user to convert");
  return doc.toString();
}
