/**
 * One timer per instance: an instance has up to two deadlines — what it is blocked on (a wait, an event node's
 * timeout, an action's result deadline) and the journey timeout — but the timer index holds only the earlier of
 * them (`InstanceState.armed`). When that one fires, the transition it causes re-arms the next: a wait that ends
 * before the journey timeout costs one timer record instead of two, and the journey timeout is written only once it
 * is the next deadline. The walk only records deadlines (`newTimer`); the set/cancel ops are worked out once, when
 * the input settles (`settleTimers`), from the timers the index held before the input (`indexedTimers`).
 *
 * Instances stored before `armed` existed had both deadlines indexed: `indexedTimers` lists both for them, so their
 * first transition cancels whichever is not the next deadline and they carry `armed` from then on.
 */
import type { Blocked, InstanceState, JourneyTimer, TimerKind } from './journey-model.js';
import { keyBefore } from './timer-index.js';

/** The timer of `inst` for a deadline. */
export function timerOf(
  inst: InstanceState,
  kind: TimerKind,
  nodeId: string,
  token: string,
  dueAt: number,
): JourneyTimer {
  const { profileKey, journeyId, version, instanceId } = inst;
  return { token, dueAt, kind, profileKey, journeyId, version, instanceId, nodeId };
}

function blockedKind(b: Blocked): TimerKind {
  return b.kind === 'wait' ? 'wait' : b.kind === 'event' ? 'eventTimeout' : 'actionTimeout';
}

/** The deadlines of a running instance: its blocked node's (if it has one) and the journey timeout. */
function deadlines(inst: InstanceState): JourneyTimer[] {
  const out: JourneyTimer[] = [];
  const b = inst.blocked;
  if (b?.token !== undefined && b.dueAt !== undefined)
    out.push(timerOf(inst, blockedKind(b), b.nodeId, b.token, b.dueAt));
  const t = inst.timeout;
  if (t.token !== '') out.push(timerOf(inst, 'journeyTimeout', '$journey', t.token, t.dueAt));
  return out;
}

/** The timers the index holds for `inst` (an instance as stored, before an input changes it). */
export function indexedTimers(inst: InstanceState): JourneyTimer[] {
  const a = inst.armed;
  if (a) return [timerOf(inst, a.kind, a.nodeId, a.token, a.dueAt)];
  // stored before one timer per instance: every deadline was indexed
  return deadlines(inst);
}

/** The deadline the index must hold for a running instance: the earliest, in the index's own (firing) order. */
export function nextDeadline(inst: InstanceState): JourneyTimer | undefined {
  let next: JourneyTimer | undefined;
  for (const t of deadlines(inst)) if (!next || keyBefore(t, next)) next = t;
  return next;
}

/**
 * Brings the index in line with `inst` after an input: `before` is what it held for the instance (less a timer
 * that fired, which the timers processor removes itself); `ended` instances keep nothing. Returns the ops.
 */
export function settleTimers(
  inst: InstanceState,
  before: readonly JourneyTimer[],
  ended: boolean,
): Array<{ op: 'set' | 'cancel'; timer: JourneyTimer }> {
  const next = ended ? undefined : nextDeadline(inst);
  const ops: Array<{ op: 'set' | 'cancel'; timer: JourneyTimer }> = [];
  for (const t of before) if (t.token !== next?.token) ops.push({ op: 'cancel', timer: t });
  if (next && !before.some((t) => t.token === next.token)) ops.push({ op: 'set', timer: next });
  if (next) inst.armed = { token: next.token, dueAt: next.dueAt, kind: next.kind, nodeId: next.nodeId };
  else delete inst.armed;
  return ops;
}
