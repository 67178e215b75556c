let last = 0;

/**
 * Wall-clock microseconds, strictly increasing within this process. Milliseconds are too
 * coarse: two requests in the same millisecond would tie, and "the pair just hit is last"
 * would depend on a tie-break instead of on which request came later.
 */
export function nowUs(): number {
  const subMs = Number(process.hrtime.bigint() / 1000n) % 1000;
  const t = Date.now() * 1000 + subMs;
  last = t > last ? t : last + 1;
  return last;
}
