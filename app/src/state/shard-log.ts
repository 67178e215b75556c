import { fdatasync, fstat, fstatSync, promises as fs, write, writeSync, type BigIntStats, type Stats } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { readIfExists, removeStaleTemps, withRetries, writeFileAtomic } from "./atomic-file";

/**
 * One writer's shard on disk: an atomic snapshot (the file name the strategy always had,
 * e.g. `stats.<pod>.json`) plus an append-only log next to it (`<snapshot>.log`), kept open.
 * A group commit appends one record and calls `fdatasync` once, instead of rewriting the whole
 * file (temp file, fsync, rename, directory fsync) per batch.
 *
 * Records are ABSOLUTE, never deltas: a counter record holds the count after its batch, a pair
 * record holds each touched pair's count and last hit after the batch. Counts only grow (one
 * writer per shard), so the state is the pointwise maximum of the snapshot and every record:
 * replaying a record twice, or a snapshot that already contains it, can never count twice.
 *
 * Line format: `<crc32 of payload, 8 hex> <payload>\n`. A record that is cut off, fails its
 * checksum or does not decode ends the log: everything before it is the state. If a VALID
 * record follows a bad one, the damage is not a torn tail (a crash only tears the last
 * record) and the shard is refused instead of guessed.
 */
export interface ShardCodec<S, R> {
  empty(): S;
  /** Snapshot text (undefined: no snapshot yet) to state; throws naming `file` when corrupt. */
  parseSnapshot(text: string | undefined, file: string): S;
  formatSnapshot(state: S): string;
  encodeRecord(record: R): string;
  /** Throws when the payload is not a record. */
  decodeRecord(payload: string): R;
  /** Folds a record into the state (pointwise maximum) and returns it. */
  apply(state: S, record: R): S;
}

export const logFileOf = (snapshotFile: string): string => `${snapshotFile}.log`;

/** Every shard in `dir` whose snapshot name matches `snapshotName`, found by its snapshot or its log. */
export async function shardFiles(dir: string, snapshotName: RegExp): Promise<string[]> {
  const shards = new Set<string>();
  for (const name of await fs.readdir(dir)) {
    const snapshot = name.endsWith(".log") ? name.slice(0, -".log".length) : name;
    if (snapshotName.test(snapshot)) shards.add(path.join(dir, snapshot));
  }
  return [...shards].sort();
}

/** Frames one record as a log line. */
export function encodeLine(payload: string): string {
  return `${crc32(payload).toString(16).padStart(8, "0")} ${payload}\n`;
}

export interface Replay<R> {
  records: R[];
  /** Bytes of valid records; anything after is a torn or corrupt tail. */
  validBytes: number;
  /** True when bytes follow the valid records. */
  tail: boolean;
}

/** Reads every valid record of a log; a torn/corrupt tail ends it, corruption mid-log throws. */
export function replayLog<R>(text: string, decode: (payload: string) => R, file: string): Replay<R> {
  const records: R[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    const record = end < 0 ? undefined : decodeLine(text.slice(offset, end), decode);
    if (record === undefined) {
      if (end >= 0 && hasValidRecordAfter(text, end + 1, decode)) {
        throw new Error(`${file} is corrupt before its last record (not a torn tail): refusing to guess a count`);
      }
      return { records, validBytes: Buffer.byteLength(text.slice(0, offset)), tail: true };
    }
    records.push(record.value);
    offset = end + 1;
  }
  return { records, validBytes: Buffer.byteLength(text), tail: false };
}

function decodeLine<R>(line: string, decode: (payload: string) => R): { value: R } | undefined {
  if (line.length < 10 || line[8] !== " ") return undefined;
  const payload = line.slice(9);
  if (line.slice(0, 8) !== crc32(payload).toString(16).padStart(8, "0")) return undefined;
  try {
    return { value: decode(payload) };
  } catch {
    return undefined;
  }
}

function hasValidRecordAfter<R>(text: string, from: number, decode: (payload: string) => R): boolean {
  let offset = from;
  while (offset < text.length) {
    const end = text.indexOf("\n", offset);
    if (end < 0) return false;
    if (decodeLine(text.slice(offset, end), decode) !== undefined) return true;
    offset = end + 1;
  }
  return false;
}

const identity = (s: BigIntStats | undefined): string => (s ? `${s.ino}:${s.mtimeNs}:${s.size}` : "none");

