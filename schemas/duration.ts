/**
 * ISO-8601 durations of journeys (`PT5M`, `P30D`, `P1DT12H`). Calendar units have fixed lengths here
 * (Y = 365 days, M = 30 days, W = 7 days) because a wait is scheduled as an absolute delay when it starts.
 */
const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNIT_MS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, HOUR, MINUTE, SECOND] as const;

/** Longest wait or timeout a journey may have (PRODUCT.md limits). */
export const MAX_DURATION_MS = 90 * DAY;
/** Journey timeout when the journey sets none. */
export const DEFAULT_JOURNEY_TIMEOUT = 'P30D';
/** Re-entrance wait period when the journey sets none. */
export const DEFAULT_REENTRANCE_WAIT = 'PT5M';

/** Parses an ISO-8601 duration to milliseconds; `undefined` when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * (UNIT_MS[i] as number);
  }
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
