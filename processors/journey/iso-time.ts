/**
 * ISO-8601 text of an epoch-ms time, remembered for the last time asked. The steps, commands and discards of one
 * input are stamped with the clock read while handling it, mostly the same millisecond, and `toISOString` costs
 * ~0.5 µs a call (several calls per event).
 */
let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()` (throws the same RangeError for an invalid time). */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
