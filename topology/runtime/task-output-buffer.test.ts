import { describe, expect, it } from 'vitest';
import { TaskOutputBuffer } from './task-output-buffer.js';
import type { OutgoingRecord } from './task.js';

const out = (key: Buffer | null, value: Buffer | null): OutgoingRecord => ({
  topic: 't',
  key,
  value,
  headers: {},
  timestamp: 0,
});

const keep = () => undefined;

describe('TaskOutputBuffer', () => {
  it('keeps no view of a larger allocation: small keys and values are copied, large ones get their own buffer', () => {
    const block = Buffer.alloc(1024 * 1024, 7);
    block.write('key-1', 10);
    block.write('value-1', 100);
    const big = block.subarray(200_000, 210_000);
    const buffer = new TaskOutputBuffer(1_000_000, keep);
    buffer.send(out(block.subarray(10, 15), block.subarray(100, 107)));
    buffer.send(out(null, big));
    const alone = Buffer.allocUnsafeSlow(100).fill(1);
    buffer.send(out(null, alone));
    const [small, large, kept] = buffer.take();
    expect(small?.key?.toString()).toBe('key-1');
    expect(small?.value?.toString()).toBe('value-1');
    expect(small?.key?.buffer).not.toBe(block.buffer);
    expect(small?.value?.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    expect(large?.value?.equals(big)).toBe(true);
    expect(large?.value?.buffer.byteLength).toBe(big.length);
    expect(kept?.value).toBe(alone); // all of its allocation: not copied
  });

  it('hands out copies that stay valid while later outputs fill the slabs', () => {
    const buffer = new TaskOutputBuffer(1_000_000, keep);
    for (let i = 0; i < 2_000; i++) buffer.send(out(Buffer.from(`k${i}`), Buffer.from(`v${i}`.repeat(20))));
    const outs = buffer.take();
    expect(outs.map((r) => r.key?.toString())).toEqual(Array.from({ length: 2_000 }, (_, i) => `k${i}`));
    expect(outs.every((r, i) => r.value?.toString() === `v${i}`.repeat(20))).toBe(true);
    expect(buffer.length).toBe(0);
  });
});
