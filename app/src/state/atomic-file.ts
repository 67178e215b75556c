import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Replaces `file` so that a reader (or a restart after kill -9) sees either the old or the
 * new content, never a torn mix: write a temp file in the same directory, fsync it, rename
 * it over the target, fsync the directory so the rename itself is durable.
 * The temp name is unique per call, so even two writers misconfigured onto the same file
 * can never corrupt it; the last rename simply wins.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${tempPrefix(file)}${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await fs.open(tmp, "w", 0o644);
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** Temp files start with a dot so shard readers never mistake them for data. */
export function tempPrefix(file: string): string {
  return `.${path.basename(file)}.`;
}

/** Removes temp files a killed writer of `file` left behind (only its own prefix). */
export async function removeStaleTemps(file: string): Promise<void> {
  const prefix = tempPrefix(file);
  const dir = path.dirname(file);
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(prefix) && name.endsWith(".tmp")) await fs.rm(path.join(dir, name), { force: true });
  }
}

// Some filesystems (SMB/Azure Files among them) cannot fsync a directory; the rename is
// still atomic there, only its durability against a power cut is the server's business.
const DIR_SYNC_UNSUPPORTED = new Set(["EINVAL", "EISDIR", "EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "EBADF"]);

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
  } finally {
    await handle?.close();
  }
}

/** The file's content, or undefined when it does not exist yet. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Retries a write a few times: network filesystems have short hiccups (e.g. a busy rename). */
export async function withRetries<T>(attempts: number, work: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await work();
    } catch (err) {
      lastError = err;
      if (i < attempts - 1) await new Promise((resolve) => setTimeout(resolve, 10 * 4 ** i));
    }
  }
  throw lastError;
}
