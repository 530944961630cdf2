import { describe, expect, it } from 'vitest';
import { SortedKeys, utf8Compare } from './sorted-keys.js';

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A deterministic generator (mulberry32), so a failure shows the same keys again. */
function random(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', 'z', 'A', '0', '|', 'é', '\u00ff', '\u4e2d', '\ue000', '\uffff', '😀', '\u{10000}'];

function key(rnd: () => number): string {
  let s = '';
  for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}

describe('utf8Compare', () => {
  it('orders like the UTF-8 bytes, surrogate pairs after U+E000..U+FFFF', () => {
    const rnd = random(7);
    const pairs = Array.from({ length: 5_000 }, () => [key(rnd), key(rnd)] as const);
    const wrong = pairs.filter(([a, b]) => Math.sign(utf8Compare(a, b)) !== Math.sign(bytewise(a, b)));
    expect(wrong).toEqual([]);
    expect(utf8Compare('\uffff', '😀')).toBe(-1);
    expect(utf8Compare('ab', 'a')).toBe(1);
  });
});

describe('SortedKeys', () => {
  it('keeps thousands of keys in order through adds and deletes, across chunk splits', () => {
    const rnd = random(42);
    const keys = new SortedKeys();
    const ref = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const k = `${String(Math.floor(rnd() * 1e6)).padStart(7, '0')}|${key(rnd)}`;
      if (ref.has(k) || rnd() < 0.3) {
        keys.delete(k);
        ref.delete(k);
      } else {
        keys.add(k);
        ref.add(k);
      }
    }
    const all = [...ref].sort(bytewise);
    expect([...keys.range('')]).toEqual(all);
    const from = all[100] ?? '';
    const to = all[1_500] ?? '';
    expect([...keys.range(from, to)]).toEqual(all.slice(100, 1_500));
    expect([...keys.range('x')]).toEqual([]);
  });

  it('a scan sees what is added ahead of it and not what is deleted ahead of it', () => {
    const keys = new SortedKeys();
    for (const k of ['b', 'd', 'f']) keys.add(k);
    const seen: string[] = [];
    for (const k of keys.range('a')) {
      seen.push(k);
      if (k === 'b') {
        keys.delete('b');
        keys.add('c');
        keys.delete('f');
        keys.add('a');
      }
    }
    expect(seen).toEqual(['b', 'c', 'd']);
  });

  it('sorts keys given at once like keys added one by one, then takes adds and deletes across its chunks', () => {
    const rnd = random(9);
    const given = [...new Set(Array.from({ length: 3_000 }, () => key(rnd)))];
    const keys = SortedKeys.of(given);
    expect([...keys.range('')]).toEqual([...given].sort(bytewise));
    const more = [...new Set(Array.from({ length: 2_000 }, () => `${key(rnd)}+`))].filter((k) => !given.includes(k));
    for (const k of more) keys.add(k);
    for (const k of given.slice(0, 1_000)) keys.delete(k);
    expect([...keys.range('')]).toEqual([...given.slice(1_000), ...more].sort(bytewise));
  });

  it('deleting a key that is not there changes nothing', () => {
    const keys = new SortedKeys();
    keys.delete('x');
    keys.add('m');
    keys.delete('a');
    expect([...keys.range('')]).toEqual(['m']);
  });
});
