/**
 * Checkpoints: which changelog offsets a task's local stores already contain.
 *
 * File `<taskDir>/.checkpoint`, JSON `{ "<changelogTopic>-<partition>": nextOffsetToRestore }`, written atomically
 * (temp file + fsync + rename) on a clean close only, and deleted as soon as it is read on open. So its presence
 * means "the stores were closed cleanly at exactly these offsets"; its absence after a run means the last stop was
 * unclean. Under exactly-once the local stores may then hold writes of an aborted transaction, so
 * `openTaskState()` wipes them and the task restores from the start of its changelogs (as Kafka Streams does).
 */
import { open, readFile, rename, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StateStoreError } from './store-errors.js';
import { STORES_SUBDIR } from './state-dir.js';

export const CHECKPOINT_FILE = '.checkpoint';

/** `{ "<topic>-<partition>": offset }`: offset of the next changelog record to restore. */
export type CheckpointOffsets = Readonly<Record<string, number>>;

export function checkpointKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Atomically replaces `<taskDir>/.checkpoint`. Call after the stores are flushed and the last commit succeeded. */
export async function writeCheckpoint(taskDir: string, offsets: CheckpointOffsets): Promise<void> {
  validate(offsets, 'refusing to write');
  const file = join(taskDir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(offsets));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await syncDir(taskDir);
}

/**
 * Reads and deletes `<taskDir>/.checkpoint`. Returns undefined when there is none. A file that is not a valid
 * checkpoint is deleted too and reported as `STORE_CHECKPOINT_INVALID`.
 */
export async function readCheckpoint(taskDir: string): Promise<CheckpointOffsets | undefined> {
  const file = join(taskDir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateStoreError('STORE_IO', `cannot read checkpoint ${file}`, err);
  }
  await rm(file, { force: true });
  await syncDir(taskDir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StateStoreError('STORE_CHECKPOINT_INVALID', `checkpoint ${file} is not JSON`, err);
  }
  validate(parsed, `checkpoint ${file} is invalid`);
  return parsed;
}

function validate(x: unknown, what: string): asserts x is CheckpointOffsets {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new StateStoreError('STORE_CHECKPOINT_INVALID', `${what}: not an object`);
  }
  for (const [k, v] of Object.entries(x)) {
    if (!/-\d+$/.test(k) || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new StateStoreError('STORE_CHECKPOINT_INVALID', `${what}: bad entry ${JSON.stringify(k)}: ${String(v)}`);
    }
  }
}

export interface TaskStateOnOpen {
  /** Where to start restoring each changelog partition; a partition absent here restores from the earliest offset. */
  readonly offsets: CheckpointOffsets;
  /**
   * `checkpoint`: clean close, restore only the tail. `fresh`: no local state. `unclean-wiped`: exactly-once and
   * stores without a checkpoint, wiped. `unclean-kept`: at-least-once, kept and replayed from the earliest offset
   * (changelog records are idempotent upserts). `invalid-checkpoint-wiped`: unreadable checkpoint, wiped.
   */
  readonly state: 'checkpoint' | 'fresh' | 'unclean-wiped' | 'unclean-kept' | 'invalid-checkpoint-wiped';
  /** The parse error of an invalid checkpoint, for the caller to log (it is not thrown). */
  readonly error?: StateStoreError;
}

/**
 * Called by the runtime when a task is created, BEFORE its stores are opened: consumes the checkpoint and
 * decides whether the local stores can be trusted.
 */
export async function openTaskState(taskDir: string, opts: { exactlyOnce: boolean }): Promise<TaskStateOnOpen> {
  let offsets: CheckpointOffsets | undefined;
  try {
    offsets = await readCheckpoint(taskDir);
  } catch (err) {
    if (!(err instanceof StateStoreError) || err.code !== 'STORE_CHECKPOINT_INVALID') throw err;
    await wipeTaskStores(taskDir);
    return { offsets: {}, state: 'invalid-checkpoint-wiped', error: err };
  }
  if (offsets) return { offsets, state: 'checkpoint' };
  if (!(await hasLocalStores(taskDir))) return { offsets: {}, state: 'fresh' };
  if (!opts.exactlyOnce) return { offsets: {}, state: 'unclean-kept' };
  await wipeTaskStores(taskDir);
  return { offsets: {}, state: 'unclean-wiped' };
}

/** True when `<taskDir>/rocksdb` holds at least one store directory. */
export async function hasLocalStores(taskDir: string): Promise<boolean> {
  try {
    return (await readdir(join(taskDir, STORES_SUBDIR))).length > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StateStoreError('STORE_IO', `cannot list ${taskDir}`, err);
  }
}

/** Deletes every local store of the task and its checkpoint. The stores must be closed. */
export async function wipeTaskStores(taskDir: string): Promise<void> {
  await rm(join(taskDir, STORES_SUBDIR), { recursive: true, force: true });
  await rm(join(taskDir, CHECKPOINT_FILE), { force: true });
}

/** Makes a rename/unlink durable; some file systems refuse to fsync a directory, which only weakens durability. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort by design: see the function comment.
  } finally {
    await fh?.close();
  }
}
