/**
 * RocksDB-backed `KeyValueStore` (the binding itself is used only through rocksdb-db.ts).
 *
 * One RocksDB directory per (task, store) — see `storeDirectory()`. Writes go to an in-process write buffer that
 * is written to RocksDB as one atomic write batch on `flush()` (the runtime calls it before every commit) or when
 * the buffer grows past `writeBufferEntries`. Reads look at the write buffer, then a bounded LRU cache of
 * serialized values (hits and misses), then RocksDB. Values are cached as bytes and deserialized on every `get`
 * (a caller mutating a returned object never changes what the store holds).
 */
import type { KeyValueStore, Serde } from '../api/store.js';
import type { RawEntry, RestoreTarget } from './restore-target.js';
import { StateStoreError } from './store-errors.js';
import { rejectWith } from '../api/errors.js';
import { ByteLru } from './byte-lru.js';
import { ByteSlabs } from '../kafka/byte-slabs.js';
import type { NativeDb, NativeIterator } from './rocksdb-native-types.js';
import {
  type RocksDbStoreOptions,
  USER_KEYS_END,
  countKeys,
  diskGetMany,
  openRocksDb,
  scanEntries,
  writeBatch,
} from './rocksdb-db.js';

/** Opens (creating if needed) a RocksDB store. Exactly one open store per directory at a time. */
export async function openRocksDbStore<V>(opts: RocksDbStoreOptions<V>): Promise<RocksDbKeyValueStore<V>> {
  const { db, count } = await openRocksDb(opts);
  return new RocksDbKeyValueStore(opts, db, count);
}

/** See the file comment. Create with `openRocksDbStore()`. */
export class RocksDbKeyValueStore<V> implements KeyValueStore<V>, RestoreTarget {
  readonly name: string;
  private readonly serde: Serde<V>;
  private readonly bufferLimit: number;
  /** Writes not yet handed to RocksDB; null = delete. */
  private pending = new Map<string, Buffer | null>();
  /** The batch being written right now (reads must still see it). */
  private writing: Map<string, Buffer | null> | null = null;
  private writeDone: Promise<void> = Promise.resolve();
  /** Bounded LRU of serialized values; null = known absent. */
  private readonly cache: ByteLru;
  private readonly slabs = new ByteSlabs(); // buffered values, copied out of Node's pool (each pinned a slab of it)
  /** Disk reads in flight; a write to the key marks its read stale so the old value is not cached. */
  private readonly reads = new Map<string, { stale: boolean; promise: Promise<Buffer | null> }>();
  private readonly iterators = new Set<NativeIterator>();
  /** Keys on disk as of the last write batch (kept exact: see `commitBatch`). */
  private count: number;
  /** For keys in `pending`: whether they existed before their first buffered write, when known without a read. */
  private prior = new Map<string, boolean>();
  /**
   * What the store held before its uncommitted writes, per commit epoch (oldest first; the last is the open one):
   * key → bytes before the epoch's first write to it (null: absent), or undefined while not known without a read —
   * then the key's write is still buffered and the next `commitBatch` reads it from disk. See `rollback`.
   */
  private undo: Array<Map<string, Buffer | null | undefined>> = [new Map<string, Buffer | null | undefined>()];
  /** Restore batches were applied since the last count: see `applyRestoreBatch`. */
  private restoring = false;
  private recounting: Promise<void> | null = null;
  private closed = false;

  /** @internal use `openRocksDbStore()`. */
  constructor(
    opts: RocksDbStoreOptions<V>,
    private readonly db: NativeDb,
    count: number,
  ) {
    this.count = count;
    this.name = opts.name;
    this.serde = opts.serde;
    this.cache = new ByteLru(opts.cachePool ?? opts.cacheBytes ?? 16 * 1024 * 1024);
    this.bufferLimit = opts.writeBufferEntries ?? 10_000;
  }

  /** Buffered or cached (the common case): one resolved promise, not two async functions' worth. */
  get(key: string): Promise<V | undefined> {
    try {
      this.assertOpen();
      const local = this.local(key);
      if (local !== undefined) return Promise.resolve(local === null ? undefined : this.serde.deserialize(local));
    } catch (err) {
      return rejectWith(err);
    }
    return this.readThrough(key).then((b) => (b === null ? undefined : this.serde.deserialize(b)));
  }

