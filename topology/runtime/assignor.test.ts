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

  it('keeps tasks with their previous owner while that stays balanced', () => {
    const a = assignTasks(tasks, [
      { memberId: 'm1', owned: ['0_0', '0_1', '0_2', '0_3', '1_0', '1_1', '1_2', '1_3'] },
      { memberId: 'm2', owned: [] },
    ]);
    expect(a.get('m1')).toEqual(['0_0', '0_1', '0_2', '0_3']);
    expect(a.get('m2')).toEqual(['1_0', '1_1', '1_2', '1_3']);
    const again = assignTasks(tasks, [
      { memberId: 'm2', owned: a.get('m2') ?? [] },
      { memberId: 'm1', owned: a.get('m1') ?? [] },
    ]);
    expect(again).toEqual(a);
  });
});
