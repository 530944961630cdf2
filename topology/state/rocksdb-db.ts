/**
 * The RocksDB binding behind `RocksDbKeyValueStore`: the ONLY file in the repository that imports `rocksdb-native`.
 * Opening a database, the stored key count, batched reads and atomic write batches.
 */
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { StateStoreError } from './store-errors.js';
import type { NativeCtor, NativeDb, NativeIterator } from './rocksdb-native-types.js';
import type { Serde } from '../api/store.js';
import type { ByteLruPool } from './byte-lru.js';

const RocksDB = createRequire(import.meta.url)('rocksdb-native') as NativeCtor;

export interface RocksDbStoreOptions<V> {
  readonly name: string;
  /** The store's own directory (created if missing), normally `storeDirectory(stateDir, taskId, name)`. */
  readonly directory: string;
  readonly serde: Serde<V>;
  /** Bytes of serialized values (plus key overhead) kept in the read cache; default 16 MiB, 0 disables it. */
  readonly cacheBytes?: number;
  /** A read-cache budget shared with other stores (replaces `cacheBytes`): see `ByteLruPool`. */
  readonly cachePool?: ByteLruPool;
  /** Buffered writes that trigger an automatic write to RocksDB; default 10,000. */
  readonly writeBufferEntries?: number;
  /** RocksDB memtable size; default 8 MiB (×2 memtables), small because a process holds many stores. */
  readonly memtableBytes?: number;
  /** RocksDB's own block cache (32 MiB per store in rocksdb-native); default true. */
  readonly blockCache?: boolean;
}

export const SCAN_CAPACITY = 512;
/** Outside the key space: no UTF-8 string encodes to a 0xFF byte, so user keys and scans never meet these. */
export const USER_KEYS_END = Buffer.from([0xff]);
const COUNT_KEY = Buffer.from([0xff, 0x00, 0x63]);

/** Opens (creating if needed) the database in `opts.directory`; returns it with its stored key count. */
export async function openRocksDb(opts: RocksDbStoreOptions<unknown>): Promise<{ db: NativeDb; count: number }> {
  await mkdir(opts.directory, { recursive: true });
  const db = new RocksDB(opts.directory, {
    writeBufferSize: opts.memtableBytes ?? 8 * 1024 * 1024,
    maxWriteBufferNumber: 2,
    createIfMissing: true,
    blockCache: opts.blockCache ?? true,
    // Without a block cache RocksDB refuses to cache index/filter blocks in it; they stay in table readers.
    tableCacheIndexAndFilterBlocks: opts.blockCache ?? true,
  });
  try {
    await db.ready();
  } catch (err) {
    throw new StateStoreError('STORE_OPEN_FAILED', `cannot open RocksDB store ${opts.name} at ${opts.directory}`, err);
  }
  return { db, count: await readCount(db) };
}

/** The key count stored with every write batch; counted once by a key-only scan if missing (older stores). */
async function readCount(db: NativeDb): Promise<number> {
  const stored = await db.get(COUNT_KEY);
  const n = stored ? Number(stored.toString('latin1')) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : countKeys(db);
}

/** Counts the user keys (one key-only scan). */
export async function countKeys(db: NativeDb): Promise<number> {
  let count = 0;
  for await (const _ of db.iterator({ lt: USER_KEYS_END }, { capacity: SCAN_CAPACITY, values: false })) count++;
  return count;
}

/** Values of `keys` in one batched read (store `name` names errors). */
export async function diskGetMany(db: NativeDb, name: string, keys: readonly string[]): Promise<Array<Buffer | null>> {
  const batch = db.read({ capacity: keys.length, autoDestroy: true });
  const gets = keys.map((k) => batch.get(Buffer.from(k, 'utf8')));
  const flushed = batch.flush();
  const results = await Promise.allSettled(gets);
  await flushed.catch(() => undefined); // per-key outcomes below carry the error
  return results.map((r) => {
    if (r.status === 'fulfilled') return r.value;
    throw new StateStoreError('STORE_IO', `RocksDB read failed in store ${name}`, r.reason);
  });
}

/** Writes `entries` and the key count in one atomic batch; `count` null removes the stored count (no longer known). */
export async function writeBatch(
  db: NativeDb,
  name: string,
  entries: ReadonlyMap<string, Buffer | null>,
  count: number | null,
): Promise<void> {
  const w = db.write({ capacity: entries.size + 1 });
  try {
    if (count === null) w.tryDelete(COUNT_KEY);
    else w.tryPut(COUNT_KEY, Buffer.from(String(count), 'latin1'));
    for (const [k, v] of entries) {
      const key = Buffer.from(k, 'utf8');
      if (v === null) w.tryDelete(key);
      else w.tryPut(key, v);
    }
    await w.flush();
  } catch (err) {
    throw new StateStoreError('STORE_IO', `RocksDB write failed in store ${name}`, err);
  } finally {
    w.destroy();
  }
}

/**
 * The entries of `range` as [key, value], from one consistent snapshot; the iterator is in `open` while it runs
 * (the store's close ends open iterators).
 */
export async function* scanEntries<V>(
  db: NativeDb,
  range: { gte?: Buffer; lt?: Buffer },
  serde: Serde<V>,
  open: Set<NativeIterator>,
): AsyncIterable<[string, V]> {
  const it = db.iterator(range, { capacity: SCAN_CAPACITY });
  open.add(it);
  try {
    for await (const { key, value } of it) yield [key.toString('utf8'), serde.deserialize(value)];
  } finally {
    open.delete(it);
    it.destroy();
  }
}
