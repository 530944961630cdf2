import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde, type StoreSpec } from '../api/store.js';
import type { RawRecord } from '../api/record.js';
import { InputPrefetch } from './input-prefetch.js';

/** An in-memory store that can prefetch: it records the key sets it was asked to warm. */
class WarmingStore extends InMemoryKeyValueStore<unknown> {
  readonly asked: string[][] = [];
  prefetch(keys: Iterable<string>): Promise<void> {
    this.asked.push([...keys]);
    return Promise.resolve();
  }
}

const raw = (key: string | null, value: string | null, offset: number): RawRecord => ({
  topic: 'in',
  partition: 0,
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 0,
  headers: {},
});

const spec = (name: string, prefetchInputKeys?: StoreSpec['prefetchInputKeys']): StoreSpec => ({
  name,
  serde: jsonSerde<unknown>(),
  ...(prefetchInputKeys === undefined ? {} : { prefetchInputKeys }),
});

describe('InputPrefetch', () => {
  const batch = [raw('k1', 'apple', 0), raw('k2', 'pear', 1), raw(null, 'apple', 2), raw('k1', null, 3)];

  it("warms each asking store with the keys the batch will read, in order (the store skips repeats): the records' keys, or the function's", async () => {
    const byKey = new WarmingStore('by-key');
    const byValue = new WarmingStore('by-value');
    const silent = new WarmingStore('silent');
    const off = new WarmingStore('off');
    const stores = new Map([byKey, byValue, silent, off].map((s) => [s.name, s]));
    const specs = [
      spec('by-key', true),
      spec('by-value', (r) => r.value?.toString('utf8')),
      spec('silent'),
      spec('off', false),
    ];
    const prefetch = InputPrefetch.of(specs, stores);
    await prefetch?.run(batch);
    expect(byKey.asked).toEqual([['k1', 'k2', 'k1']]);
    expect(byValue.asked).toEqual([['apple', 'pear', 'apple']]);
    expect([silent.asked, off.asked]).toEqual([[], []]);
    await prefetch?.run([]);
    expect(byKey.asked).toHaveLength(1);
  });

  it('reads nothing ahead for a record whose key function throws; other records still are', async () => {
    const s = new WarmingStore('s');
    const prefetch = InputPrefetch.of(
      [
        spec('s', (r) => {
          if (r.value === null) throw new Error('no value');
          return r.value.toString('utf8');
        }),
      ],
      new Map([['s', s]]),
    );
    await prefetch?.run(batch);
    expect(s.asked).toEqual([['apple', 'pear', 'apple']]);
  });

  it('is absent when no store asks or none can prefetch', () => {
    const plain = new InMemoryKeyValueStore<unknown>('plain');
    expect(InputPrefetch.of([spec('plain', true)], new Map([['plain', plain]]))).toBeUndefined();
    expect(InputPrefetch.of([spec('s')], new Map([['s', new WarmingStore('s')]]))).toBeUndefined();
    expect(InputPrefetch.of([spec('gone', true)], new Map())).toBeUndefined();
  });
});
