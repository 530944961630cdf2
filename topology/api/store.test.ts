import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde } from './store.js';
import { expectStoreBasics } from '../testing/store-checks.js';

describe('InMemoryKeyValueStore', () => {
  it('gets, puts, deletes and scans ranges in UTF-8 byte order', async () => {
    const s = new InMemoryKeyValueStore<number>('s');
    await expectStoreBasics(s);
    expect(s.approximateCount()).toBe(4);
  });

  it('orders keys filled before the first scan, and keeps them in order through later puts and deletes', async () => {
    const s = new InMemoryKeyValueStore<number>('s');
    const keys = Array.from({ length: 3_000 }, (_, i) => `k${(i * 7_919) % 3_000}`);
    for (const k of keys) await s.put(k, 1);
    const scan = async (from: string, to: string) => {
      const out: string[] = [];
      for await (const [k] of s.range(from, to)) out.push(k);
      return out;
    };
    const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    expect(await scan('k1', 'k2')).toEqual(keys.filter((k) => k >= 'k1' && k < 'k2').sort(bytewise));
    await s.delete('k10');
    await s.put('k1a', 2);
    await s.put('k11', 3);
    const all: string[] = [];
    for await (const [k] of s.all()) all.push(k);
    expect(all).toEqual([...keys.filter((k) => k !== 'k10'), 'k1a'].sort(bytewise));
  });

  it('round-trips values through the JSON serde', () => {
    const serde = jsonSerde<{ n: number }>();
    expect(serde.deserialize(serde.serialize({ n: 1 }))).toEqual({ n: 1 });
  });
});
