/**
 * Exit criteria and goals of a running instance (journey fields `exit` and `goal`), checked by the state machine
 * for every event of the profile that the journey references, before the event may continue the instance:
 * - a matching exit criterion ends the instance wherever it is (`ended`, reason `exitCriteria`, at the current
 *   node): its timers are cancelled, a later action result finds no instance and is counted as discarded
 *   (`staleActionResult`), and no command follows;
 * - a matching goal marks the instance converted once (a `goal` step, `jo_journey_goals_total`) and, with
 *   `exit: true`, ends it (`ended`, reason `goalReached`).
 */
import type { NormalizedEvent } from './journey-model.js';
import { testRule } from './rules.js';
import { finish, ruleData, step, type WalkContext } from './journey-walk.js';

/** Whether `event` matches a trigger (event id, then its condition; a condition that fails to evaluate is false). */
async function matches(
  ctx: WalkContext,
  t: { readonly event: string; readonly condition?: unknown },
  event: NormalizedEvent,
  needs: string,
): Promise<boolean> {
  if (t.event !== event.eventConfigId) return false;
  if (t.condition === undefined) return true;
  try {
    return testRule(t.condition, await ruleData(ctx, ctx.def.needs[needs] ?? []), ctx.def.timezone);
  } catch (err) {
    ctx.inst.lastError = `ruleFailed: ${(err as Error).message}`;
    return false;
  }
}

export type GoalOutcome = 'none' | 'reached' | 'ended';

/** Applies the journey's goal to `event`: `reached` (converted, still running), `ended` (converted and exited). */
export async function applyGoal(ctx: WalkContext, event: NormalizedEvent): Promise<GoalOutcome> {
  const goal = ctx.def.config.goal;
  if (!goal || ctx.inst.goalAt !== undefined || !(await matches(ctx, goal, event, '$goal'))) return 'none';
  ctx.inst.goalAt = ctx.env.now();
  step(ctx, ctx.inst.currentNode, 'goal');
  ctx.out.goals.push({ journeyId: ctx.inst.journeyId, version: ctx.inst.version });
  if (!goal.exit) return 'reached';
  finish(ctx, ctx.inst.currentNode, 'ended', 'goalReached');
  return 'ended';
}

/** Ends the instance (`exitCriteria`) when `event` meets one of the journey's exit criteria. */
export async function applyExitCriteria(ctx: WalkContext, event: NormalizedEvent): Promise<boolean> {
  for (const e of ctx.def.config.exit ?? [])
    if (await matches(ctx, e, event, '$exit')) {
      finish(ctx, ctx.inst.currentNode, 'ended', 'exitCriteria');
      return true;
    }
  return false;
}

/** Whether the instance would take `event` as a continuation (waiting on an event node for it, or queueing it). */
export function wantsEvent(ctx: WalkContext, event: NormalizedEvent): boolean {
  const b = ctx.inst.blocked;
  if (b?.kind === 'action' || b?.kind === 'paused') return true;
  const node = b?.kind === 'event' ? ctx.def.config.nodes[b.nodeId] : undefined;
  return node?.type === 'event' && node.events.some((e) => e.event === event.eventConfigId);
}
