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
  return {
    journeyId: str(head['journeyId']),
    journeyVersion: typeof head['journeyVersion'] === 'number' ? head['journeyVersion'] : 0,
    instanceId: str(head['instanceId']),
    profileKey: str(head['profileKey']),
    nodeId: str(s['nodeId']),
    nodeType: str(s['nodeType']),
    status: str(s['status']),
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    timestamp: str(s['timestamp']) || str(head['timestamp']),
  };
}

/** The steps of one `jo.step-events` record value. */
export function stepsOf(value: unknown): SimStep[] {
  if (value === null || typeof value !== 'object') return [];
  const rec = value as Record<string, unknown>;
  const list = rec['steps'];
  if (Array.isArray(list))
    return list
      .filter((s): s is Record<string, unknown> => s !== null && typeof s === 'object')
      .map((s) => one(rec, s));
  return [one(rec, rec)];
}
