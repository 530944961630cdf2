import { expect } from 'vitest';
import type { KeyValueStore } from '../api/store.js';

/** Every entry an async iterable (a store's range or all) yields, in order. */
export async function collect<V>(it: AsyncIterable<[string, V]>): Promise<Array<[string, V]>> {
  const out: Array<[string, V]> = [];
  for await (const e of it) out.push(e);
  return out;
}

/**
 * The behaviour every key-value store shares: it gets, puts, deletes, and scans ranges in UTF-8 byte order
 * ('Z' before 'a', 'é' after 'b'). Leaves the store holding Z=0, a=1, b=2, é=5.
 */
export async function expectStoreBasics(s: KeyValueStore<number>): Promise<void> {
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
}
