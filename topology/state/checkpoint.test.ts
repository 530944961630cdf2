import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonSerde } from '../api/store.js';
import { CHECKPOINT_FILE, checkpointKey, openTaskState, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { openRocksDbStore } from './rocksdb-store.js';
import { storeDirectory, taskDirectory } from './state-dir.js';
import { StateStoreError } from './store-errors.js';

let stateDir: string;
let taskDir: string;
const TASK = '0_3';

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'jo-checkpoint-'));
  taskDir = taskDirectory(stateDir, TASK);
  await mkdir(taskDir, { recursive: true });
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function storeWith(name: string, entries: Record<string, number>): Promise<void> {
  const s = await openRocksDbStore<number>({
    name,
    directory: storeDirectory(stateDir, TASK, name),
    serde: jsonSerde(),
  });
  for (const [k, v] of Object.entries(entries)) await s.put(k, v);
  await s.close();
}

async function storeContents(name: string): Promise<Record<string, number>> {
  const s = await openRocksDbStore<number>({
    name,
    directory: storeDirectory(stateDir, TASK, name),
    serde: jsonSerde(),
  });
  const out: Record<string, number> = {};
  for await (const [k, v] of s.all()) out[k] = v;
  await s.close();
  return out;
}

describe('checkpoint file', () => {
  it('round-trips offsets, replaces atomically, and is deleted by the read that consumes it', async () => {
    const key = checkpointKey('app-counts-changelog', 3);
    expect(key).toBe('app-counts-changelog-3');
    await writeCheckpoint(taskDir, { [key]: 10 });
    await writeCheckpoint(taskDir, { [key]: 42, 'app-other-changelog-3': 0 });
    expect(await readdir(taskDir)).toEqual([CHECKPOINT_FILE]);
    expect(await readCheckpoint(taskDir)).toEqual({ [key]: 42, 'app-other-changelog-3': 0 });
    expect(await readdir(taskDir)).toEqual([]);
    expect(await readCheckpoint(taskDir)).toBeUndefined();
  });

  it('refuses to write offsets that are not non-negative integers', async () => {
    await expect(writeCheckpoint(taskDir, { 't-0': -1 })).rejects.toMatchObject({ code: 'STORE_CHECKPOINT_INVALID' });
    await expect(writeCheckpoint(taskDir, { 't-0': 1.5 })).rejects.toBeInstanceOf(StateStoreError);
    await expect(writeCheckpoint(taskDir, { 'no-partition-suffix-x': 1 })).rejects.toBeInstanceOf(StateStoreError);
    expect(await readdir(taskDir)).toEqual([]);
  });
});

describe('openTaskState', () => {
  it('clean close: returns the checkpointed offsets and keeps the stores', async () => {
    await storeWith('counts', { a: 1, b: 2 });
    await writeCheckpoint(taskDir, { 'app-counts-changelog-3': 2 });
    const opened = await openTaskState(taskDir, { exactlyOnce: true });
    expect(opened).toEqual({ offsets: { 'app-counts-changelog-3': 2 }, state: 'checkpoint' });
    expect(await storeContents('counts')).toEqual({ a: 1, b: 2 });
  });

  it('a second open without a new clean close is treated as unclean: the checkpoint was consumed', async () => {
    await storeWith('counts', { a: 1 });
    await writeCheckpoint(taskDir, { 'app-counts-changelog-3': 1 });
    expect((await openTaskState(taskDir, { exactlyOnce: true })).state).toBe('checkpoint');
    // The process dies here (no writeCheckpoint on close) and comes back.
    const again = await openTaskState(taskDir, { exactlyOnce: true });
    expect(again).toEqual({ offsets: {}, state: 'unclean-wiped' });
    expect(await storeContents('counts')).toEqual({});
  });

  it('exactly-once: stores without a checkpoint are wiped, every store of the task', async () => {
    await storeWith('counts', { a: 1 });
    await storeWith('timers', { t: 9 });
    expect(await openTaskState(taskDir, { exactlyOnce: true })).toEqual({ offsets: {}, state: 'unclean-wiped' });
    expect(await readdir(taskDir)).toEqual([]);
    expect(await storeContents('counts')).toEqual({});
    expect(await storeContents('timers')).toEqual({});
  });

  it('at-least-once: stores without a checkpoint are kept and restored from the earliest offset', async () => {
    await storeWith('counts', { a: 1 });
    expect(await openTaskState(taskDir, { exactlyOnce: false })).toEqual({ offsets: {}, state: 'unclean-kept' });
    expect(await storeContents('counts')).toEqual({ a: 1 });
  });

  it('no local state: fresh, nothing to wipe', async () => {
    expect(await openTaskState(taskDir, { exactlyOnce: true })).toEqual({ offsets: {}, state: 'fresh' });
    const missing = taskDirectory(stateDir, 'never-created');
    expect(await openTaskState(missing, { exactlyOnce: true })).toEqual({ offsets: {}, state: 'fresh' });
  });

  it('an unreadable checkpoint wipes the stores and reports the error instead of throwing', async () => {
    await storeWith('counts', { a: 1 });
    await writeFile(join(taskDir, CHECKPOINT_FILE), '{"app-counts-changelog-3": 1');
    const opened = await openTaskState(taskDir, { exactlyOnce: false });
    expect(opened.state).toBe('invalid-checkpoint-wiped');
    expect(opened.offsets).toEqual({});
    expect(opened.error?.code).toBe('STORE_CHECKPOINT_INVALID');
    expect(await readdir(taskDir)).toEqual([]);
  });
});
