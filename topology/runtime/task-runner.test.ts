import { describe, expect, it } from 'vitest';
import { ManualClock } from '../api/clock.js';
import { CpuSlice } from './cpu-slice.js';
import { requestChunks } from './task-commit.js';
import { ManualTimer, type Timer } from '../api/timer.js';
import type { OutgoingRecord } from './task.js';

const rec = (i: number, bytes: number): OutgoingRecord => ({
  topic: 't',
  partition: 0,
  key: Buffer.from(String(i)),
  value: Buffer.alloc(bytes),
  headers: {},
  timestamp: i,
});

describe('requestChunks', () => {
  it('keeps every record, in order, in runs under the byte limit', () => {
    const outs = Array.from({ length: 1_000 }, (_, i) => rec(i, 900));
    const chunks = requestChunks(outs, 100_000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(outs);
    for (const c of chunks) expect(c.reduce((n, r) => n + (r.value?.length ?? 0), 0)).toBeLessThanOrEqual(100_000);
  });

  it('gives a record larger than the limit a run of its own and sends small batches whole', () => {
    const big = rec(1, 5_000);
    expect(requestChunks([rec(0, 10), big, rec(2, 10)], 1_000)).toEqual([[rec(0, 10)], [big], [rec(2, 10)]]);
    expect(requestChunks([rec(0, 10), rec(1, 10)], 1_000)).toEqual([[rec(0, 10), rec(1, 10)]]);
    expect(requestChunks([], 1_000)).toEqual([]);
  });
});

describe('CpuSlice', () => {
  it('is one budget per event-loop turn for all tasks: the first task back opens the next slice', async () => {
    const clock = new ManualClock();
    let turns = 0;
    const timer: Timer = Object.assign(new ManualTimer(), {
      sleep: () => Promise.resolve(),
      yield: () => Promise.resolve().then(() => void turns++),
    });
    const slice = new CpuSlice(clock, timer, 10);
    expect(slice.spent()).toBe(true); // never opened
    await Promise.all([slice.next(), slice.next(), slice.next()]); // three tasks wait for one turn
    expect(turns).toBe(1);
    expect(slice.spent()).toBe(false);
    clock.advance(9);
    expect(slice.spent()).toBe(false);
    clock.advance(1);
    expect(slice.spent()).toBe(true); // whichever task is running now yields
    await slice.next();
    expect(turns).toBe(2);
    expect(slice.spent()).toBe(false);
  });
});
