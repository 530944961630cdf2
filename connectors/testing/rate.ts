/** Rate checks of the throttle and rate-limit tests. */

/** Most times in any window of `ms` (sliding), e.g. requests by arrival time. */
export function maxInWindow(times: readonly number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while ((t[i] ?? 0) - (t[j] ?? 0) >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
