import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { TaskInputQueue } from './task-input-queue.js';
import { toRecordBlock } from '../kafka/record-block.js';
import type { ConsumerPort } from './task-runner-options.js';

/** A consumer port that records what the queue asked of it. */
function port(): ConsumerPort & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    seek: (t, p, o) => void calls.push(`seek ${t}/${p}@${o}`),
    pause: (t, p) => void calls.push(`pause ${t}/${p}`),
    resume: (t, p) => void calls.push(`resume ${t}/${p}`),
    commit: () => Promise.resolve(),
  };
}

/** A fetched batch of `topic`, offsets `from`..`to`, values `<topic><offset>` (4+ bytes each). */
const block = (topic: string, from: number, to: number) =>
  toRecordBlock(
    topic,
    0,
    Array.from({ length: to - from + 1 }, (_, i) => ({
      offset: String(from + i),
      key: null,
      value: Buffer.from(`${topic}${from + i}`),
      timestamp: '0',
    })),
  );

const ids = (rs: ReadonlyArray<{ topic: string; offset: string }>) => rs.map((r) => `${r.topic}${r.offset}`);

describe('TaskInputQueue', () => {
  it('queues fetched batches packed and hands their records out in order, across batches', () => {
    const q = new TaskInputQueue({ consumer: port(), partition: 0, inputs: ['a'], maxQueued: 100 });
    q.seek('a', '0');
    expect(q.offerBlock(block('a', 0, 4), '10')).toBe(true);
    expect(q.offerBlock(block('a', 5, 9))).toBe(true);
    expect(q.length).toBe(10);
    expect(ids(q.take(3))).toEqual(['a0', 'a1', 'a2']);
    expect(ids(q.take(4))).toEqual(['a3', 'a4', 'a5', 'a6']);
    expect(q.length).toBe(3);
    expect(ids(q.take(100))).toEqual(['a7', 'a8', 'a9']);
    expect(q.take(100)).toEqual([]);
    expect(q.expected('a')).toBe('10');
    expect(q.highWatermarks.get('a')).toBe('10');
  });

  it('drops re-delivered records (a batch overlapping what was taken) and topics that have not started', () => {
    const q = new TaskInputQueue({ consumer: port(), partition: 0, inputs: ['a', 'b'], maxQueued: 100 });
    expect(q.offerBlock(block('a', 0, 2))).toBe(false);
    q.seek('a', '3');
    expect(q.offerBlock(block('a', 0, 2))).toBe(false);
    expect(q.offerBlock(block('a', 1, 5))).toBe(true);
    expect(q.offerBlock(block('a', 4, 7))).toBe(true);
    expect(q.offerBlock(block('b', 0, 1))).toBe(false);
    expect(ids(q.take(100))).toEqual(['a3', 'a4', 'a5', 'a6', 'a7']);
  });

  it('pauses fetching over the length or byte limit and resumes when drained to half', () => {
    const consumer = port();
    const q = new TaskInputQueue({ consumer, partition: 3, inputs: ['a'], maxQueued: 6, maxQueuedBytes: 1_000 });
    q.seek('a', '0');
    q.offerBlock(block('a', 0, 4));
    expect(consumer.calls).toEqual(['seek a/3@0', 'resume a/3']);
    q.offerBlock(block('a', 5, 9));
    expect(consumer.calls.slice(2)).toEqual(['pause a/3']);
    q.take(6);
    q.resumeIfDrained();
    expect(consumer.calls.slice(3)).toEqual([]);
    q.take(1);
    q.resumeIfDrained();
    expect(consumer.calls.slice(3)).toEqual(['resume a/3']);

    const c2 = port();
    const bytes = new TaskInputQueue({ consumer: c2, partition: 0, inputs: ['a'], maxQueued: 100, maxQueuedBytes: 8 });
    bytes.seek('a', '0');
    bytes.offerBlock(block('a', 0, 1)); // 4 bytes
    bytes.offerBlock(block('a', 2, 3)); // 8
    expect(c2.calls).not.toContain('pause a/0');
    bytes.offerBlock(block('a', 4, 4)); // 10 > 8
    expect(c2.calls).toContain('pause a/0');
    expect(bytes.length).toBe(5);
  });

  it('puts records back at the head for a retry, before the batches still queued', () => {
    const consumer = port();
    const q = new TaskInputQueue({ consumer, partition: 0, inputs: ['a'], maxQueued: 100 });
    q.seek('a', '0');
    q.offerBlock(block('a', 0, 5));
    const taken = q.take(4);
    expect(q.waitWith(taken.slice(2))).toBe(true);
    expect(q.waiting).toBe(true);
    expect(q.length).toBe(4);
    expect(ids(q.take(3))).toEqual(['a2', 'a3', 'a4']);
    q.endWait();
    expect(ids(q.take(3))).toEqual(['a5']);
    q.offerBlock(block('a', 6, 6));
    expect(q.clear()).toBe(false);
    expect(q.length).toBe(0);
    expect(q.take(5)).toEqual([]);
  });

  it('lets a taken batch go while later ones are still queued (a backlogged queue does not pin drained blocks)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const q = new TaskInputQueue({ consumer: port(), partition: 0, inputs: ['a'], maxQueued: 100 });
    q.seek('a', '0');
    const first = new WeakRef(block('a', 0, 2));
    q.offerBlock(first.deref()!);
    q.offerBlock(block('a', 3, 5));
    expect(ids(q.take(4))).toEqual(['a0', 'a1', 'a2', 'a3']);
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef holds its target until the job ends
    gc();
    expect(first.deref()).toBeUndefined();
    expect(ids(q.take(4))).toEqual(['a4', 'a5']);
  });
});
