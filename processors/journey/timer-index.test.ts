import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../../topology/index.js';
import type { Timer } from './journey-model.js';
import { TimerIndex } from './timer-index.js';

const timer = (token: string, dueAt: number): Timer => ({
  token,
  dueAt,
  kind: 'wait',
  profileKey: 'crm:1',
  journeyId: 'j',
  version: 1,
  instanceId: 'i',
  nodeId: 'n',
});

describe('TimerIndex', () => {
  it('returns due timers in order, bounded, never early', async () => {
    const idx = new TimerIndex(new InMemoryKeyValueStore<Timer>('t'));
    for (const [tok, due] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
      ['d', 40],
    ] as const)
      await idx.apply({ op: 'set', timer: timer(tok, due) });
    expect((await idx.due(25, 10)).map((t) => t.token)).toEqual(['a', 'b']);
    expect((await idx.due(40, 1)).map((t) => t.token)).toEqual(['a']);
  });

  it('still finds timers the caller did not remove, and timers set below an earlier scan (clock stepped back)', async () => {
    const idx = new TimerIndex(new InMemoryKeyValueStore<Timer>('t'));
    await idx.apply({ op: 'set', timer: timer('a', 10) });
    await idx.apply({ op: 'set', timer: timer('b', 20) });
    expect((await idx.due(100, 10)).map((t) => t.token)).toEqual(['a', 'b']);
    // the caller removed only `a`
    await idx.remove(timer('a', 10));
    expect((await idx.due(100, 10)).map((t) => t.token)).toEqual(['b']);
    await idx.remove(timer('b', 20));
    expect(await idx.due(200, 10)).toEqual([]);
    // a timer due before the last scan's bound
    await idx.apply({ op: 'set', timer: timer('late', 150) });
    expect((await idx.due(200, 10)).map((t) => t.token)).toEqual(['late']);
    await idx.apply({ op: 'cancel', timer: timer('late', 150) });
    expect(await idx.due(300, 10)).toEqual([]);
    expect(idx.size()).toBe(0);
  });
});
