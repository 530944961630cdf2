/** Layout of the local state directory: `<stateDir>/<taskId>/rocksdb/<store>` plus `<stateDir>/<taskId>/.checkpoint`. */
import { join } from 'node:path';
import { assertPathSegment } from './store-errors.js';

/** Sub-directory of a task directory that holds its RocksDB stores. */
export const STORES_SUBDIR = 'rocksdb';

/** `<stateDir>/<taskId>`: a task's state directory (its stores and its checkpoint file). */
export function taskDirectory(stateDir: string, taskId: string): string {
  assertPathSegment('task id', taskId);
  return join(stateDir, taskId);
}

/** `<stateDir>/<taskId>/rocksdb/<store>`: the RocksDB directory of one store of one task. */
export function storeDirectory(stateDir: string, taskId: string, storeName: string): string {
  assertPathSegment('store name', storeName);
  return join(taskDirectory(stateDir, taskId), STORES_SUBDIR, storeName);
}
