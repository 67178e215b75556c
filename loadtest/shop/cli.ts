import type { StateKind } from "./local";

/** What shop:local and bench:shop share on the command line: usage errors (exit 2), --help, exit codes. */

/** A bad flag: printed with the usage line, exit code 2. */
export class UsageError extends Error {}

/** Runs `main` as the process: its number is the exit code; a bad flag (ours or parseArgs') exits 2 with `usage`. */
export function runCli(usage: string, main: () => Promise<number>): void {
  if (process.argv.includes("--help")) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as Error & { code?: string };
      if (err instanceof UsageError || e.code?.startsWith("ERR_PARSE_ARGS")) {
        process.stderr.write(`${e.message}\n${usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`${e.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

export function stateFlag(raw: string): StateKind {
  if (raw !== "redis" && raw !== "mongo") throw new UsageError(`--state: ${JSON.stringify(raw)} is not a store; use redis or mongo`);
  return raw;
}

export function replicasFlag(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 16) throw new UsageError(`--replicas: ${JSON.stringify(raw)} is not a whole number from 1 to 16`);
  return n;
}
