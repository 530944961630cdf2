/**
 * The runtime's `StateBackend` on the stores module: per task, `openTaskState` (consumes the checkpoint; wipes
 * unclean local stores under exactly-once), RocksDB stores under `<stateDir>/<taskId>` (in-memory ones for
 * `kind: 'memory'` or when no state directory is configured), each wrapped in a `ChangeLoggingKeyValueStore`,
 * restored from `<applicationId>-<store>-changelog` by the changelog restorer, checkpointed on clean close.
 */
import { randomUUID } from 'node:crypto';
import { changelogTopicOf } from '../api/builder.js';
import { ByteLruPool } from './byte-lru.js';
import { ChangeLoggingKeyValueStore } from './change-logging-store.js';
import { checkpointKey, openTaskState, writeCheckpoint } from './checkpoint.js';
import type { Clock } from '../api/clock.js';
import type { KafkaClient } from '../kafka/kafka-client.js';
import type { RestoreTarget } from './restore-target.js';
import { openRocksDbStore, type RocksDbKeyValueStore } from './rocksdb-store.js';
import type {
  OpenTaskStateArgs,
  RestoreProgressInfo,
  RestoreResult,
  StateBackend,
  TaskStateHandle,
} from './state-backend.js';
import { storeDirectory, taskDirectory } from './state-dir.js';
import { InMemoryKeyValueStore, type KeyValueStore } from '../api/store.js';

/** Reads changelog partitions into restore targets (the stores module's `restoreChangelogs` fits). */
export type ChangelogRestorer = (opts: {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly startOffset?: number;
    readonly target: RestoreTarget;
  }>;
  readonly clock: Clock;
  readonly onProgress?: (p: RestoreProgressInfo) => void;
  readonly signal?: AbortSignal;
}) => Promise<{
  readonly restored: number;
  readonly durationMs: number;
  readonly recordsPerSecond: number;
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly endOffset: number }>;
}>;

export interface TaskStateBackendOptions {
  readonly kafka: KafkaClient;
  readonly clock: Clock;
  readonly restorer: ChangelogRestorer;
  /** Root of the local state; without it every store is in memory and restored in full on each start. */
  readonly stateDir?: string;
  /** Memory of the RocksDB stores (defaults in STORE_MEMORY_DEFAULTS). */
  readonly storeMemory?: StoreMemory;
}

/** Memory of the RocksDB stores: the JS read cache, RocksDB memtables (two per store) and RocksDB's block cache. */
export interface StoreMemory {
  /** The read cache of ALL the backend's stores together (one budget and LRU order shared by every store). */
  readonly cacheBytes?: number;
  /** Per store. */
  readonly memtableBytes?: number;
  /** Per store. */
  readonly blockCache?: boolean;
}

/**
 * A process has one store per (task, store): 6 partitions × 4 stores is 24 of them. The read cache is one budget for
 * all of them (a budget per store, multiplied by 24, was the largest part of the heap), memtables are per store and
 * small. The JS read cache already holds hot values; RocksDB's block cache (32 MiB per store by default) would mostly
 * duplicate it, so it is off and cold reads come from the OS page cache.
 */
export const STORE_MEMORY_DEFAULTS: Required<StoreMemory> = {
  cacheBytes: 64 * 1024 * 1024,
  memtableBytes: 4 * 1024 * 1024,
  blockCache: false,
};

interface Opened {
  readonly store: KeyValueStore<unknown>;
  /** The RocksDB store under the change logging (undo of uncommitted writes); undefined for memory stores. */
  readonly rocks?: RocksDbKeyValueStore<unknown>;
  readonly topic?: string;
  readonly persistent: boolean;
}

/** The checkpointed changelog offsets a task's state opened with. */
interface TaskOffsets {
  readonly offsets: Readonly<Record<string, number>>;
}

export class TaskStateBackend implements StateBackend {
  /** The read cache shared by every store this backend opens. */
  readonly cachePool: ByteLruPool;

  constructor(private readonly opts: TaskStateBackendOptions) {
    this.cachePool = new ByteLruPool(opts.storeMemory?.cacheBytes ?? STORE_MEMORY_DEFAULTS.cacheBytes);
  }

