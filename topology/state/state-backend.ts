/**
 * How the Kafka runtime gets a task's state stores: opened (wiping unclean local state under exactly-once),
 * change-logged, restored from their changelog partitions, checkpointed on clean close. The runtime depends on
 * this seam only; `task-state.ts` implements it on the stores module (RocksDB or memory).
 */
import type { ChangeLogger, KeyValueStore, StoreSpec } from '../api/store.js';

export interface RestoreProgressInfo {
  readonly topic: string;
  readonly partition: number;
  readonly restored: number;
  readonly remaining: number;
  readonly recordsPerSecond: number;
  readonly done: boolean;
}

export interface RestoreResult {
  readonly restored: number;
  readonly durationMs: number;
  readonly recordsPerSecond: number;
}

export interface TaskStateHandle {
  /** The task's stores by name, each writing its changes to the `ChangeLogger` given at open. */
  readonly stores: ReadonlyMap<string, KeyValueStore<unknown>>;
  /** Brings change-logged stores up to the end of their changelog partitions. Call once, before processing. */
  restore(onProgress: (p: RestoreProgressInfo) => void, signal?: AbortSignal): Promise<RestoreResult>;
  /**
   * A commit starts (call it synchronously as its outputs are taken): store writes from now on belong to the next
   * commit. Each `beginCommit` is followed by exactly one `committed` or by `rollback`/`close`.
   */
  beginCommit(): void;
  /** Tells the handle the next changelog offset of each changelog topic after a successful commit. */
  committed(nextOffsets: ReadonlyMap<string, number>): void;
  /**
   * After a failure: puts the local stores back to their last committed state (every write since the last
   * `committed` undone). Resolves true when that worked — `close(true)` then writes a checkpoint at the last
   * committed changelog offsets, so the next start restores only the tail. False: close dirty.
   */
  rollback(): Promise<boolean>;
  /** Flushes local stores before a commit. */
  flush(): Promise<void>;
  /**
   * `clean` (a clean stop or a successful `rollback`): write the checkpoint; otherwise leave none, so an
   * exactly-once restart wipes and rebuilds.
   */
  close(clean: boolean): Promise<void>;
}

export interface OpenTaskStateArgs {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  readonly specs: readonly StoreSpec[];
  readonly logger: ChangeLogger;
  readonly exactlyOnce: boolean;
}

export interface StateBackend {
  openTask(args: OpenTaskStateArgs): Promise<TaskStateHandle>;
}
