/** Runs the smoke test in this process on a saved set of stack outputs, as `npm run smoke -- --outputs FILE` would. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { runSmoke } from "../../smoke/run";

let fileNo = 0;

/** Exit code and printed lines of `smoke --outputs <outputs saved in dir> ...argv`. */
export async function smokeOnOutputs(dir: string, outputs: Record<string, unknown>, argv: string[]): Promise<{ code: number; lines: string[] }> {
  const file = path.join(dir, `outputs-${process.pid}-${++fileNo}.json`);
  writeFileSync(file, JSON.stringify(outputs));
  const lines: string[] = [];
  const code = await runSmoke(["--outputs", file, ...argv], (l) => lines.push(...l.split("\n")));
  return { code, lines };
}