async function statIfExists(file: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.stat(file, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * A shard's state as another replica (or a read-only role) sees it, while its writer may be
 * appending or compacting. Compaction replaces the snapshot, then the log; the only mix that
 * could undercount is an old snapshot with the new log, and that is exactly when the snapshot
 * changed under the read: then read again.
 */
export function readShard<S, R>(snapshotFile: string, codec: ShardCodec<S, R>): Promise<S> {
  return new ShardFollower(snapshotFile, codec).read();
}

export interface ShardWriterOptions<S, R> {
  snapshotFile: string;
  codec: ShardCodec<S, R>;
  /** Compact once the log is this large (bounds the file and the replay time). */
  maxLogBytes: number;
  /** Compact a non-empty log at least this often (checked at each commit). */
  compactEveryMs: number;
  /** The committed state, for compaction; the store owns it. */
  current: () => S;
  /**
   * `local`: the shard is on the node's own disk (the `pod` strategy's emptyDir). The record's
   * `write` and the `fstat` are issued synchronously: each is a page-cache syscall of about a
   * microsecond, while a thread-pool round trip costs 15–20 µs of CPU and a wake-up per call;
   * only `fdatasync` (which waits for the disk) goes to the thread pool.
   * `network`: a ReadWriteMany volume (Azure Files, NFS). A syscall there may wait for the
   * server, so nothing blocks the event loop: write, fdatasync and fstat all go to the pool.
   */
  io: "local" | "network";
}

/**
 * Follows another writer's shard from read to read: the snapshot is read and parsed again only
 * when it was replaced, and of the log only the bytes appended since the last read are read.
 * The state is the same `readShard` gives (records are absolute and the state is their pointwise
 * maximum, so folding the new records into the previous state equals replaying them all), but a
 * read costs what was appended since the last one, not the whole log: a replica that shows every
 * shard on each page no longer re-parses up to `maxLogBytes` of its peers' logs per batch
 * (measured in `npm run bench`, shared-volume; docs/state-strategies.md).
 *
 * Anything unexpected — the snapshot replaced (a compaction), a different log file, a log shorter
 * than what was read — falls back to a full `readShard`-style read. The returned state belongs to
 * the follower: read it before the next `read()`, do not change it.
 */
export class ShardFollower<S, R> {
  private readonly logFile: string;
  private seen: { snapshot: string; log: bigint | undefined; offset: number; state: S } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly snapshotFile: string,
    private readonly codec: ShardCodec<S, R>,
  ) {
    this.logFile = logFileOf(snapshotFile);
  }

  /** Reads run one after the other (each starts after the call), never interleaved. */
  read(): Promise<S> {
    const next = this.queue.then(async () => {
      const seen = this.seen;
      const state = seen && (await this.advance(seen));
      return state ?? this.readAll();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The new records on top of the last read, or undefined when only a full read will do. */
  private async advance(seen: NonNullable<ShardFollower<S, R>["seen"]>): Promise<S | undefined> {
    const log = await readLogFrom(this.logFile, seen.offset);
    if (log?.ino !== seen.log || (log !== undefined && log.size < seen.offset)) return undefined;
    // The same log file, so the snapshot (checked after the log was read, as in readShard) is
    // still the one the earlier read paired with it unless a compaction has begun: then read all.
    if (identity(await statIfExists(this.snapshotFile)) !== seen.snapshot) return undefined;
    if (log === undefined || log.text.length === 0) return seen.state;
    // A reader never truncates: a torn tail is a batch still being written; it is read again next time.
    const replay = replayLog(log.text, this.codec.decodeRecord, this.logFile);
    for (const r of replay.records) seen.state = this.codec.apply(seen.state, r);
    seen.offset += replay.validBytes;
    return seen.state;
  }

  private async readAll(): Promise<S> {
    this.seen = undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = identity(await statIfExists(this.snapshotFile));
      const [snapshot, log] = await Promise.all([readIfExists(this.snapshotFile), readLogFrom(this.logFile, 0)]);
      if (identity(await statIfExists(this.snapshotFile)) !== before) continue;
      let state = this.codec.parseSnapshot(snapshot, this.snapshotFile);
      const replay = log === undefined ? undefined : replayLog(log.text, this.codec.decodeRecord, this.logFile);
      for (const r of replay?.records ?? []) state = this.codec.apply(state, r);
      this.seen = { snapshot: before, log: log?.ino, offset: replay?.validBytes ?? 0, state };
      return state;
    }
    throw new Error(`${this.snapshotFile} kept changing while being read (compacting in a loop?)`);
  }
}

/**
 * Every shard in a directory (but one's own), each followed by a `ShardFollower`: what a
 * shared-volume replica reads to show its peers' counts. Shards that appear are picked up,
 * shards that disappear are forgotten. Each returned state is valid until the next `read()`.
 */
export class ShardDirectory<S, R> {
  private readonly followers = new Map<string, ShardFollower<S, R>>();

  constructor(
    private readonly opts: { dir: string; snapshotName: RegExp; codec: ShardCodec<S, R>; skip?: string },
  ) {}

  async read(): Promise<S[]> {
    const files = (await shardFiles(this.opts.dir, this.opts.snapshotName)).filter((f) => f !== this.opts.skip);
    const states: S[] = [];
    for (const file of files) {
      let follower = this.followers.get(file);
      if (!follower) this.followers.set(file, (follower = new ShardFollower(file, this.opts.codec)));
      states.push(await follower.read());
    }
    for (const file of this.followers.keys()) if (!files.includes(file)) this.followers.delete(file);
    return states;
  }
}

/** The log's bytes from `offset` to its end, with the file's inode and size (undefined: no log). */
async function readLogFrom(file: string, offset: number): Promise<{ ino: bigint; size: number; text: string } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const st = await handle.stat({ bigint: true });
    const size = Number(st.size);
    if (size <= offset) return { ino: st.ino, size, text: "" };
    const buf = Buffer.allocUnsafe(size - offset);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { ino: st.ino, size, text: buf.toString("utf8", 0, got) };
  } finally {
    await handle.close();
  }
}

/**
 * The single writer of one shard. `open` replays snapshot + log, drops a torn tail by
 * compacting (a fresh snapshot, a fresh empty log), and keeps the log open for appends.
 * Callers serialise `append` and `compact` (the group commit does).
 */
export class ShardWriter<S, R> {
  private handle: fs.FileHandle | undefined;
  private bytes = 0;
  private lastCompaction = Date.now();
  private readonly logFile: string;

  private constructor(private readonly opts: ShardWriterOptions<S, R>) {
    this.logFile = logFileOf(opts.snapshotFile);
  }

  /**
   * Replays snapshot + log. The caller makes the returned state its committed state and then
   * calls `compact()`, which drops any torn tail and opens a fresh log.
   */
  static async open<S, R>(opts: ShardWriterOptions<S, R>): Promise<{ state: S; writer: ShardWriter<S, R> }> {
    await removeStaleTemps(opts.snapshotFile);
    await removeStaleTemps(logFileOf(opts.snapshotFile));
    return { state: await readShard(opts.snapshotFile, opts.codec), writer: new ShardWriter(opts) };
  }

  /**
   * Durably appends one record: one write, one fdatasync. Fails if the log file was removed
   * under us (a deleted volume or directory): appending to an unlinked file would "succeed"
   * into nothing. After a failure the next call first rewrites snapshot + log from the
   * committed state, so a half-written record never becomes part of the count.
   */
  async append(record: R): Promise<void> {
    const line = Buffer.from(encodeLine(this.opts.codec.encodeRecord(record)));
    try {
      await this.appendLine(this.handle ?? (await this.compact()), line);
    } catch (err) {
      await this.drop();
      if (!(err instanceof LogRemovedError)) throw err;
      // The directory came back (or was never gone for a new log): start a fresh snapshot +
      // log from the committed state and write the record there; the copy in the removed
      // file is gone with it.
      try {
        await this.appendLine(await this.compact(), line);
      } catch (again) {
        await this.drop();
        throw again;
      }
    }
  }

  private async appendLine(handle: fs.FileHandle, line: Buffer): Promise<void> {
    // The callback API, not FileHandle's promise methods: per call it costs about a third of
    // the CPU (measured on Node 20), and this runs once per group commit.
    const fd = handle.fd;
    let stat: Stats;
    if (this.opts.io === "local") {
      const written = writeSync(fd, line, 0, line.length, null);
      if (written !== line.length) throw new Error(`short write to ${this.logFile} (disk full?)`);
      stat = fstatSync(fd);
      await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } else {
      await new Promise<void>((resolve, reject) =>
        write(fd, line, 0, line.length, null, (err, written) =>
          err ? reject(err) : written === line.length ? resolve() : reject(new Error(`short write to ${this.logFile} (disk full?)`)),
        ),
      );
      [, stat] = await Promise.all([
        new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
        new Promise<Stats>((resolve, reject) => fstat(fd, (err, st) => (err ? reject(err) : resolve(st)))),
      ]);
    }
    if (stat.nlink === 0) throw new LogRemovedError(`${this.logFile} was removed while open`);
    this.bytes += line.length;
  }

  /** True when the log should be folded into the snapshot now. */
  get compactionDue(): boolean {
    return this.bytes >= this.opts.maxLogBytes || (this.bytes > 0 && Date.now() - this.lastCompaction >= this.opts.compactEveryMs);
  }

  /**
   * Snapshot of the committed state (atomic replace), then a fresh empty log (atomic replace)
   * which becomes the open one. A crash between the two leaves the new snapshot with the old
   * log: replay takes the maximum, so nothing is counted twice.
   */
  async compact(): Promise<fs.FileHandle> {
    await this.drop();
    await withRetries(3, () => writeFileAtomic(this.opts.snapshotFile, this.opts.codec.formatSnapshot(this.opts.current())));
    await withRetries(3, () => writeFileAtomic(this.logFile, ""));
    this.handle = await fs.open(this.logFile, "a");
    this.bytes = 0;
    this.lastCompaction = Date.now();
    return this.handle;
  }

  /** Folds a non-empty log into the snapshot (a clean restart replays nothing) and closes it. */
  async close(): Promise<void> {
    if (this.bytes > 0) await this.compact().catch(() => undefined);
    await this.drop();
  }

  private async drop(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close().catch(() => undefined);
  }
}

class LogRemovedError extends Error {}
