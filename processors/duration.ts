/**
 * ISO-8601 durations (`PT5M`, `P30D`, `P1DT12H`, `P1W`) to milliseconds. Calendar units are fixed-length
 * (a year is 365 days, a month 30 days) so that a duration means the same number of milliseconds everywhere;
 * local-time arithmetic (midnight, "next 09:00") is done by the time operators in the journey's time zone.
 */
import { TerminalError } from '../topology/index.js';

const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Parses an ISO-8601 duration; throws `RULE_BAD_DURATION` (terminal) when it is not one. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new TerminalError('RULE_BAD_DURATION', `not an ISO-8601 duration: ${JSON.stringify(text)}`);
  const n = (i: number): number => Number(m[i] ?? 0);
  return (
    n(1) * 365 * DAY +
    n(2) * 30 * DAY +
    n(3) * 7 * DAY +
    n(4) * DAY +
    n(5) * HOUR +
    n(6) * MINUTE +
    Math.round(n(7) * SECOND)
  );
}

export const MS = { SECOND, MINUTE, HOUR, DAY } as const;
