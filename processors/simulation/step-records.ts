/**
 * Reads what the topology wrote to `jo.step-events` as a flat list of steps, whichever shape the record has: one
 * record per step (`nodeId`, `status`, ... at the top), or one record per instance and input with a `steps` list.
 */

/** One step of one instance, as the simulation reports it. */
export interface SimStep {
  readonly journeyId: string;
  readonly journeyVersion: number;
  readonly instanceId: string;
  readonly profileKey: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly status: string;
  readonly reason?: string;
  readonly timestamp: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function one(head: Record<string, unknown>, s: Record<string, unknown>): SimStep {
  const reason = s['reason'];
  const journeyId = str(head['journeyId']);
  const journeyVersion = typeof head['journeyVersion'] === 'number' ? head['journeyVersion'] : 0;
  const instanceId = str(head['instanceId']);
  const profileKey = str(head['profileKey']);
  const nodeId = str(s['nodeId']);
  const nodeType = str(s['nodeType']);
  const status = str(s['status']);
  const timestamp = str(s['timestamp']) || str(head['timestamp']);
  // two literals (same field order) rather than a spread of a temporary object per step
  return typeof reason === 'string' && reason !== ''
    ? { journeyId, journeyVersion, instanceId, profileKey, nodeId, nodeType, status, reason, timestamp }
    : { journeyId, journeyVersion, instanceId, profileKey, nodeId, nodeType, status, timestamp };
}

/** The steps of one `jo.step-events` record value. */
export function stepsOf(value: unknown): SimStep[] {
  if (value === null || typeof value !== 'object') return [];
  const rec = value as Record<string, unknown>;
  const list = rec['steps'];
  if (!Array.isArray(list)) return [one(rec, rec)];
  const steps: SimStep[] = [];
  for (const s of list as unknown[])
    if (s !== null && typeof s === 'object') steps.push(one(rec, s as Record<string, unknown>));
  return steps;
}
