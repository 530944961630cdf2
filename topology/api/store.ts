/**
 * State store contracts. A task owns its stores; processors reach them through `context.getStateStore(name)`.
 * Keys are strings ordered bytewise by their UTF-8 encoding (so range scans match RocksDB's default order);
 * values go through a `Serde`. Implementations: in-memory (tests, test driver) and RocksDB (the only file that
 * imports the binding), each optionally wrapped by a change-logging store that writes every change to the
 * store's compacted changelog topic inside the task's transaction.
 */
import { SortedKeys } from './sorted-keys.js';
import type { RawRecord } from './record.js';

export interface Serde<V> {
  serialize(value: V): Buffer;
  deserialize(bytes: Buffer): V;
}

/** JSON values as UTF-8. */
export function jsonSerde<V>(): Serde<V> {
  return {
    serialize: (v) => Buffer.from(JSON.stringify(v)),
    deserialize: (b) => JSON.parse(b.toString('utf8')) as V,
  };
}

export const stringSerde: Serde<string> = {
  serialize: (v) => Buffer.from(v, 'utf8'),
  deserialize: (b) => b.toString('utf8'),
};

export const bufferSerde: Serde<Buffer> = { serialize: (v) => v, deserialize: (b) => b };

export interface KeyValueStore<V> {
  readonly name: string;
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries with `from <= key < to` in key order. Must see the caller's own earlier writes. */
  range(from: string, to: string): AsyncIterable<[string, V]>;
  /** Every entry in key order. */
  all(): AsyncIterable<[string, V]>;
  /** Number of keys (exact for in-memory, estimated for RocksDB); feeds store size metrics. */
  approximateCount(): number;
  /** Makes buffered writes durable locally (called before a commit). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Receives every change of a change-logged store; the runtime turns it into a changelog record in the task's transaction. */
export interface ChangeLogger {
  log(store: string, key: string, value: Buffer | null): void;
}

export interface StoreSpec<V = unknown> {
  readonly name: string;
  readonly serde: Serde<V>;
  /** Back the store by a compacted changelog topic (default true). */
  readonly changelog?: boolean;
  /**
   * An existing compacted topic to use as the changelog instead of the internal `<applicationId>-<store>-changelog`
   * (created by the app). It must exist with the partition count of the store's sub-topology; the runtime writes
   * it (partition = task's) and restores from it like any changelog. Lets a topic of the product contract be the
   * durable copy of a store without a second topic holding the same data.
   */
  readonly changelogTopic?: string;
  /** `rocksdb` (default in the Kafka runtime) or `memory`. The test driver always uses memory. */
  readonly kind?: 'rocksdb' | 'memory';
  /**
   * Read-ahead: before each batch of fetched records the runtime warms the keys those records will read in this
   * store with one batched read (stores that can prefetch, i.e. RocksDB), instead of one read per record that misses
   * the cache. `true`: the store is keyed by the input records' keys (a profile store read once per event, say). A
   * function: the key a raw input record will read (undefined: none), for a store keyed by something else — a
   * counter keyed by the record's value: `(r) => r.value?.toString('utf8')`. It runs on raw records (before
   * deserialization) of every input topic of the task; a throw reads nothing ahead for that record. Reads stay exact whatever it returns;
   * only a cache is filled.
   */
  readonly prefetchInputKeys?: boolean | ((record: RawRecord) => string | undefined);
  /**
   * Log each changed key once per commit (its latest value) instead of once per write, like Kafka Streams' caching
   * stores: for a store written many times per commit under few keys (counters). The changes reach the changelog
   * when the task prepares its commit (`StreamTask.prepareCommit`), in the same transaction as the outputs of the
   * records that made them; the store itself is up to date at once.
   */
  readonly coalesceChangelog?: boolean;
}

/** A store holding changes for its changelog until the task's commit (`StoreSpec.coalesceChangelog`). */
export interface PendingChanges {
  /** Hands every key changed since the last call, once, with its latest value, to the changelog. Synchronous. */
  logPending(): void;
}

export function hasPendingChanges(x: unknown): x is PendingChanges {
  return typeof (x as Partial<PendingChanges> | null)?.logPending === 'function';
}

/** A store that can warm its read cache for keys about to be read. */
export interface Prefetchable {
  prefetch(keys: Iterable<string>): Promise<void>;
}

export function canPrefetch(x: unknown): x is Prefetchable {
  return typeof (x as Partial<Prefetchable> | null)?.prefetch === 'function';
}

/**
 * In-memory store: a Map for lookups, keys kept in UTF-8 order for range scans (see sorted-keys.ts) from the first
 * scan on. A store only ever read by key (most stores of a simulation) never pays for keeping its keys in order.
 */
/**
 * Shared settled promises of the in-memory store: a write or a missed read has nothing of its own to hand back, and
 * a settled promise can be awaited by any number of callers (one allocation less per call of every processor).
 */
const WRITTEN: Promise<void> = Promise.resolve();
const MISSING: Promise<undefined> = Promise.resolve(undefined);

export class InMemoryKeyValueStore<V> implements KeyValueStore<V> {
  private readonly map = new Map<string, V>();
  /**
   * Undefined until the first `range` or `all` of a non-empty store (processors scan their stores at init, when
   * they are empty in a simulation); from then on kept in step with every put and delete.
   */
  private sorted: SortedKeys | undefined;

  constructor(readonly name: string) {}

  get(key: string): Promise<V | undefined> {
    const v = this.map.get(key);
    return v === undefined ? MISSING : Promise.resolve(v);
  }

  put(key: string, value: V): Promise<void> {
    if (this.sorted !== undefined && !this.map.has(key)) this.sorted.add(key);
    this.map.set(key, value);
    return WRITTEN;
  }

  delete(key: string): Promise<void> {
    if (this.map.delete(key)) this.sorted?.delete(key);
    return WRITTEN;
  }

  private order(): SortedKeys {
    return (this.sorted ??= SortedKeys.of(this.map.keys()));
  }

  async *range(from: string, to: string): AsyncIterable<[string, V]> {
    if (this.map.size === 0) return;
    for (const k of this.order().range(from, to)) {
      const v = this.map.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  async *all(): AsyncIterable<[string, V]> {
    if (this.map.size === 0) return;
    for (const k of this.order().range('')) {
      const v = this.map.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  approximateCount(): number {
    return this.map.size;
  }

  flush(): Promise<void> {
    return WRITTEN;
  }

  close(): Promise<void> {
    return WRITTEN;
  }
}
