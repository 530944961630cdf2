/**
 * Wall-clock arithmetic in IANA time zones with `Intl` only (no tz database dependency): local fields of an
 * instant, and the instant of a local date-time (DST gaps resolve forward, overlaps to the earlier instant).
 */

export interface LocalFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    // Throws RangeError for an unknown zone; the journey compiler validates zones before they get here.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formats.set(tz, f);
  }
  return f;
}

/** True when `tz` is a zone `Intl` knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    format(tz);
    return true;
  } catch {
    return false;
  }
}

/** Local calendar fields of `epochMs` in `tz`. */
export function localFields(epochMs: number, tz: string): LocalFields {
  const parts: Record<string, string> = {};
  for (const p of format(tz).formatToParts(new Date(epochMs))) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']) % 24,
    minute: Number(parts['minute']),
    second: Number(parts['second']),
    weekday: WEEKDAYS[parts['weekday'] ?? ''] ?? 0,
  };
}

/** Offset of `tz` from UTC at `epochMs`, in ms (positive east of Greenwich). */
export function zoneOffset(epochMs: number, tz: string): number {
  const f = localFields(epochMs, tz);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

/** The instant of local `year-month-day hour:minute` in `tz` (month 1–12; day may overflow, Date.UTC-style). */
export function zonedEpoch(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - zoneOffset(wall, tz);
  const second = wall - zoneOffset(first, tz);
  if (first === second) return first;
  // Around a DST change the two guesses differ: keep the one whose local time is the wall time, else (a gap)
  // the later one, which is the wall time shifted forward by the gap.
  const ok = (t: number): boolean => {
    const f = localFields(t, tz);
    return f.hour === hour && f.minute === minute;
  };
  if (ok(first) && ok(second)) return Math.min(first, second);
  if (ok(first)) return first;
  if (ok(second)) return second;
  return Math.max(first, second);
}
