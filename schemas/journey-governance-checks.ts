/**
 * Journey checks for the governance fields: `jump` targets (live, no cycle through other journeys), the entry
 * window and the entry's form (event or audience). Called by the journey compiler; pure.
 */
import type { JourneyNode } from './resources.js';
import { pointer, type ConfigProblem } from './problems.js';
import { scheduleProblem } from './audience-schedule.js';

/** What the checks need of the compiler's references. */
export interface JumpRefs {
  liveJumpTargets?(id: string): readonly string[] | undefined;
}

/** Jump targets must be live journeys, and following jumps from them must never come back to `self`. */
export function jumpProblems(
  nodes: ReadonlyMap<string, JourneyNode>,
  refs: JumpRefs | null,
  self: unknown,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!refs?.liveJumpTargets || typeof self !== 'string') return problems;
  const targets = (id: string) => refs.liveJumpTargets?.(id);
  for (const [id, node] of nodes) {
    if (node.type !== 'jump') continue;
    const at = pointer('/nodes', id, 'journey');
    if (node.journey === self) {
      problems.push({ pointer: at, code: 'JUMP_CYCLE', message: `a journey cannot jump to itself` });
      continue;
    }
    const first = targets(node.journey);
    if (first === undefined) {
      problems.push({ pointer: at, code: 'JUMP_TARGET_NOT_LIVE', message: `journey "${node.journey}" is not live` });
      continue;
    }
    const seen = new Set<string>([node.journey]);
    const queue = [...first];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (next === self) {
        problems.push({
          pointer: at,
          code: 'JUMP_CYCLE',
          message: `jumping to "${node.journey}" leads back to "${self}"`,
        });
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(targets(next) ?? []));
    }
  }
  return problems;
}

/** `endAt` must follow `startAt`. */
export function entryWindowProblems(j: Record<string, unknown>): ConfigProblem[] {
  const start = typeof j['startAt'] === 'string' ? Date.parse(j['startAt']) : NaN;
  const end = typeof j['endAt'] === 'string' ? Date.parse(j['endAt']) : NaN;
  if (Number.isFinite(start) && Number.isFinite(end) && end <= start)
    return [{ pointer: '/endAt', code: 'ENTRY_WINDOW_INVALID', message: 'endAt must be after startAt' }];
  return [];
}

/**
 * The entry is either an event (`event`, optional `condition`) or an audience (`audience` and `schedule`), and an
 * audience rule reads only the profile (`datasourcesRead`: what the compiler found it reads besides the profile).
 */
export function entryFormProblems(entry: Record<string, unknown>, datasourcesRead: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const has = (k: string) => entry[k] !== undefined;
  const bad = (at: string, message: string) =>
    problems.push({ pointer: `/entry${at}`, code: 'ENTRY_INVALID', message });
  if (has('event') === has('audience')) bad('', 'an entry has either `event` or `audience` (with `schedule`)');
  if (has('audience')) {
    if (has('condition')) bad('/condition', 'an audience entry has no `condition`: put it in `audience`');
    if (!has('schedule')) bad('/schedule', 'an audience entry needs a `schedule` ("once" or a cron expression)');
    for (const ds of datasourcesRead)
      bad('/audience', `an audience rule reads only the profile, not data source "${ds}"`);
  } else if (has('schedule')) bad('/schedule', '`schedule` is for audience entries');
  const schedule = entry['schedule'];
  const why = typeof schedule === 'string' ? scheduleProblem(schedule) : undefined;
  if (why) problems.push({ pointer: '/entry/schedule', code: 'AUDIENCE_SCHEDULE_INVALID', message: why });
  return problems;
}
