import { describe, expect, it } from 'vitest';
import { TopologyBuilder } from '../api/builder.js';
import { serdes } from '../api/record.js';
import { CommitTiming, taskCommitTiming } from './commit-timing.js';
import type { TaskRunnerOptions } from './task-runner-options.js';

const clockAt = (t: number) => ({ now: () => t });

describe('CommitTiming', () => {
  const hop = 'app-by-user-repartition';
  const timing = (hopDelayMs: number | undefined, eager = false) =>
    new CommitTiming({ intervalMs: 100, eager, hopTopics: new Set([hop]), hopDelayMs });

  it('is due at the next multiple of the interval after the last commit (every task on one grid)', () => {
    const t = timing(undefined);
    expect(t.nextDue(1_234)).toBe(1_300);
    expect(t.nextDue(1_300)).toBe(1_400);
    expect(t.due(1_299, 1_234, true)).toBe(false);
    expect(t.due(1_300, 1_234, false)).toBe(true);
  });

  it('is due hopDelayMs after the first record from a repartition topic, then on the grid again', () => {
    const t = timing(10);
    t.processed('events', clockAt(1_210));
    expect(t.nextDue(1_200)).toBe(1_300); // other inputs wait for the tick
    t.processed(hop, clockAt(1_220));
    t.processed(hop, clockAt(1_228)); // the first one counts
    expect(t.nextDue(1_200)).toBe(1_230);
    expect(t.due(1_229, 1_200, true)).toBe(false);
    expect(t.due(1_230, 1_200, false)).toBe(true);
    t.started();
    expect(t.nextDue(1_230)).toBe(1_300);
  });

  it('arms a hop commit at most once per interval: the rest of a burst waits for the tick', () => {
    const t = timing(10);
    t.processed(hop, clockAt(1_220));
    expect(t.nextDue(1_200)).toBe(1_230);
    t.started(); // the hop commit at 1,230
    t.processed(hop, clockAt(1_240)); // same interval: no second hop commit
    expect(t.nextDue(1_230)).toBe(1_300);
    t.started(); // the tick's commit at 1,300
    t.processed(hop, clockAt(1_305)); // next interval: armed again
    expect(t.nextDue(1_300)).toBe(1_315);
  });

  it('without a hop delay, repartition records wait for the tick; eager commits whenever caught up', () => {
    const t = timing(undefined);
    t.processed(hop, clockAt(1_220));
    expect(t.nextDue(1_200)).toBe(1_300);
    const eager = timing(undefined, true);
    expect(eager.due(1_201, 1_200, true)).toBe(true);
    expect(eager.due(1_201, 1_200, false)).toBe(false);
  });

  it('takes the repartition topics of its own sub-topology as hops', () => {
    const topology = new TopologyBuilder()
      .addSource({
        name: 'in',
        topics: ['events'],
        keyDeserializer: serdes.stringDeserializer,
        valueDeserializer: serdes.stringDeserializer,
      })
      .addRepartition({
        name: 'by-user',
        parents: ['in'],
        keySerializer: serdes.stringSerializer,
        valueSerializer: serdes.stringSerializer,
        keyDeserializer: serdes.stringDeserializer,
        valueDeserializer: serdes.stringDeserializer,
      })
      .addSink({
        name: 'out',
        topic: 'per-user',
        parents: ['by-user'],
        keySerializer: serdes.stringSerializer,
        valueSerializer: serdes.stringSerializer,
      })
      .build();
    const of = (subTopology: number, hopCommitDelayMs?: number | false) =>
      taskCommitTiming({
        topology,
        subTopology,
        applicationId: 'app',
        commitIntervalMs: 100,
        eagerCommit: false,
        ...(hopCommitDelayMs === undefined ? {} : { hopCommitDelayMs }),
      } as unknown as TaskRunnerOptions);
    const first = of(0);
    first.processed('events', clockAt(1_210));
    expect(first.nextDue(1_200)).toBe(1_300);
    const second = of(1);
    second.processed(hop, clockAt(1_210));
    expect(second.nextDue(1_200)).toBe(1_220); // default 10 ms
    const off = of(1, false);
    off.processed(hop, clockAt(1_210));
    expect(off.nextDue(1_200)).toBe(1_300);
  });
});
