/**
 * Change-logging wrapper: every `put`/`delete` on the wrapped store is also handed to a `ChangeLogger`
 * (key, serialized value or null tombstone) — the runtime turns each call into a record of the store's compacted
 * changelog topic inside the task's transaction, so the store can be rebuilt from the changelog alone.
 *
 * The value is serialized once: the same bytes go to the changelog and (when the inner store accepts bytes, as
 * `RocksDbKeyValueStore` does) to the store. The change is logged only after the inner write succeeded.
 * Restores (`applyRestoreBatch`) go straight to the inner store and are never logged again.
 *
 * With `coalesce` (`StoreSpec.coalesceChangelog`), changes are held per key and logged by `logPending()` — once per
 * key, latest value — which the task calls when it prepares a commit.
 */
import { canPrefetch, type ChangeLogger, type KeyValueStore, type PendingChanges, type Serde } from '../api/store.js';
import { restoreTargetFor, type RawEntry, type RestoreTarget } from './restore-target.js';
import { rejectWith } from '../api/errors.js';
import { ByteSlabs } from '../kafka/byte-slabs.js';

/**
 * An inner store that can take already serialized values (skips a second serialization), buffered synchronously:
 * `bufferBytes` returns a flush to wait for, or undefined when the write is done (see `RocksDbKeyValueStore`).
 */
interface AcceptsBytes {
  bufferBytes(key: string, bytes: Buffer): Promise<void> | undefined;
}

function acceptsBytes(x: unknown): x is AcceptsBytes {
  return typeof (x as Partial<AcceptsBytes> | null)?.bufferBytes === 'function';
}

const DONE: Promise<void> = Promise.resolve();

export class ChangeLoggingKeyValueStore<V> implements KeyValueStore<V>, RestoreTarget, PendingChanges {
  readonly name: string;
  private readonly restoreTarget: RestoreTarget;
  /** Coalescing: key → latest serialized value (null: deleted) not logged yet. */
  private readonly pending: Map<string, Buffer | null> | undefined;
  private readonly bytesInner: AcceptsBytes | undefined;
  /** Where serialized values are copied once (see `put`). */
  private readonly slabs = new ByteSlabs();

  constructor(
    readonly inner: KeyValueStore<V>,
    private readonly serde: Serde<V>,
    private readonly logger: ChangeLogger,
    opts: { readonly coalesce?: boolean } = {},
  ) {
    this.name = inner.name;
    this.restoreTarget = restoreTargetFor(inner, serde);
    this.bytesInner = acceptsBytes(inner) ? inner : undefined;
    if (opts.coalesce) this.pending = new Map();
  }

  private log(key: string, bytes: Buffer | null): void {
    if (this.pending) this.pending.set(key, bytes);
    else this.logger.log(this.name, key, bytes);
  }

  logPending(): void {
    if (!this.pending || this.pending.size === 0) return;
    for (const [key, bytes] of this.pending) this.logger.log(this.name, key, bytes);
    this.pending.clear();
  }

  get(key: string): Promise<V | undefined> {
    return this.inner.get(key);
  }

  put(key: string, value: V): Promise<void> {
    try {
      // one copy out of Node's pool, shared by the store's buffered write and the changelog output (see ByteSlabs)
      const bytes = this.slabs.own(this.serde.serialize(value));
      if (!this.bytesInner) return this.inner.put(key, value).then(() => this.log(key, bytes));
      // buffered at once (the common case): logged now, no promise of our own
      const flushing = this.bytesInner.bufferBytes(key, bytes);
      if (flushing) return flushing.then(() => this.log(key, bytes));
      this.log(key, bytes);
      return DONE;
    } catch (err) {
      return rejectWith(err);
    }
  }

  /** Logs a tombstone even when the key is absent: the changelog must not depend on what the store held. */
  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
    this.log(key, null);
  }

  /** Warms the inner store's read cache when it has one (RocksDB); a no-op otherwise. */
  prefetch(keys: Iterable<string>): Promise<void> {
    return canPrefetch(this.inner) ? this.inner.prefetch(keys) : Promise.resolve();
  }

  range(from: string, to: string): AsyncIterable<[string, V]> {
    return this.inner.range(from, to);
  }

  all(): AsyncIterable<[string, V]> {
    return this.inner.all();
  }

  approximateCount(): number {
    return this.inner.approximateCount();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  applyRestoreBatch(entries: readonly RawEntry[]): Promise<void> {
    return this.restoreTarget.applyRestoreBatch(entries);
  }

  async endRestore(): Promise<void> {
    await this.restoreTarget.endRestore?.();
  }
}

/** A `ChangeLogger` that keeps changes in memory in call order until `drain()` (handy for a task's commit). */
export class ChangeBuffer implements ChangeLogger {
  private changes: Array<{ store: string; key: string; value: Buffer | null }> = [];

  log(store: string, key: string, value: Buffer | null): void {
    this.changes.push({ store, key, value });
  }

  get size(): number {
    return this.changes.length;
  }

  /** Returns every change logged since the last drain, oldest first, and forgets them. */
  drain(): Array<{ store: string; key: string; value: Buffer | null }> {
    const out = this.changes;
    this.changes = [];
    return out;
  }
}
