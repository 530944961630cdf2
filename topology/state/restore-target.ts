/**
 * What a changelog restore writes into: raw changelog records (UTF-8 key, serialized value or null tombstone).
 * `RocksDbKeyValueStore` implements it natively (one write batch per fetched batch, no deserialization);
 * `serdeRestoreTarget()` adapts any other `KeyValueStore` (e.g. the in-memory one) through its serde.
 */
import type { KeyValueStore, Serde } from '../api/store.js';

/** `[key, serialized value]`, or `[key, null]` for a tombstone. */
export type RawEntry = readonly [string, Buffer | null];

export interface RestoreTarget {
  /** Applies the records in order (a later record for the same key wins). Called only while nothing else writes. */
  applyRestoreBatch(entries: readonly RawEntry[]): Promise<void>;
  /** Called once after the last batch of a restore (e.g. to recount keys). */
  endRestore?(): Promise<void>;
}

export function isRestoreTarget(x: unknown): x is RestoreTarget {
  return typeof (x as Partial<RestoreTarget> | null)?.applyRestoreBatch === 'function';
}

/** The store itself when it restores natively, else an adapter that deserializes each value and puts/deletes it. */
export function restoreTargetFor<V>(store: KeyValueStore<V>, serde: Serde<V>): RestoreTarget {
  if (isRestoreTarget(store)) return store;
  return {
    async applyRestoreBatch(entries) {
      for (const [key, bytes] of entries) {
        if (bytes === null) await store.delete(key);
        else await store.put(key, serde.deserialize(bytes));
      }
    },
  };
}
