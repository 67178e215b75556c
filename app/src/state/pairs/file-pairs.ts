import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { LogBounds } from "../../lib/config";
import { StoreUnavailableError, guard, reasonOf, withTimeout, type StoreContext } from "../errors";
import { FreshRead } from "../fresh-read";
import { GroupCommit } from "../group-commit";
import { ShardDirectory, ShardWriter, type ShardCodec } from "../shard-log";
import type { HitResult, Pair, PairStore } from "../types";
import { mergePairs, pairKey, sortPairs } from "./merge";

const POD_FILE = "stats.json";
const SHARD_RE = /^stats\.(.+)\.json$/;
const shardName = (podName: string): string => `stats.${podName}.json`;
const FORMAT = "statefleet-stats/1";

/** The snapshot: compact tuples, because compaction rewrites the whole file. */
const fileSchema = z.object({
  format: z.literal(FORMAT),
  writer: z.string(),
  pairs: z.array(z.tuple([z.string(), z.string(), z.number().int().nonnegative(), z.number().nonnegative()])),
});

export interface FilePairOptions {
  dir: string;
  /**
   * `pod`: this replica's own file only (the legacy behaviour: replicas disagree).
   * `shared-volume`: this replica writes only `stats.<POD_NAME>.json`; the page merges every
   * shard in the directory, so all replicas agree without any cross-pod lock.
   */
  layout: "pod" | "shared-volume";
  podName: string;
  ctx: StoreContext;
  log: LogBounds;
}

interface Hit {
  client: string;
  server: string;
  atUs: number;
}

export class FilePairStore implements PairStore {
  readonly name: string;
  private committed = new Map<string, Pair>();
  private readonly ownFile: string;
  private readonly batcher = new GroupCommit<Hit, Pair>((hits) => this.commit(hits));
  private readonly others: FreshRead<Pair[]>;
  /** The other replicas' shards, each read incrementally (only what was appended since the last read). */
  private readonly otherShards: ShardDirectory<PairState, Pair[]>;
  private writer: ShardWriter<PairState, Pair[]> | undefined;

  static async open(opts: FilePairOptions): Promise<FilePairStore> {
    const store = new FilePairStore(opts);
    await store.load();
    return store;
  }

  private constructor(private readonly opts: FilePairOptions) {
    this.name = opts.layout;
    this.ownFile = path.join(opts.dir, opts.layout === "pod" ? POD_FILE : shardName(opts.podName));
    this.otherShards = new ShardDirectory({ dir: opts.dir, snapshotName: SHARD_RE, codec: pairCodec(opts.podName), skip: this.ownFile });
    this.others = new FreshRead(() => this.readOtherShards());
  }

  private async load(): Promise<void> {
    try {
      await fs.mkdir(this.opts.dir, { recursive: true });
      const { state, writer } = await ShardWriter.open({
        snapshotFile: this.ownFile,
        codec: pairCodec(this.opts.podName),
        current: () => this.committed,
        io: this.opts.layout === "pod" ? "local" : "network",
        ...this.opts.log,
      });
      this.committed = state;
      this.writer = writer;
      await writer.compact();
    } catch (err) {
      throw new StoreUnavailableError(this.name, `cannot open ${this.ownFile}: ${reasonOf(err)}`);
    }
  }

  hit(client: string, server: string, atUs: number): Promise<HitResult> {
    return guard(this.opts.ctx, "hit", async () => {
      // Read the other shards first: if that fails, nothing has been counted for a request
      // that is about to be answered 503.
      const others = this.opts.layout === "shared-volume" ? await this.others.get() : [];
      const pair = await this.batcher.submit({ client, server, atUs });
      return { pair, pairs: mergePairs(this.committed.values(), others) };
    });
  }

  list(): Promise<Pair[]> {
    return guard(this.opts.ctx, "list", async () => {
      if (this.opts.layout === "pod") return sortPairs([...this.committed.values()].map((p) => ({ ...p })));
      return mergePairs(this.committed.values(), await this.others.get());
    });
  }

  async ready(): Promise<boolean> {
    try {
      await withTimeout(750, "state directory", fs.access(this.opts.dir, constants.R_OK | constants.W_OK));
      if (this.opts.layout === "shared-volume") await withTimeout(750, "shard read", this.others.get());
      return true;
    } catch {
      return false;
    }
  }

  /** Waits for queued hits, folds the log into the snapshot (a clean restart replays nothing). */
  async close(): Promise<void> {
    await this.batcher.close();
    await this.writer?.close();
    this.writer = undefined;
  }

  /**
   * Applies a batch to a copy, appends the touched pairs' new values as one record (durable
   * after one fdatasync), and only then makes the copy the visible state.
   */
  private async commit(hits: Hit[]): Promise<Pair[]> {
    const writer = this.writer;
    if (!writer) throw new Error("store is closed");
    const draft = new Map(this.committed);
    const touched = new Map<string, Pair>();
    const results = hits.map((h) => {
      const key = pairKey(h.client, h.server);
      const prev = draft.get(key);
      const next: Pair = {
        client: h.client,
        server: h.server,
        count: (prev?.count ?? 0) + 1,
        lastSeenUs: Math.max(prev?.lastSeenUs ?? 0, h.atUs),
      };
      draft.set(key, next);
      touched.set(key, next);
      return next;
    });
    await writer.append([...touched.values()]);
    this.committed = draft;
    // The batch is durable already; a failed compaction keeps the (valid) log and is retried.
    if (writer.compactionDue) await writer.compact().catch(() => undefined);
    return results.map((p) => ({ ...p }));
  }

  private async readOtherShards(): Promise<Pair[]> {
    return (await this.otherShards.read()).flatMap((state) => [...state.values()]);
  }
}

type PairState = Map<string, Pair>;

const recordSchema = z.array(z.tuple([z.string(), z.string(), z.number().int().positive(), z.number().nonnegative()]));

function pairCodec(writer: string): ShardCodec<PairState, Pair[]> {
  return {
    empty: () => new Map(),
    parseSnapshot: (text, file) => new Map(parseFile(text, file).map((p) => [pairKey(p.client, p.server), p])),
    formatSnapshot: (state) =>
      JSON.stringify({ format: FORMAT, writer, pairs: [...state.values()].map((p) => [p.client, p.server, p.count, p.lastSeenUs]) }),
    encodeRecord: (pairs) => JSON.stringify(pairs.map((p) => [p.client, p.server, p.count, p.lastSeenUs])),
    decodeRecord: (payload) =>
      recordSchema.parse(JSON.parse(payload)).map(([client, server, count, lastSeenUs]) => ({ client, server, count, lastSeenUs })),
    apply: (state, pairs) => {
      for (const p of pairs) {
        const key = pairKey(p.client, p.server);
        const prev = state.get(key);
        state.set(key, prev ? { ...p, count: Math.max(prev.count, p.count), lastSeenUs: Math.max(prev.lastSeenUs, p.lastSeenUs) } : { ...p });
      }
      return state;
    },
  };
}

/** A shard that does not parse is an error (503), never silently read as zero. */
function parseFile(text: string | undefined, file: string): Pair[] {
  if (text === undefined) return [];
  let data: z.output<typeof fileSchema>;
  try {
    data = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new Error(`${file} is not a ${FORMAT} file (corrupt or foreign)`);
  }
  return data.pairs.map(([client, server, count, lastSeenUs]) => ({ client, server, count, lastSeenUs }));
}
