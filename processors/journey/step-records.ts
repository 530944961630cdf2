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
  const byInstance = new Map<string, StepRecord>();
  for (const s of steps) {
    // Discards with no instance (noJourneyForEvent) are grouped per journey so that each stays attributable.
    const key = `${s.journeyId}\u0000${s.journeyVersion}\u0000${s.instanceId}`;
    let rec = byInstance.get(key);
    if (!rec) {
      rec = {
        journeyId: s.journeyId,
        journeyVersion: s.journeyVersion,
        instanceId: s.instanceId,
        profileKey: s.profileKey,
        cause,
        steps: [],
      };
      byInstance.set(key, rec);
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
  return [...byInstance.values()];
}
