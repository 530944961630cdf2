import { describe, expect, it } from 'vitest';
import { ManualClock } from '../topology/testing/index.js';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('expires entries after their TTL', () => {
    const clock = new ManualClock();
    const c = new TtlCache<number>(clock, 10);
    c.set('a', 1, 100);
    clock.advance(99);
    expect(c.get('a')).toBe(1);
    clock.advance(1);
    expect(c.get('a')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const c = new TtlCache<number>(new ManualClock(), 2);
    c.set('a', 1, 1_000);
    c.set('b', 2, 1_000);
    expect(c.get('a')).toBe(1);
    c.set('c', 3, 1_000);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
  });

  it('coalesces concurrent loads of one key and does not cache failures', async () => {
    const c = new TtlCache<string>(new ManualClock(), 10);
    let loads = 0;
    let release!: (v: string) => void;
    const load = () => {
      loads++;
      return new Promise<string>((r) => (release = r));
    };
    const all = Array.from({ length: 100 }, () => c.getOrLoad('k', 0, load));
    release('v');
    expect(await Promise.all(all)).toEqual(Array.from({ length: 100 }, () => 'v'));
    expect(loads).toBe(1);
    const failing = () => {
      loads++;
      return Promise.reject(new Error('down'));
    };
    await expect(Promise.all([c.getOrLoad('f', 1_000, failing), c.getOrLoad('f', 1_000, failing)])).rejects.toThrow(
      'down',
    );
    expect(loads).toBe(2);
    await expect(c.getOrLoad('f', 1_000, async () => 'up')).resolves.toBe('up');
    await expect(c.getOrLoad('f', 1_000, failing)).resolves.toBe('up');
  });

  it('bounds the total size in bytes: least recently used out, a value over the whole budget not cached', () => {
    const c = new TtlCache<string>(new ManualClock(), 1_000, 100, (k, v) => k.length + v.length);
    c.set('a', 'x'.repeat(40), 1_000);
    c.set('b', 'x'.repeat(40), 1_000);
    expect(c.bytes).toBe(82);
    expect(c.get('a')).toBeDefined(); // a is now the most recently used
    c.set('c', 'x'.repeat(40), 1_000);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.bytes).toBe(82);
    c.set('huge', 'x'.repeat(200), 1_000);
    expect(c.get('huge')).toBeUndefined();
    expect(c.bytes).toBeLessThanOrEqual(100);
  });
});
