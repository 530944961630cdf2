import { describe, expect, it } from 'vitest';
import { requestChunks } from './task-runner.js';
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
