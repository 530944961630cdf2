/**
 * Step records (PRODUCT.md → Messages → step record): the steps one input made one instance do, as ONE record
 * holding them in order. `emit` calls it once per outcome; an input that moved several instances (an event
 * continuing one journey and entering another) gives one record per instance.
 */
import type { StepCause, StepRecord } from '../../schemas/index.js';
import type { InstanceStep } from './journey-model.js';

/** Used when an outcome carries no cause (never expected; keeps a record well-formed rather than dropping it). */
const UNKNOWN_CAUSE: StepCause = { type: 'control', id: '' };

/** Groups `steps` by instance (first appearance order), each group one record with `cause`. */
export function toStepRecords(steps: readonly InstanceStep[], cause: StepCause = UNKNOWN_CAUSE): StepRecord[] {
  const out: StepRecord[] = [];
  // An instance's steps mostly come one after the other: the last record is tried first, and the records are
  // indexed by key only once a step does not belong to it (no key string per step in the common case).
  let byKey: Map<string, StepRecord> | undefined;
  for (const s of steps) {
    const last = out.at(-1);
    let rec = last && sameInstance(last, s) ? last : undefined;
    if (!rec && last) {
      byKey ??= new Map(out.map((r) => [keyOf(r), r]));
      rec = byKey.get(keyOf(s));
    }
    if (!rec) {
      rec = {
        journeyId: s.journeyId,
        journeyVersion: s.journeyVersion,
        instanceId: s.instanceId,
        profileKey: s.profileKey,
        cause,
        steps: [],
      };
      out.push(rec);
      byKey?.set(keyOf(s), rec);
    }
    const step: StepRecord['steps'][number] = {
      nodeId: s.nodeId,
      nodeType: s.nodeType,
      status: s.status,
      timestamp: s.timestamp,
    };
    if (s.reason !== undefined) step.reason = s.reason;
    rec.steps.push(step);
  }
  return out;
}

type InstanceOf = Pick<InstanceStep, 'journeyId' | 'journeyVersion' | 'instanceId'>;

// Discards with no instance (noJourneyForEvent) are grouped per journey so that each stays attributable.
const keyOf = (s: InstanceOf) => `${s.journeyId}\u0000${s.journeyVersion}\u0000${s.instanceId}`;

function sameInstance(r: InstanceOf, s: InstanceOf): boolean {
  return r.instanceId === s.instanceId && r.journeyId === s.journeyId && r.journeyVersion === s.journeyVersion;
}
