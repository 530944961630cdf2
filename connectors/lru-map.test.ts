import { describe, expect, it } from 'vitest';
import { LruMap } from './lru-map.js';

describe('LruMap', () => {
  it('keeps at most max entries, least recently used out first, never one `evictable` refuses', () => {
    const m = new LruMap<string, { open: boolean }>(3, (v) => !v.open);
    m.set('a', { open: true }).set('b', { open: false }).set('c', { open: false });
    m.get('b'); // refreshed: c is now the least recently used closed entry
    m.set('d', { open: false });
    expect(m.size).toBe(3);
    expect([m.peek('a'), m.peek('b'), m.peek('c'), m.peek('d')].map((v) => v !== undefined)).toEqual([
      true,
      true,
      false,
      true,
    ]);
    for (let i = 0; i < 10_000; i++) m.set(`k${i}`, { open: false });
    expect(m.size).toBe(3);
    expect(m.peek('a')).toEqual({ open: true });
  });
});