  /** The serialized value of `key`, or null. */
  async getBytes(key: string): Promise<Buffer | null> {
    this.assertOpen();
    // null is an answer (a buffered delete, or a cached miss): only undefined means "ask RocksDB".
    const local = this.local(key);
    return local !== undefined ? local : this.readThrough(key);
  }

  /** From the write buffer (values are Buffer or null, never undefined) or the cache; undefined: ask RocksDB. */
  private local(key: string): Buffer | null | undefined {
    const buffered = this.pending.get(key);
    if (buffered !== undefined) return buffered;
    const writing = this.writing?.get(key);
    if (writing !== undefined) return writing;
    return this.cache.get(key);
  }

  /**
   * Values of many keys with ONE batched RocksDB read for those not buffered or cached — much cheaper than one
   * `get` each (a single read costs a thread-pool round trip). Results are cached like `get`'s.
   */
  async getMany(keys: readonly string[]): Promise<Array<V | undefined>> {
    const found = await this.fetchMany(keys);
    return keys.map((k) => {
      const b = found.get(k);
      return b === null || b === undefined ? undefined : this.serde.deserialize(b);
    });
  }

  /** Warms the cache for keys about to be read (a fetched batch's; may repeat): one batched read of those not held. */
  async prefetch(keys: Iterable<string>): Promise<void> {
    this.assertOpen();
    let missing: Set<string> | undefined;
    for (const k of keys) if (!this.holds(k) && !this.reads.has(k)) (missing ??= new Set()).add(k);
    if (missing) await this.fetchMany([...missing]);
  }

  /** Whether a read of `key` is answered without RocksDB; unlike `local`, it does not touch the cache's recency. */
  private holds(key: string): boolean {
    return this.pending.has(key) || this.writing?.has(key) === true || this.cache.has(key);
  }

  private async fetchMany(keys: readonly string[]): Promise<Map<string, Buffer | null>> {
    this.assertOpen();
    const found = new Map<string, Buffer | null>();
    const missing = new Set<string>();
    for (const k of keys) {
      if (found.has(k)) continue;
      const v = this.local(k);
      if (v !== undefined) found.set(k, v);
      else if (!this.reads.has(k)) missing.add(k);
    }
    if (missing.size > 0) {
      const list = [...missing];
      const all = diskGetMany(this.db, this.name, list);
      const reads = list.map((k, i) => {
        const read = { stale: false, promise: all.then((values) => values[i] ?? null) };
        read.promise.catch(() => undefined); // awaited through `all` below and by any concurrent `get`
        this.reads.set(k, read);
        return read;
      });
      try {
        const values = await all;
        list.forEach((k, i) => {
          const value = values[i] ?? null;
          found.set(k, value);
          if (reads[i]?.stale === false) this.cache.set(k, value);
        });
      } finally {
        list.forEach((k, i) => {
          if (this.reads.get(k) === reads[i]) this.reads.delete(k);
        });
      }
    }
    for (const k of keys) if (!found.has(k)) found.set(k, await this.getBytes(k));
    return found;
  }

  private async readThrough(key: string): Promise<Buffer | null> {
    const inFlight = this.reads.get(key);
    if (inFlight) return inFlight.promise;
    const read = { stale: false, promise: this.db.get(Buffer.from(key, 'utf8')) };
    this.reads.set(key, read);
    try {
      const value = await read.promise;
      if (!read.stale) this.cache.set(key, value);
      return value;
    } catch (err) {
      throw new StateStoreError('STORE_IO', `RocksDB read failed in store ${this.name}`, err);
    } finally {
      if (this.reads.get(key) === read) this.reads.delete(key);
    }
  }

  async put(key: string, value: V): Promise<void> {
    await this.bufferBytes(key, this.serde.serialize(value));
  }

  /**
   * Writes an already serialized value (the change-logging wrapper serializes once), buffered synchronously (throws
   * if the store is closed); returns the flush it started when the buffer is full, else undefined.
   */
  bufferBytes(key: string, bytes: Buffer): Promise<void> | undefined {
    this.assertOpen();
    this.buffer(key, bytes);
    return this.pending.size >= this.bufferLimit ? this.flush() : undefined;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.buffer(key, null);
    if (this.pending.size >= this.bufferLimit) await this.flush();
  }

