/**
 * What the instance state machine (journey-machine.ts) reads from an instance and an entry: the instance id an
 * entry makes, the last event an instance consumed, the entry window, and an action result as the instance keeps it.
 */
import type { ActionResult } from '../../schemas/index.js';
import { deterministicId } from './ids.js';
import type { ActionOutcome, InstanceState, JourneyDef, NormalizedEvent, ProfileJourney } from './journey-model.js';

/** An action result as the instance keeps it (`actions.<nodeId>`), built field by field in the stored order. */
export function outcomeOf(
  commandId: string,
  r: Pick<ActionResult, 'status' | 'httpStatus' | 'response' | 'attempts' | 'error'>,
): ActionOutcome {
  // not conditional spreads: a literal with them takes a slow path, and every action result makes one
  const o: { -readonly [K in keyof ActionOutcome]: ActionOutcome[K] } = {
    commandId,
    status: r.status,
    attempts: r.attempts,
  };
  if (r.httpStatus !== undefined) o.httpStatus = r.httpStatus;
  if (r.response !== undefined) o.response = r.response;
  if (r.error !== undefined) o.error = r.error;
  return o;
}

/**
 * The last event the instance consumed (`event` on steps resumed by a timer or an action result). Instances
 * stored before `lastEvent` existed fall back to their entry event.
 */
export function lastConsumed(inst: InstanceState): NormalizedEvent | undefined {
  if (inst.lastEvent) return inst.lastEvent;
  for (const e of Object.values(inst.events)) if (e.id === inst.entryEventId) return e;
  return undefined;
}

/** The id of the instance `event` would start for `pj` in `def` (deterministic: a replay makes the same one). */
export function instanceIdOf(def: JourneyDef, pj: ProfileJourney, event: NormalizedEvent): string {
  return deterministicId('instance', def.id, def.version, pj.profileKey, pj.entries + 1, event.id);
}

export function profileKeyOf(event: NormalizedEvent): string {
  return `${event.identity.namespace}:${event.identity.id}`;
}

/** `outsideEntryWindow` before the journey's `startAt` or from its `endAt` on; running instances are not affected. */
export function outsideEntryWindow(def: JourneyDef, now: number): string | undefined {
  const { startAt, endAt } = def.config;
  if (startAt !== undefined && now < Date.parse(startAt)) return 'outsideEntryWindow';
  if (endAt !== undefined && now >= Date.parse(endAt)) return 'outsideEntryWindow';
  return undefined;
}
