/**
 * Read-ahead for a task's stores: before a batch of input records is processed, each store whose spec asks for it
 * (`StoreSpec.prefetchInputKeys`) warms its read cache for the keys those records will read, with ONE batched read
 * for the keys it does not hold yet. A single RocksDB read that misses the cache costs a thread-pool round trip
 * (measured ~35 µs of CPU) against a few µs per key in a batched read.
 */
import type { RawRecord } from '../api/record.js';
import { canPrefetch, type KeyValueStore, type Prefetchable, type StoreSpec } from '../api/store.js';

/** The store key an input record will read (undefined: none). */
type KeyOf = (record: RawRecord) => string | undefined;

/** The record's own key, as UTF-8 (`prefetchInputKeys: true`). */
const recordKey: KeyOf = (r) => (r.key === null ? undefined : r.key.toString('utf8'));

export class InputPrefetch {
  private constructor(private readonly stores: ReadonlyArray<{ store: Prefetchable; keyOf: KeyOf }>) {}

  /** The read-ahead of a task's stores; undefined when none of them asks for it (or can prefetch). */
  static of(
    specs: readonly StoreSpec[],
    stores: ReadonlyMap<string, KeyValueStore<unknown>>,
  ): InputPrefetch | undefined {
    const list: Array<{ store: Prefetchable; keyOf: KeyOf }> = [];
    for (const spec of specs) {
      const ask = spec.prefetchInputKeys;
      const store = stores.get(spec.name);
      if (ask === undefined || ask === false || !canPrefetch(store)) continue;
      list.push({ store, keyOf: ask === true ? recordKey : ask });
    }
    return list.length > 0 ? new InputPrefetch(list) : undefined;
  }

  /** Warms every asking store for the keys `batch` will read. */
  async run(batch: readonly RawRecord[]): Promise<void> {
    if (batch.length === 0) return;
    await Promise.all(
      this.stores.map(({ store, keyOf }) => {
        // repeated keys are fine (the store skips what it holds): no set per batch
        const keys: string[] = [];
        for (const r of batch) {
          const k = keyOfSafely(keyOf, r);
          if (k !== undefined) keys.push(k);
        }
        return store.prefetch(keys);
      }),
    );
  }
}

/** A read-ahead function that throws reads nothing ahead for that record (the record itself is processed as usual). */
function keyOfSafely(keyOf: KeyOf, r: RawRecord): string | undefined {
  try {
    return keyOf(r);
  } catch {
    return undefined;
  }
}
