import type { Pair } from "../types";

export function pairKey(client: string, server: string): string {
  return JSON.stringify([client, server]);
}

/**
 * Sums counts of the same (client, server) seen in several sources (shards) and keeps the
 * latest hit; the result is ordered oldest hit first, ties broken by key so every replica
 * renders the same order from the same data.
 */
export function mergePairs(...sources: Iterable<Pair>[]): Pair[] {
  const merged = new Map<string, Pair>();
  for (const source of sources) {
    for (const p of source) {
      const key = pairKey(p.client, p.server);
      const prev = merged.get(key);
      merged.set(
        key,
        prev ? { ...prev, count: prev.count + p.count, lastSeenUs: Math.max(prev.lastSeenUs, p.lastSeenUs) } : { ...p },
      );
    }
  }
  return sortPairs([...merged.values()]);
}

export function sortPairs(pairs: Pair[]): Pair[] {
  return pairs.sort((a, b) => a.lastSeenUs - b.lastSeenUs || compare(pairKey(a.client, a.server), pairKey(b.client, b.server)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