  private buffer(key: string, bytes: Buffer | null): void {
    const read = this.reads.get(key);
    if (read) {
      read.stale = true;
      this.reads.delete(key);
    }
    const epoch = this.undo[this.undo.length - 1];
    // What a read of `key` would return before this write, when known without a disk read (undefined: not known):
    // the buffer, else the batch in flight, else the cache. Values are Buffer or null, never undefined, so one lookup
    // per map says whether and what it holds (this is every put's path). Unbuffered, it also says whether the key
    // exists once the batch in flight lands (`prior`, for the key count).
    const buffered = this.pending.get(key);
    if (buffered === undefined) {
      const inFlight = this.writing?.get(key);
      const before = inFlight !== undefined ? inFlight : this.cache.peek(key);
      if (before !== undefined) this.prior.set(key, before !== null);
      if (epoch && !epoch.has(key)) epoch.set(key, before);
    } else if (epoch && !epoch.has(key)) epoch.set(key, buffered);
    this.pending.set(key, bytes === null ? null : this.slabs.own(bytes));
    this.cache.set(key, bytes);
  }

  /**
   * Applies changelog records (null = tombstone) during restore: one write batch, bypassing the read cache.
   * Restore batches skip the per-key existence reads of `flush()` (they cost a third of restore speed): the stored
   * count is dropped (a crash mid-restore leaves a store that is recounted on open) and `endRestore()` recounts.
   */
  async applyRestoreBatch(entries: readonly RawEntry[]): Promise<void> {
    this.assertOpen();
    await this.flush();
    const last = new Map(entries);
    for (const key of last.keys()) this.cache.delete(key);
    this.restoring = true;
    await writeBatch(this.db, this.name, last, null);
  }

  /** Recounts the keys after restore batches (one key-only scan) and stores the count. */
  endRestore(): Promise<void> {
    this.assertOpen();
    if (!this.restoring) return Promise.resolve();
    // Shared by concurrent callers, so one count is computed and stored.
    this.recounting ??= (async () => {
      const count = await countKeys(this.db);
      await writeBatch(this.db, this.name, new Map(), count);
      this.count = count;
      this.restoring = false;
    })().finally(() => {
      this.recounting = null;
    });
    return this.recounting;
  }

  async *range(from: string, to: string): AsyncIterable<[string, V]> {
    const lo = Buffer.from(from, 'utf8');
    const hi = Buffer.from(to, 'utf8');
    if (Buffer.compare(lo, hi) >= 0) return;
    yield* this.scan({ gte: lo, lt: hi });
  }

  async *all(): AsyncIterable<[string, V]> {
    yield* this.scan({ lt: USER_KEYS_END });
  }

  /** Writes the buffer first so the scan sees the caller's own writes; the scan reads a consistent snapshot. */
  private async *scan(range: { gte?: Buffer; lt?: Buffer }): AsyncIterable<[string, V]> {
    this.assertOpen();
    await this.flush();
    yield* scanEntries(this.db, range, this.serde, this.iterators);
  }

  /** Exact number of keys as of the last `flush()` (writes still buffered are not counted yet). */
  approximateCount(): number {
    return this.count;
  }

  /** Writes the buffer as one atomic RocksDB write batch; concurrent calls queue, so batches land in call order. */
  async flush(): Promise<void> {
    this.assertOpen();
    if (this.restoring && this.pending.size > 0) await this.endRestore();
    // A loop, not one await: another caller may start a batch between our wake-up and our check.
    while (this.writing) await this.writeDone;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    const prior = this.prior;
    this.pending = new Map();
    this.prior = new Map();
    this.writing = batch;
    const done = this.commitBatch(batch, prior).finally(() => {
      this.writing = null;
    });
    this.writeDone = done.catch(() => undefined);
    try {
      await done;
    } catch (err) {
      // Keep the lost writes buffered (unless overwritten since) so a retry can still apply them.
      // What existed before is read from disk again at the next flush.
      for (const [k, v] of batch) if (!this.pending.has(k)) this.pending.set(k, v);
      this.prior.clear();
      throw err;
    }
  }

