import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde } from './store.js';
import { expectStoreBasics } from '../testing/store-checks.js';

describe('InMemoryKeyValueStore', () => {
  it('gets, puts, deletes and scans ranges in UTF-8 byte order', async () => {
    const s = new InMemoryKeyValueStore<number>('s');
    await expectStoreBasics(s);
    expect(s.approximateCount()).toBe(4);
  });

  it('round-trips values through the JSON serde', () => {
    const serde = jsonSerde<{ n: number }>();
    expect(serde.deserialize(serde.serialize({ n: 1 }))).toEqual({ n: 1 });
  });
});
