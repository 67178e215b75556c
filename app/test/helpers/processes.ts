import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** A child process the suite started; every one is killed in the root after hook. */
export interface Tracked {
  label: string;
  child: ChildProcess;
  /** Interleaved stdout/stderr lines, kept for the failure dump. */
  lines: string[];
  stderr: string;
  stdout: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
  startedAt: number;
}

const live = new Set<Tracked>();
let recent: Tracked[] = [];

export function spawnTracked(label: string, command: string, args: string[], options: SpawnOptions): Tracked {
  // Under mutation testing (npm run mutation) Stryker switches the mutant under test on in this
  // process; hand it to the child, whose instrumented dist/ reads it from this variable.
  const active = (globalThis as { __stryker__?: { activeMutant?: string | number } }).__stryker__?.activeMutant;
  const mutant = active === undefined ? process.env.__STRYKER_ACTIVE_MUTANT__ : String(active);
  const env = mutant === undefined ? options.env : { ...(options.env ?? process.env), __STRYKER_ACTIVE_MUTANT__: mutant };
  const child = spawn(command, args, { ...options, env, stdio: ["ignore", "pipe", "pipe"] });
  const tracked: Tracked = {
    label,
    child,
    lines: [],
    stderr: "",
    stdout: "",
    exited: false,
    startedAt: Date.now(),
    exit: new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        tracked.exited = true;
        live.delete(tracked);
        resolve({ code, signal });
      });
      child.once("error", () => {
        tracked.exited = true;
        live.delete(tracked);
        resolve({ code: null, signal: null });
      });
    }),
  };
  const keep = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    tracked[stream] += text;
    tracked.lines.push(...text.split("\n").filter(Boolean));
    if (tracked.lines.length > 400) tracked.lines.splice(0, tracked.lines.length - 400);
  };
  child.stdout?.on("data", keep("stdout"));
  child.stderr?.on("data", keep("stderr"));
  live.add(tracked);
  recent.push(tracked);
  if (recent.length > 12) recent = recent.slice(-12);
  return tracked;
}

/** Sends `signal` and waits for the exit; SIGKILLs and fails if it takes longer than `timeoutMs`. */
export async function stopTracked(
  t: Tracked,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!t.exited) t.child.kill(signal);
  const result = await Promise.race([t.exit, sleep(timeoutMs).then(() => undefined)]);
  if (result) return result;
  t.child.kill("SIGKILL");
  await t.exit;
  throw new Error(`${t.label} did not exit within ${timeoutMs} ms of ${signal}`);
}

export async function killAll(): Promise<void> {
  await Promise.all([...live].map((t) => stopTracked(t, "SIGKILL", 5000).catch(() => undefined)));
}

/**
 * What test/helpers/in-process.ts registers when a test file loads it: the root hooks call these,
 * so hooks.ts never imports the app's sources itself. (A module loaded by the root hooks stays
 * loaded for the whole mocha run: under mutation testing its module-level code would never see a
 * static mutant.)
 */
export const inProcessHooks: { dump?: () => void; closeAll?: () => Promise<void> } = {};

let testStartedAt = 0;

export function markTestStart(): void {
  testStartedAt = Date.now();
}

/** Printed when a test fails, so a CI log shows what its processes said. */
export function dumpRecent(): void {
  for (const t of recent.filter((r) => !r.exited || r.startedAt >= testStartedAt)) {
    process.stderr.write(`\n----- ${t.label} (last ${Math.min(t.lines.length, 40)} lines) -----\n`);
    process.stderr.write(`${t.lines.slice(-40).join("\n")}\n`);
  }
}


export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