  async openTask(args: OpenTaskStateArgs): Promise<TaskStateHandle> {
    const { stateDir } = this.opts;
    const taskDir = stateDir === undefined ? undefined : taskDirectory(stateDir, args.taskId);
    const onOpen: TaskOffsets = taskDir
      ? await openTaskState(taskDir, { exactlyOnce: args.exactlyOnce })
      : { offsets: {} };
    const opened = await this.openStores(args);
    // Where each changelog's restore starts until it is done: a close before that (a failed restore) checkpoints
    // the same start again — re-applying a changelog's records in order from there gives the same stores.
    const next = new Map<string, number>();
    for (const o of opened) {
      const start = o.topic && o.persistent ? onOpen.offsets[checkpointKey(o.topic, args.partition)] : undefined;
      if (o.topic && start !== undefined) next.set(o.topic, start);
    }
    return {
      stores: new Map(opened.map((o) => [o.store.name, o.store])),
      restore: (onProgress, signal) => this.restore(args, opened, onOpen, next, onProgress, signal),
      beginCommit: () => {
        for (const o of opened) o.rocks?.beginEpoch();
      },
      committed: (offsets) => {
        for (const [t, o] of offsets) next.set(t, o);
        for (const o of opened) o.rocks?.commitEpoch();
      },
      rollback: async () => {
        try {
          for (const o of opened) await o.rocks?.rollback();
          return true;
        } catch {
          return false;
        }
      },
      flush: async () => {
        for (const o of opened) await o.store.flush();
      },
      close: (clean) => closeStores(args, opened, clean ? taskDir : undefined, next),
    };
  }

  /** The task's stores: RocksDB (or in memory), wrapped in change logging unless the spec opts out. */
  private async openStores(args: OpenTaskStateArgs): Promise<Opened[]> {
    const { stateDir, storeMemory } = this.opts;
    const opened: Opened[] = [];
    for (const spec of args.specs) {
      const persistent = stateDir !== undefined && spec.kind !== 'memory';
      const inner = persistent
        ? await openRocksDbStore({
            name: spec.name,
            directory: storeDirectory(stateDir, args.taskId, spec.name),
            serde: spec.serde,
            memtableBytes: storeMemory?.memtableBytes ?? STORE_MEMORY_DEFAULTS.memtableBytes,
            blockCache: storeMemory?.blockCache ?? STORE_MEMORY_DEFAULTS.blockCache,
            cachePool: this.cachePool,
          })
        : new InMemoryKeyValueStore<unknown>(spec.name);
      const rocks = persistent ? { rocks: inner as RocksDbKeyValueStore<unknown> } : {};
      if (spec.changelog === false) opened.push({ store: inner, persistent, ...rocks });
      else
        opened.push({
          store: new ChangeLoggingKeyValueStore(inner, spec.serde, args.logger, {
            coalesce: spec.coalesceChangelog === true,
          }),
          topic: changelogTopicOf(args.applicationId, spec),
          persistent,
          ...rocks,
        });
    }
    return opened;
  }

  /** Restores the change-logged stores from their checkpointed offsets; `next` learns where each one ended. */
  private async restore(
    args: OpenTaskStateArgs,
    opened: readonly Opened[],
    onOpen: TaskOffsets,
    next: Map<string, number>,
    onProgress: ((p: RestoreProgressInfo) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RestoreResult> {
    const partitions = opened.flatMap((o) => {
      if (!o.topic) return [];
      const start = o.persistent ? onOpen.offsets[checkpointKey(o.topic, args.partition)] : undefined;
      const target = o.store as ChangeLoggingKeyValueStore<unknown>;
      return [
        { topic: o.topic, partition: args.partition, ...(start === undefined ? {} : { startOffset: start }), target },
      ];
    });
    if (partitions.length === 0) return { restored: 0, durationMs: 0, recordsPerSecond: 0 };
    const { kafka, clock, restorer } = this.opts;
    const summary = await restorer({
      kafka,
      groupId: `${args.applicationId}-restore-${args.taskId}-${randomUUID()}`,
      partitions,
      clock,
      onProgress,
      ...(signal ? { signal } : {}),
    });
    for (const p of summary.partitions) next.set(p.topic, p.endOffset);
    return { restored: summary.restored, durationMs: summary.durationMs, recordsPerSecond: summary.recordsPerSecond };
  }
}

/** Flushes and closes every store; with `checkpointDir` (a clean close) checkpoints the persistent ones at `next`. */
async function closeStores(
  args: OpenTaskStateArgs,
  opened: readonly Opened[],
  checkpointDir: string | undefined,
  next: ReadonlyMap<string, number>,
): Promise<void> {
  const errors: unknown[] = [];
  for (const o of opened) await o.store.flush().catch((e: unknown) => errors.push(e));
  for (const o of opened) await o.store.close().catch((e: unknown) => errors.push(e));
  if (checkpointDir && errors.length === 0 && opened.some((o) => o.persistent)) {
    const cp: Record<string, number> = {};
    for (const o of opened)
      if (o.persistent && o.topic) {
        const n = next.get(o.topic);
        if (n !== undefined) cp[checkpointKey(o.topic, args.partition)] = n;
      }
    // A task without persistent stores has no directory and nothing to checkpoint.
    if (Object.keys(cp).length > 0) await writeCheckpoint(checkpointDir, cp);
  }
  if (errors.length) throw new AggregateError(errors, `closing the stores of task ${args.taskId} failed`);
}
