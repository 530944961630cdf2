import { describe, expect, it } from 'vitest';
import { TopologyBuilder } from '../api/builder.js';
import { SystemClock } from '../api/clock.js';
import { StreamsDiagnostics } from '../api/diagnostics.js';
import { serdes } from '../api/record.js';
import { defaultRuntimeNames } from '../api/runtime-names.js';
import { InMemoryKeyValueStore, jsonSerde } from '../api/store.js';
import { systemTimer } from '../api/timer.js';
import type { Admin } from '../kafka/kafka-client.js';
import type { StateBackend, TaskStateHandle } from '../state/state-backend.js';
import { TaskRunner } from './task-runner.js';

/** A state backend whose restore runs until aborted; counts the closes of the handle. */
function slowRestoreBackend(): { backend: StateBackend; closes: boolean[]; restoring: Promise<void> } {
  const closes: boolean[] = [];
  let started: () => void = () => undefined;
  const restoring = new Promise<void>((r) => (started = r));
  const store = new InMemoryKeyValueStore<unknown>('s');
  const handle: TaskStateHandle = {
    stores: new Map([['s', store]]),
    restore: (_progress, signal) =>
      new Promise((_resolve, reject) => {
        started();
        signal?.addEventListener('abort', () => reject(new Error('restore aborted')));
      }),
    beginCommit: () => undefined,
    committed: () => undefined,
    rollback: async () => true,
    flush: async () => undefined,
    close: async (clean) => {
      closes.push(clean);
      // closing takes a while: a second close arriving meanwhile is the race that closed the stores twice
      await new Promise((r) => setTimeout(r, 20));
      if (closes.length > 1) throw new Error('stores closed twice');
    },
  };
  return { backend: { openTask: async () => handle }, closes, restoring };
}

function runner(state: StateBackend, events: StreamsDiagnostics, failed: unknown[]): TaskRunner {
  const topology = new TopologyBuilder()
    .addSource({
      name: 'in',
      topics: ['a'],
      keyDeserializer: serdes.stringDeserializer,
      valueDeserializer: serdes.stringDeserializer,
    })
    .addStateStore({ name: 's', serde: jsonSerde() })
    .addProcessor({ name: 'p', supplier: () => ({ process: () => undefined }), parents: ['in'], stores: ['s'] })
    .build();
  return new TaskRunner({
    applicationId: 'app',
    admin: {} as Admin,
    topology,
    subTopology: 0,
    partition: 0,
    exactlyOnce: false,
    commitIntervalMs: 100,
    eagerCommit: false,
    maxQueued: 100,
    autoOffsetReset: 'earliest',
    clock: new SystemClock(),
    timer: systemTimer,
    events,
    errorPolicy: 'continue',
    dlqTopic: 'dlq',
    names: defaultRuntimeNames,
    state,
    globalStores: new Map(),
    partitionsOf: () => 1,
    consumer: { seek: () => undefined, pause: () => undefined, resume: () => undefined, commit: async () => undefined },
    onFailed: (_r, err) => failed.push(err),
  });
}

describe('TaskRunner close', () => {
  it('a task revoked while restoring is closed once, though its aborted start closes it too (no task error)', async () => {
    const { backend, closes, restoring } = slowRestoreBackend();
    const events = new StreamsDiagnostics();
    const errors: unknown[] = [];
    events.on('task-error', (e) => errors.push(e.error));
    const failed: unknown[] = [];
    const r = runner(backend, events, failed);
    // as the app launches a task: a start that fails is followed by a dirty close
    const launched = r.start().catch(() => r.close(false));
    await restoring;
    // revoked (a scale-out rebalance) while restoring
    await Promise.all([r.close(true), launched]);
    expect(closes).toEqual([true]);
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(r.taskState).toBe('closed');
  });

  it('a task closed after its restore finished does not start its loop on closed stores', async () => {
    const { backend, closes } = slowRestoreBackend();
    const events = new StreamsDiagnostics();
    const states: string[] = [];
    events.on('task-state', (e) => states.push(e.state));
    const quick: StateBackend = {
      openTask: async (args) => {
        const h = await backend.openTask(args);
        // the restore completes, but only after the close began
        return {
          ...h,
          restore: () =>
            new Promise((r) => setTimeout(() => r({ restored: 0, durationMs: 0, recordsPerSecond: 0 }), 30)),
        };
      },
    };
    const r = runner(quick, events, []);
    // the handler is attached at once: the start may fail before the close has finished (an unhandled rejection)
    const started = r.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((res) => setTimeout(res, 5));
    await r.close(true);
    expect(String(await started)).toMatch(/closed while starting/);
    expect(closes).toEqual([true]);
    expect(states).not.toContain('running');
  });

  it('a task closed before its start ran opens nothing', async () => {
    const { backend, closes } = slowRestoreBackend();
    let opened = 0;
    const counting: StateBackend = { openTask: (args) => (opened++, backend.openTask(args)) };
    const r = runner(counting, new StreamsDiagnostics(), []);
    await r.close(true); // revoked while the previous owner of the task was still closing
    await expect(r.start()).rejects.toThrow(/closed while starting/);
    expect(opened).toBe(0);
    expect(closes).toEqual([]);
  });

  it('stores that finish opening after the close are closed by the start (their locks would block every relaunch)', async () => {
    const { backend, closes } = slowRestoreBackend();
    let open: () => void = () => undefined;
    const opening = new Promise<void>((r) => (open = r));
    const late: StateBackend = {
      openTask: async (args) => {
        await opening;
        return backend.openTask(args);
      },
    };
    const r = runner(late, new StreamsDiagnostics(), []);
    const started = r.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((res) => setTimeout(res, 5));
    await r.close(true); // while openTask is pending: this shutdown has no stores to close
    open();
    expect(String(await started)).toMatch(/closed while starting/);
    expect(closes).toEqual([true]); // checkpointed where they opened: nothing was written
    expect(r.taskState).toBe('closed');
  });
});
