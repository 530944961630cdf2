import { describe, expect, it } from 'vitest';
import type { InstanceState } from './journey-model.js';
import { indexedTimers, nextDeadline, settleTimers } from './instance-timer.js';
import { instanceState } from '../testing/index.js';

/** An instance waiting at node `w` (token i1.2, due 50) with its journey timeout (token i1.1, due 99). */
function waiting(armed?: InstanceState['armed']): InstanceState {
  return instanceState({
    currentNode: 'w',
    blocked: { kind: 'wait', nodeId: 'w', token: 'i1.2', dueAt: 50 },
    events: {},
    visits: {},
    timeout: { token: 'i1.1', dueAt: 99 },
    ...(armed ? { armed } : {}),
  });
}

const ops = (list: ReturnType<typeof settleTimers>) => list.map((o) => `${o.op}:${o.timer.kind}:${o.timer.token}`);

describe('instance timer', () => {
  it('arms the earliest deadline, in the index order (due time, then token)', () => {
    expect(nextDeadline(waiting())?.token).toBe('i1.2');
    const late = { ...waiting(), blocked: { kind: 'wait', nodeId: 'w', token: 'i1.2', dueAt: 120 } } as const;
    expect(nextDeadline(late)?.kind).toBe('journeyTimeout');
    const tie = { ...waiting(), blocked: { kind: 'wait', nodeId: 'w', token: 'i1.2', dueAt: 99 } } as const;
    expect(nextDeadline(tie)?.token).toBe('i1.1');
    const noDeadline = { ...waiting(), blocked: { kind: 'event', nodeId: 'e' } } as const;
    expect(nextDeadline(noDeadline)?.kind).toBe('journeyTimeout');
  });

  it('an instance stored with both timers indexed (before one timer per instance) keeps only the earliest', () => {
    const inst = waiting();
    const before = indexedTimers(inst);
    expect(before.map((t) => t.token).sort()).toEqual(['i1.1', 'i1.2']);
    expect(ops(settleTimers(inst, before, false))).toEqual(['cancel:journeyTimeout:i1.1']);
    expect(inst.armed).toEqual({ token: 'i1.2', dueAt: 50, kind: 'wait', nodeId: 'w' });
    expect(indexedTimers(inst).map((t) => t.token)).toEqual(['i1.2']);
  });

  it('an ended instance leaves nothing in the index, whichever format it was stored in', () => {
    const legacy = waiting();
    expect(ops(settleTimers(legacy, indexedTimers(legacy), true)).sort()).toEqual([
      'cancel:journeyTimeout:i1.1',
      'cancel:wait:i1.2',
    ]);
    expect(legacy.armed).toBeUndefined();
    const armed = waiting({ token: 'i1.2', dueAt: 50, kind: 'wait', nodeId: 'w' });
    expect(ops(settleTimers(armed, indexedTimers(armed), true))).toEqual(['cancel:wait:i1.2']);
  });

  it('writes nothing when the armed timer is still the earliest', () => {
    const inst = waiting({ token: 'i1.2', dueAt: 50, kind: 'wait', nodeId: 'w' });
    expect(settleTimers(inst, indexedTimers(inst), false)).toEqual([]);
  });
});