  /**
   * Writes `entries` plus the new key count in one atomic batch. The count stays exact: each key's previous
   * existence comes from `prior` when it was known at buffering time, else from one batched disk read.
   */
  private async commitBatch(entries: ReadonlyMap<string, Buffer | null>, prior: Map<string, boolean>): Promise<void> {
    const undoUnknown = (k: string) => this.undo.some((m) => m.has(k) && m.get(k) === undefined);
    const unknown = [...entries.keys()].filter((k) => !prior.has(k) || undoUnknown(k));
    if (unknown.length > 0) {
      const onDisk = await diskGetMany(this.db, this.name, unknown);
      unknown.forEach((k, i) => {
        const bytes = onDisk[i] ?? null;
        if (!prior.has(k)) prior.set(k, bytes !== null);
        // what this batch is about to overwrite is what the key held before its (still uncommitted) write
        for (const m of this.undo) if (m.has(k) && m.get(k) === undefined) m.set(k, bytes);
      });
    }
    let count = this.count;
    for (const [k, v] of entries) count += (v === null ? 0 : 1) - (prior.get(k) ? 1 : 0);
    await writeBatch(this.db, this.name, entries, count);
    this.count = count;
  }

  /**
   * A commit starts: writes from now on belong to the next commit. The runtime calls it synchronously when it takes
   * the outputs of a commit (their changelog records), so the boundary between two epochs is exact.
   */
  beginEpoch(): void {
    this.undo.push(new Map());
  }

  /** The oldest open commit succeeded: its writes are committed, what they overwrote is forgotten. */
  commitEpoch(): void {
    if (this.undo.length > 1) this.undo.shift();
    else this.undo = [new Map<string, Buffer | null | undefined>()];
  }

  /**
   * Undoes every write not covered by a successful commit (`commitEpoch`): buffered writes are dropped, written
   * ones are put back to what they overwrote, in one batch. Afterwards the store holds exactly what its committed
   * changelog holds, so a checkpoint at the last committed changelog offsets is true and a restart restores only
   * the tail instead of wiping the store (Kafka Streams wipes it). The oldest epoch decides for each key: a key
   * whose oldest entry is still unknown never reached the disk since, so the disk holds its committed value.
   */
  async rollback(): Promise<void> {
    this.assertOpen();
    while (this.writing) await this.writeDone;
    this.pending = new Map();
    this.prior = new Map();
    const back = new Map<string, Buffer | null>();
    const decided = new Set<string>();
    for (const m of this.undo)
      for (const [k, v] of m) {
        if (decided.has(k)) continue;
        decided.add(k);
        if (v !== undefined) back.set(k, v);
      }
    this.undo = [new Map<string, Buffer | null | undefined>()];
    this.cache.clear();
    if (back.size === 0) return;
    const keys = [...back.keys()];
    const onDisk = await diskGetMany(this.db, this.name, keys);
    let count = this.count;
    keys.forEach((k, i) => (count += (back.get(k) === null ? 0 : 1) - (onDisk[i] === null ? 0 : 1)));
    await writeBatch(this.db, this.name, back, count);
    this.count = count;
  }

  /**
   * Writes the buffer and closes RocksDB; open iterators are ended. Idempotent. RocksDB is closed (releasing its
   * directory lock) even when the final write fails; that error is then rethrown.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    let flushError: Error | undefined;
    try {
      await this.flush();
    } catch (err) {
      flushError =
        err instanceof Error ? err : new StateStoreError('STORE_IO', `final write of ${this.name} failed`, err);
    }
    this.closed = true;
    for (const it of this.iterators) it.destroy();
    this.iterators.clear();
    this.cache.clear();
    try {
      await this.db.close();
    } catch (err) {
      throw new StateStoreError('STORE_IO', `closing RocksDB store ${this.name} failed`, err);
    }
    if (flushError !== undefined) throw flushError;
  }

  private assertOpen(): void {
    if (this.closed) throw new StateStoreError('STORE_CLOSED', `store ${this.name} is closed`);
  }
}
