import { describe, expect, it } from 'vitest';
import type { InstanceState, NormalizedEvent } from './journey-model.js';
import type { ProfileState } from './journey-engine.js';
import { profileStateSerde } from './profile-state-serde.js';
import { instanceState } from '../testing/index.js';

const event = (id: string, configId: string): NormalizedEvent => ({
  id,
  timestamp: '2026-01-01T00:00:00.000Z',
  eventType: `t.${configId}`,
  eventConfigId: configId,
  identity: { namespace: 'crmId', id: 'p1' },
  xdm: { _id: id, person: { id: 'p1', email: 'p1@example.com' }, padding: 'x'.repeat(600) },
});

function instance(events: Record<string, NormalizedEvent>, lastEvent?: NormalizedEvent): InstanceState {
  return instanceState({
    entryEventId: 'e1',
    currentNode: 'wait',
    events,
    ...(lastEvent ? { lastEvent } : {}),
    visits: { first: 1 },
    timeout: { token: 't', dueAt: 99 },
  });
}

const stateOf = (...instances: InstanceState[]): ProfileState => ({
  journeys: Object.fromEntries(
    instances.map((inst, i) => [`j${i}`, { journeyId: `j${i}`, profileKey: 'crmId:p1', entries: 1, instance: inst }]),
  ),
});

const occurrences = (bytes: Buffer, s: string) => bytes.toString('utf8').split(s).length - 1;

describe('profileStateSerde', () => {
  it('writes an instance whose lastEvent is one of its events once, and reads it back as the same object', () => {
    const a = event('e1', 'ev-a');
    const state = stateOf(instance({ 'ev-a': a, 'ev-b': event('e2', 'ev-b') }, a));
    const bytes = profileStateSerde.serialize(state);
    expect(occurrences(bytes, '"_id":"e1"')).toBe(1);
    expect(occurrences(Buffer.from(JSON.stringify(state)), '"_id":"e1"')).toBe(2);
    expect(bytes.length).toBeLessThan(JSON.stringify(state).length - 600);
    const back = profileStateSerde.deserialize(bytes);
    expect(back).toEqual(state);
    const inst = back.journeys['j0']?.instance;
    expect(inst?.lastEvent).toBe(inst?.events['ev-a']);
    // the state it was built from is not changed, and the next write of what was read is the same bytes
    expect(state.journeys['j0']?.instance?.lastEvent).toBe(a);
    expect(profileStateSerde.serialize(back).equals(bytes)).toBe(true);
  });

  it('writes a lastEvent that is not the events entry of its type in full', () => {
    const older = event('e1', 'ev-a');
    const newer = event('e3', 'ev-a');
    const state = stateOf(instance({ 'ev-a': newer }, older), instance({ 'ev-a': event('e4', 'ev-a') }));
    const bytes = profileStateSerde.serialize(state);
    expect(occurrences(bytes, '"_id":"e1"')).toBe(1);
    expect(bytes.toString()).not.toContain('lastEventOf');
    expect(profileStateSerde.deserialize(bytes)).toEqual(state);
  });

  it('reads records written as plain JSON before (lastEvent in full)', () => {
    const a = event('e1', 'ev-a');
    const state = stateOf(instance({ 'ev-a': a }, a));
    expect(profileStateSerde.deserialize(Buffer.from(JSON.stringify(state)))).toEqual(state);
    const empty: ProfileState = { journeys: { j: { journeyId: 'j', profileKey: 'crmId:p1', entries: 2 } } };
    expect(profileStateSerde.deserialize(profileStateSerde.serialize(empty))).toEqual(empty);
  });
});
