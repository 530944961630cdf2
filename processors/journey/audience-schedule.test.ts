import { describe, expect, it } from 'vitest';
import { nextCronFire, nextRunAt } from './audience-schedule.js';

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
const T0 = Date.UTC(2026, 0, 5, 12); // Monday 2026-01-05 12:00 UTC

describe('audience schedules', () => {
  it('cron fields: lists, ranges, steps; the next match strictly after the instant', () => {
    expect(iso(nextCronFire('*/15 * * * *', T0, 'UTC'))).toBe('2026-01-05T12:15:00.000Z');
    expect(iso(nextCronFire('0 12 * * *', T0, 'UTC'))).toBe('2026-01-06T12:00:00.000Z');
    expect(iso(nextCronFire('5,50 8-9 * * *', T0, 'UTC'))).toBe('2026-01-06T08:05:00.000Z');
    expect(iso(nextCronFire('0 0 1 */3 *', T0, 'UTC'))).toBe('2026-04-01T00:00:00.000Z');
    expect(iso(nextCronFire('30 2 * * 0', T0, 'UTC'))).toBe('2026-01-11T02:30:00.000Z'); // Sunday
    expect(iso(nextCronFire('30 2 * * 7', T0, 'UTC'))).toBe('2026-01-11T02:30:00.000Z'); // 7 is Sunday too
  });

  it('day-of-month and day-of-week both restricted: either matches (as in cron)', () => {
    // the 10th (Saturday) or any Wednesday: Wednesday the 7th comes first
    expect(iso(nextCronFire('0 6 10 * 3', T0, 'UTC'))).toBe('2026-01-07T06:00:00.000Z');
  });

  it('runs in the journey time zone, across a DST change', () => {
    expect(iso(nextCronFire('0 9 * * *', T0, 'Europe/Paris'))).toBe('2026-01-06T08:00:00.000Z');
    // Paris moves to summer time on 2026-03-29: 09:00 local is 08:00 UTC before and 07:00 UTC after
    const before = Date.UTC(2026, 2, 28, 12);
    expect(iso(nextCronFire('0 9 * * *', before, 'Europe/Paris'))).toBe('2026-03-29T07:00:00.000Z');
    expect(iso(nextCronFire('0 9 * * *', T0, 'America/New_York'))).toBe('2026-01-05T14:00:00.000Z');
  });

  it('a schedule that never matches within 5 years has no next run', () => {
    expect(nextCronFire('0 0 31 2 *', T0, 'UTC')).toBeUndefined();
  });

  it('once runs at the publish time, and only once', () => {
    expect(nextRunAt('once', T0, undefined, 'UTC')).toBe(T0);
    expect(nextRunAt('once', T0, T0, 'UTC')).toBeUndefined();
    expect(iso(nextRunAt('0 9 * * *', T0, undefined, 'UTC'))).toBe('2026-01-06T09:00:00.000Z');
    expect(iso(nextRunAt('0 9 * * *', T0, Date.UTC(2026, 0, 6, 9), 'UTC'))).toBe('2026-01-07T09:00:00.000Z');
  });
});
