/**
 * When an audience entry runs next: `once` runs at the version's publish time; a cron schedule at its next match
 * after a given instant, in the journey's time zone (schemas/audience-schedule.ts parses it).
 */
import { parseCron, type CronSpec } from '../../schemas/index.js';
import { localFields, zonedEpoch } from '../../schemas/index.js';

/** How far ahead a cron schedule is searched (a day-of-month 31 in February-only schedules never matches). */
const HORIZON_DAYS = 5 * 366;

function dayMatches(c: CronSpec, day: number, weekday: number): boolean {
  const d = c.days.has(day);
  const w = c.weekdays.has(weekday);
  if (c.daysRestricted && c.weekdaysRestricted) return d || w;
  return d && w;
}

/** The first instant strictly after `after` that `cron` matches in `tz` (undefined if none within 5 years). */
export function nextCronFire(cron: string, after: number, tz: string): number | undefined {
  const c = parseCron(cron);
  const hours = [...c.hours].sort((a, b) => a - b);
  const minutes = [...c.minutes].sort((a, b) => a - b);
  const start = localFields(after, tz);
  for (let i = 0; i <= HORIZON_DAYS; i++) {
    // walk local calendar days (noon avoids DST edges when moving by whole days)
    const noon = zonedEpoch(start.year, start.month, start.day + i, 12, 0, tz);
    const f = localFields(noon, tz);
    if (!c.months.has(f.month) || !dayMatches(c, f.day, f.weekday % 7)) continue;
    for (const h of hours)
      for (const m of minutes) {
        const t = zonedEpoch(f.year, f.month, f.day, h, m, tz);
        if (t > after) return t;
      }
  }
  return undefined;
}

/**
 * When a run of `schedule` is due next: for `once`, `publishedAt` (if it has not run yet: `lastRunAt` undefined);
 * for a cron schedule, its next match after the last run (or after `publishedAt`).
 */
export function nextRunAt(
  schedule: string,
  publishedAt: number,
  lastRunAt: number | undefined,
  tz: string,
): number | undefined {
  if (schedule === 'once') return lastRunAt === undefined ? publishedAt : undefined;
  return nextCronFire(schedule, lastRunAt ?? publishedAt, tz);
}
