/**
 * The router's latency histogram bounds and percentile, until `@kli8nt/router` exports its own
 * (`LATENCY_BOUNDS_MS`, `percentile`); then this file re-exports those, so both sides agree on buckets.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];

/**
 * The q-quantile (0 < q ≤ 1) of a histogram whose bucket i counts values ≤ bounds[i] (the last bucket:
 * above every bound): the upper bound of the bucket holding it, so never under the true value. Null when
 * empty; the highest bound when it lies in the overflow bucket.
 */
export function percentile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [i, n] of buckets.entries()) {
    seen += n;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? LATENCY_BOUNDS_MS.at(-1) ?? null;
  }
  return LATENCY_BOUNDS_MS.at(-1) ?? null;
}
