import { describe, expect, it } from 'vitest';
import { ByteSlabs } from './byte-slabs.js';

describe('ByteSlabs', () => {
  it('copies views of a larger allocation once; a copy in a slab is owned already, by any ByteSlabs', () => {
    const pool = Buffer.from('a small value'); // a view of Node's 8 KiB pool
    expect(pool.buffer.byteLength).toBeGreaterThan(2 * pool.length);
    const copy = new ByteSlabs().own(pool);
    expect(copy.toString()).toBe('a small value');
    expect(copy.buffer).not.toBe(pool.buffer);
    expect(new ByteSlabs().own(copy)).toBe(copy);
    const alone = Buffer.allocUnsafeSlow(10).fill(1);
    expect(new ByteSlabs().own(alone)).toBe(alone);
    const big = Buffer.alloc(1 << 20).subarray(0, 10_000);
    const own = new ByteSlabs().own(big);
    expect(own.buffer.byteLength).toBe(10_000);
  });
});
