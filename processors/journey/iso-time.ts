/**
 * ISO-8601 text of an epoch-ms time, remembered for the last time asked. The steps, commands and discards of one
 * input are stamped with the clock read while handling it, mostly the same millisecond, and `toISOString` costs
 * ~0.5 µs a call (several calls per event). A time in the same UTC day as the last one formatted by `toISOString`
 * reuses that day's `YYYY-MM-DDT` and formats the time of day itself (~0.07 µs; the same text).
 */
let lastMs = Number.NaN;
let lastIso = '';
const DAY_MS = 86_400_000;
/** Start (epoch ms) and `YYYY-MM-DDT` of the day last formatted by `toISOString` (NaN: none, or not a 4-digit year). */
let dayStart = Number.NaN;
let dayPrefix = '';

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

function format(ms: number): string {
  const t = ms - dayStart;
  if (t >= 0 && t < DAY_MS && Number.isInteger(ms)) {
    const h = Math.floor(t / 3_600_000);
    const m = Math.floor(t / 60_000) % 60;
    const s = Math.floor(t / 1000) % 60;
    return `${dayPrefix}${two(h)}:${two(m)}:${two(s)}.${three(t % 1000)}Z`;
  }
  const text = new Date(ms).toISOString();
  // `+YYYYYY-…` years (outside 0000–9999) and fractional ms always go through `toISOString`
  if (text.length === 24 && Number.isInteger(ms)) {
    dayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    dayPrefix = text.slice(0, 11);
  } else dayStart = Number.NaN;
  return text;
}

/** `new Date(ms).toISOString()` (throws the same RangeError for an invalid time). */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastIso = format(ms);
    lastMs = ms;
  }
  return lastIso;
}
