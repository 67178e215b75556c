import { execFileSync, spawnSync } from "node:child_process";

/** Prometheus' own promtool (Debian package `prometheus`, installed by .ci/run), run in `cwd`. */
export function promtool(args: string[], cwd: string): { code: number; out: string } {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("promtool is not on the PATH: install the Debian package prometheus (apt-get install prometheus); .ci/run does it");
  }
  const r = spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
