/**
 * Where the smoke test gets the stack outputs: `pulumi stack output --json` for a stack (through
 * scripts/pulumi-dev.sh / pulumi-stack.sh for this project's stacks), or a saved copy.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Outputs } from "./check";

const REPO = path.resolve(__dirname, "..");

/** A problem that stops the smoke test before any check (exit code 2). */
export class SetupError extends Error {}

/** The command that prints a stack's outputs as JSON, run from the repository root. */
export function outputsCommand(stack: string): { file: string; args: string[] } {
  // The dev stack lives in the local backend that scripts/pulumi-dev.sh points pulumi at; the
  // script adds `--stack dev`. A stack with a committed Pulumi.<stack>.yaml goes through
  // scripts/pulumi-stack.sh like every other command on it (docs/operations.md: it takes the
  // secrets settings from the state); any other stack is plain pulumi on the caller's backend.
  if (stack === "dev") return { file: path.join(REPO, "scripts", "pulumi-dev.sh"), args: ["stack", "output", "--json"] };
  if (existsSync(path.join(REPO, `Pulumi.${stack}.yaml`))) return { file: path.join(REPO, "scripts", "pulumi-stack.sh"), args: [stack, "stack", "output", "--json"] };
  return { file: "pulumi", args: ["stack", "output", "--json", "--stack", stack] };
}

export function readStackOutputs(stack: string, timeoutMs = 120_000): Promise<Outputs> {
  const { file, args } = outputsCommand(stack);
  const shown = `${path.relative(REPO, file) || file} ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: REPO, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === "ENOENT") {
          reject(new SetupError(`${file} not found: install the Pulumi CLI (README.md, Prerequisites), or pass --outputs FILE.json`));
        } else if (e.killed) {
          reject(new SetupError(`\`${shown}\` did not finish within ${timeoutMs / 1000} s`));
        } else {
          // A passphrase stack cannot prompt here (stdout is a pipe): say which variable to set.
          const hint = /passphrase/i.test(stderr) ? " — export PULUMI_CONFIG_PASSPHRASE as for `npm run up` (README, The two commands)" : "";
          reject(new SetupError(`\`${shown}\` failed (exit ${String(e.code)}): ${stderr.trim().split("\n").slice(-5).join(" | ") || e.message}${hint}`));
        }
        return;
      }
      try {
        resolve(parseOutputs(stdout, `\`${shown}\``));
      } catch (parseErr) {
        reject(parseErr);
      }
    });
  });
}

export function readOutputsFile(file: string): Outputs {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SetupError(`cannot read --outputs ${file}: ${(err as Error).message}`);
  }
  return parseOutputs(text, file);
}

/** The JSON object `pulumi stack output --json` prints. */
export function parseOutputs(text: string, source: string): Outputs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SetupError(`${source} is not JSON (save it with \`pulumi stack output --json > FILE.json\`)`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SetupError(`${source} is not a JSON object of stack outputs`);
  }
  return value as Outputs;
}
