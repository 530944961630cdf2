import { describe, expect, it } from 'vitest';
import { chunkBySize } from './task-runner.js';

const rec = (bytes: number) => ({ key: Buffer.from('k'), value: Buffer.alloc(bytes), headers: { h: 'v' } });

describe('chunkBySize', () => {
  it('keeps order and bounds each chunk, a lone oversized record in its own chunk', () => {
    const outs = [rec(400), rec(400), rec(400), rec(2_000), rec(10)];
    const chunks = chunkBySize(outs, 1_000);
    expect(chunks.map((c) => c.length)).toEqual([2, 1, 1, 1]);
    expect(chunks.flat()).toEqual(outs);
    expect(chunkBySize([], 1_000)).toEqual([]);
  });
});
