import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh directory under the OS temp dir; `remove` deletes it (call it in an after hook). */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `statefleet-${prefix}-`));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
