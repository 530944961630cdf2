import { describe, expect, it } from 'vitest';
import { ByteLru, ByteLruPool } from './byte-lru.js';

const b = (s: string) => Buffer.from(s);

describe('ByteLru', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const lru = new ByteLru(1_400); // each entry below costs 160 + 2*2 + 4 = 168 bytes: 8 fit
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
    for (const k of keys) lru.set(k, b('vvvv'));
    expect(lru.size).toBe(8);
    expect(lru.get('k1')?.toString()).toBe('vvvv'); // k1 is now the most recent
    lru.set('k9', b('vvvv'));
    expect(lru.has('k2')).toBe(false);
    expect(['k1', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'].every((k) => lru.has(k))).toBe(true);
    expect(lru.bytes).toBeLessThanOrEqual(1_400);
  });

  it('caches known-absent keys as null, replaces values, deletes and clears', () => {
    const lru = new ByteLru(10_000);
    lru.set('gone', null);
    expect(lru.get('gone')).toBeNull();
    expect(lru.get('never')).toBeUndefined();
    lru.set('k', b('1'));
    lru.set('k', b('22'));
    expect(lru.get('k')?.toString()).toBe('22');
    expect(lru.size).toBe(2);
    lru.delete('k');
    expect(lru.get('k')).toBeUndefined();
    lru.clear();
    expect([lru.size, lru.bytes]).toEqual([0, 0]);
  });

  it('does not keep an entry larger than 1/8 of the budget, and a zero budget keeps nothing', () => {
    const lru = new ByteLru(2_000);
    lru.set('big', Buffer.alloc(300));
    expect(lru.has('big')).toBe(false);
    const off = new ByteLru(0);
    off.set('k', b('v'));
    expect(off.size).toBe(0);
  });

  it('stays correct over many evictions (linked list and map agree)', () => {
    const lru = new ByteLru(50 * 200);
    for (let i = 0; i < 10_000; i++) {
      lru.set(`k${i % 300}`, b(String(i)));
      if (i % 7 === 0) lru.get(`k${(i * 13) % 300}`);
      if (i % 11 === 0) lru.delete(`k${(i * 5) % 300}`);
    }
    expect(lru.bytes).toBeLessThanOrEqual(50 * 200);
    let counted = 0;
    for (let i = 0; i < 300; i++) if (lru.has(`k${i}`)) counted++;
    expect(counted).toBe(lru.size);
    expect(lru.get('k99')?.toString()).toBe('9999');
    expect(lru.has('k100')).toBe(false); // set at i = 9700, evicted since
  });

  it('caches on one pool share its budget and recency order: a busy cache evicts an idle one', () => {
    const pool = new ByteLruPool(1_400); // 8 entries of 168 bytes
    const idle = new ByteLru(pool);
    const busy = new ByteLru(pool);
    for (const k of ['k1', 'k2', 'k3', 'k4']) idle.set(k, b('vvvv'));
    for (const k of ['k1', 'k2', 'k3', 'k4']) busy.set(k, b('wwww'));
    expect([idle.size, busy.size, pool.size, pool.bytes]).toEqual([4, 4, 8, 8 * 168]);
    expect(idle.get('k1')?.toString()).toBe('vvvv'); // same key in another cache: its own entry
    for (const k of ['k5', 'k6', 'k7']) busy.set(k, b('wwww'));
    // the three least recently used entries of the pool were idle's k2..k4
    expect(['k2', 'k3', 'k4'].some((k) => idle.has(k))).toBe(false);
    expect([idle.size, busy.size, idle.bytes, busy.bytes]).toEqual([1, 7, 168, 7 * 168]);
    expect(pool.bytes).toBeLessThanOrEqual(pool.maxBytes);
    busy.clear();
    expect([busy.size, pool.size, pool.bytes, idle.get('k1')?.toString()]).toEqual([0, 1, 168, 'vvvv']);
    busy.set('k8', b('wwww'));
    expect(pool.size).toBe(2);
  });

  it("keeps its own copy of a value: never a view of the caller's buffer, small ones in slabs of its own", () => {
    const lru = new ByteLru(20_000);
    const callers = Buffer.alloc(8_192, 0x61);
    lru.set('view', callers.subarray(0, 3));
    callers.fill(0x62);
    const cached = lru.get('view');
    expect(cached?.toString()).toBe('aaa');
    expect(cached?.buffer).not.toBe(callers.buffer);
    const big = Buffer.alloc(2_000, 0x63); // over the slab value size: a buffer of its own
    lru.set('big', big.subarray(0, 1_100));
    expect(lru.get('big')?.buffer.byteLength).toBe(1_100);
    const whole = Buffer.allocUnsafeSlow(1_200).fill(0x63);
    lru.set('whole', whole);
    expect(lru.get('whole')).toBe(whole);
  });

  it('bounds its slabs by the cached bytes however values are overwritten and evicted; views stay valid', () => {
    const pool = new ByteLruPool(4 * 1024 * 1024);
    const lru = new ByteLru(pool);
    const value = (i: number) => Buffer.from(`value-${i}-`.padEnd(40 + (i % 50), 'x'));
    // 1,500 hot keys rewritten over and over, 100k cold keys written once each (evicted as the budget fills)
    const N = 200_000;
    let firstView: Buffer | null | undefined;
    for (let i = 0; i < N; i++) {
      const key = i % 2 === 0 ? `hot${i % 3_000}` : `cold${i}`;
      lru.set(key, value(i));
      if (i === 2) firstView = lru.get('hot2');
    }
    let cachedBytes = 0;
    for (let i = 0; i < 3_000; i++) cachedBytes += lru.get(`hot${i}`)?.length ?? 0;
    for (let i = 1; i < N; i += 2) cachedBytes += lru.peek(`cold${i}`)?.length ?? 0;
    expect(pool.slabBytes).toBeLessThanOrEqual(Math.max(1024 * 1024, 3 * cachedBytes) + 64 * 1024);
    expect(firstView?.toString()).toBe(value(2).toString()); // handed out before, still intact
    for (let i = N - 3_000; i < N; i += 2) expect(lru.get(`hot${i % 3_000}`)).toEqual(value(i));
    lru.clear();
    expect([pool.slabBytes <= 64 * 1024, pool.bytes]).toEqual([true, 0]); // at most the slab being filled
  });
});
