import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde } from './store.js';

async function collect<V>(it: AsyncIterable<[string, V]>): Promise<Array<[string, V]>> {
  const out: Array<[string, V]> = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('InMemoryKeyValueStore', () => {
  it('gets, puts, deletes and scans ranges in UTF-8 byte order', async () => {
    const s = new InMemoryKeyValueStore<number>('s');
    for (const [k, v] of [
      ['b', 2],
      ['a', 1],
      ['é', 5],
      ['c', 3],
      ['Z', 0],
    ] as const)
      await s.put(k, v);
    expect(await s.get('a')).toBe(1);
    await s.delete('c');
    expect(await s.get('c')).toBeUndefined();
    expect(await collect(s.range('a', 'z'))).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect((await collect(s.all())).map(([k]) => k)).toEqual(['Z', 'a', 'b', 'é']);
    expect(s.approximateCount()).toBe(4);
  });

  it('round-trips values through the JSON serde', () => {
    const serde = jsonSerde<{ n: number }>();
    expect(serde.deserialize(serde.serialize({ n: 1 }))).toEqual({ n: 1 });
  });
});
