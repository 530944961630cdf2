/**
 * The `schedule` of an audience entry: `once` (when the version goes live) or a five-field cron expression
 * (`minute hour day-of-month month day-of-week`, in the journey's time zone) with `*`, numbers, lists `a,b`,
 * ranges `a-b` and steps `*\/n`, `a-b/n`; day-of-week 0–7 (0 and 7 are Sunday). As in cron, when both
 * day-of-month and day-of-week are restricted a day matching either fires.
 */

/** The allowed values of each field, in order. */
export interface CronSpec {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

const FIELDS = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day-of-month', 1, 31],
  ['month', 1, 12],
  ['day-of-week', 0, 7],
] as const;

function parseField(text: string, name: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`${name} "${part}" is not a number, range, list or step`);
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi) throw new Error(`${name} "${part}" is outside ${min}-${max}`);
    if (step < 1) throw new Error(`${name} step must be at least 1`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a cron expression; throws an Error saying which field is wrong. */
export function parseCron(expr: string): CronSpec {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`a cron expression has 5 fields, got ${parts.length}`);
  const sets = FIELDS.map(([name, min, max], i) => parseField(parts[i] ?? '', name, min, max));
  const weekdays = new Set([...(sets[4] ?? [])].map((d) => d % 7));
  return {
    minutes: sets[0] ?? new Set(),
    hours: sets[1] ?? new Set(),
    days: sets[2] ?? new Set(),
    months: sets[3] ?? new Set(),
    weekdays,
    daysRestricted: parts[2] !== '*',
    weekdaysRestricted: parts[4] !== '*',
  };
}

/** Why `schedule` is not `once` or a valid cron expression, or undefined when it is fine. */
export function scheduleProblem(schedule: string): string | undefined {
  if (schedule === 'once') return undefined;
  try {
    parseCron(schedule);
    return undefined;
  } catch (err) {
    return `schedule must be "once" or a cron expression: ${(err as Error).message}`;
  }
}
