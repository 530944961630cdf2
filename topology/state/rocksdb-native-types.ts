/**
 * Types for the slice of the untyped `rocksdb-native` 3.x API that rocksdb-store.ts (the only file importing the
 * binding) uses.
 */
export interface NativeWriteBatch {
  tryPut(key: Buffer, value: Buffer): void;
  tryDelete(key: Buffer): void;
  flush(): Promise<void>;
  destroy(): void;
}
export interface NativeReadBatch {
  get(key: Buffer): Promise<Buffer | null>;
  flush(): Promise<void>;
}
export interface NativeIterator extends AsyncIterable<{ key: Buffer; value: Buffer }> {
  destroy(): void;
}
export interface NativeDb {
  ready(): Promise<void>;
  close(): Promise<void>;
  get(key: Buffer): Promise<Buffer | null>;
  write(opts?: { capacity?: number }): NativeWriteBatch;
  read(opts: { capacity: number; autoDestroy: boolean }): NativeReadBatch;
  iterator(range: { gte?: Buffer; lt?: Buffer }, opts?: { capacity?: number; values?: boolean }): NativeIterator;
}
/** Options go to both the DB and its default column family (memtables, block cache). */
export type NativeCtor = new (path: string, opts: Record<string, number | boolean>) => NativeDb;
