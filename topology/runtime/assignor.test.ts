import { describe, expect, it } from 'vitest';
import { assignTasks } from './assignor.js';

const tasks = ['0_0', '0_1', '0_2', '0_3', '1_0', '1_1', '1_2', '1_3'];

describe('assignTasks', () => {
  it('spreads tasks evenly over members', () => {
    const a = assignTasks(tasks, [
      { memberId: 'm1', owned: [] },
      { memberId: 'm2', owned: [] },
      { memberId: 'm3', owned: [] },
    ]);
    expect([...a.values()].map((t) => t.length).sort()).toEqual([2, 3, 3]);
    expect(new Set([...a.values()].flat())).toEqual(new Set(tasks));
  });

  it('balances every sub-topology over the members even when one member owned everything before', () => {
    // One process started first and took every task; a second joins. Before, the first kept sub-topology 0 whole
    // and the second got all of sub-topology 1: one process normalized every partition, the other ran journeys.
    const a = assignTasks(tasks, [
      { memberId: 'm1', owned: [...tasks] },
      { memberId: 'm2', owned: [] },
    ]);
    expect(a.get('m1')).toEqual(['0_0', '0_1', '1_0', '1_1']);
    expect(a.get('m2')).toEqual(['0_2', '0_3', '1_2', '1_3']);
  });

  it('is sticky: the same members with what they own get the same assignment', () => {
    const a = assignTasks(tasks, [
      { memberId: 'm1', owned: [...tasks] },
      { memberId: 'm2', owned: [] },
    ]);
    const again = assignTasks(tasks, [
      { memberId: 'm2', owned: a.get('m2') ?? [] },
      { memberId: 'm1', owned: a.get('m1') ?? [] },
    ]);
    expect(again).toEqual(a);
  });

  it('spreads a sub-topology with fewer tasks than members by total load', () => {
    const a = assignTasks(
      ['0_0', '0_1', '0_2', '1_0'],
      [
        { memberId: 'm1', owned: [] },
        { memberId: 'm2', owned: [] },
        { memberId: 'm3', owned: [] },
        { memberId: 'm4', owned: [] },
      ],
    );
    expect([...a.values()].map((t) => t.length)).toEqual([1, 1, 1, 1]);
  });

  it('moves only what balance needs when a member leaves and comes back', () => {
    const three = [
      { memberId: 'm1', owned: ['0_0', '0_1', '1_0'] },
      { memberId: 'm2', owned: ['0_2', '1_1', '1_2'] },
      { memberId: 'm3', owned: ['0_3', '1_3'] },
    ];
    const a = assignTasks(tasks, three);
    expect(a.get('m1')).toEqual(['0_0', '0_1', '1_0']);
    expect(a.get('m2')).toEqual(['0_2', '1_1', '1_2']);
    expect(a.get('m3')).toEqual(['0_3', '1_3']);
  });
});
