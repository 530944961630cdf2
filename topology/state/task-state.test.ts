import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../api/clock.js';
import { createKafka } from '../kafka/kafka-client.js';
import { jsonSerde, type ChangeLogger, type KeyValueStore } from '../api/store.js';
import { TaskStateBackend, STORE_MEMORY_DEFAULTS } from './task-state.js';
import type { TaskStateHandle } from './state-backend.js';

let stateDir: string;
const handles: TaskStateHandle[] = [];

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'jo-task-state-'));
});
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close(true);
  await rm(stateDir, { recursive: true, force: true });
});

function backend(cacheBytes?: number): TaskStateBackend {
  return new TaskStateBackend({
    // Opening stores talks to no broker: only `restore` would.
    kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'task-state-test', logLevel: 'nothing' }),
    clock: new SystemClock(),
    restorer: () => Promise.reject(new Error('not restoring in this test')),
    stateDir,
    ...(cacheBytes === undefined ? {} : { storeMemory: { cacheBytes } }),
  });
}

const logger: ChangeLogger = { log: () => undefined };

async function openTask(b: TaskStateBackend, partition: number): Promise<TaskStateHandle> {
  const h = await b.openTask({
    applicationId: 'app',
    taskId: `1_${partition}`,
    partition,
    specs: ['instances', 'timers'].map((name) => ({ name, serde: jsonSerde<string>() })),
    logger,
    exactlyOnce: true,
  });
  handles.push(h);
  return h;
}

describe('TaskStateBackend memory', () => {
  it('gives every RocksDB store of every task one read cache, bounded by the configured total', async () => {
    const b = backend(256 * 1024);
    const tasks = [await openTask(b, 0), await openTask(b, 1)];
    const stores = tasks.flatMap((t) => [...t.stores.values()] as Array<KeyValueStore<string>>);
    expect(stores).toHaveLength(4);
    for (const [i, s] of stores.entries())
      for (let k = 0; k < 500; k++) await s.put(`k${k}`, `${i}:${'v'.repeat(300)}`);
    expect(b.cachePool.maxBytes).toBe(256 * 1024);
    expect(b.cachePool.bytes).toBeLessThanOrEqual(256 * 1024);
    // 4 stores × 500 entries of ~500 bytes would be ~1 MB: the shared budget keeps the most recent quarter or so.
    expect(b.cachePool.size).toBeGreaterThan(100);
    expect(b.cachePool.size).toBeLessThan(2_000);
    for (const [i, s] of stores.entries()) expect(await s.get('k7')).toBe(`${i}:${'v'.repeat(300)}`);
  });

  it('defaults to one 64 MiB cache for all stores', () => {
    expect(backend().cachePool.maxBytes).toBe(STORE_MEMORY_DEFAULTS.cacheBytes);
    expect(STORE_MEMORY_DEFAULTS.cacheBytes).toBe(64 * 1024 * 1024);
  });
});
