/** What a `TaskRunner` is given: the app's consumer, producers, limits, and the error that stops the app. */
import type { RuntimeNames } from '../api/runtime-names.js';
import type { Clock } from '../api/clock.js';
import { TerminalError } from '../api/errors.js';
import type { Topology } from '../api/builder.js';
import type { StreamsDiagnostics } from '../api/diagnostics.js';
import type { Metrics } from '../api/metrics.js';
import type { KeyValueStore } from '../api/store.js';
import type { Timer } from '../api/timer.js';
import type { Admin, Producer } from '../kafka/kafka-client.js';
import type { TransactionalProducerFactory } from '../kafka/port.js';
import type { StateBackend } from '../state/state-backend.js';
import type { CpuSlice } from './cpu-slice.js';
import type { ErrorPolicy } from './task.js';
import type { TaskRunner } from './task-runner.js';
import type { SharedTransactions } from './shared-transactions.js';

/** Default largest output record: under the broker's default `max.message.bytes` (1,048,588) with room to spare. */
export const MAX_OUTPUT_RECORD_BYTES = 1_000_000;

/** What a task needs from the app's consumer. */
export interface ConsumerPort {
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** At-least-once only: commits input offsets through the group. */
  commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void>;
}

export interface TaskRunnerOptions {
  readonly applicationId: string;
  /** Exactly-once: makes the task's own transactional producer (through the Kafka port). */
  readonly producers?: TransactionalProducerFactory;
  readonly admin: Admin;
  readonly topology: Topology;
  readonly subTopology: number;
  readonly partition: number;
  readonly exactlyOnce: boolean;
  /** At-least-once: the app's shared idempotent producer. */
  readonly sharedProducer?: Producer;
  readonly commitIntervalMs: number;
  /** Processing time shared with the process's other tasks between event-loop turns (default: one of its own). */
  readonly slice?: CpuSlice;
  /** Commit as soon as the queue is empty (one commit in flight at a time) rather than only every interval. */
  readonly eagerCommit: boolean;
  /**
   * After a record from one of the app's repartition topics, commit this long after it instead of at the next
   * interval tick (commit-timing.ts); `false`: only the interval. Default 10 ms.
   */
  readonly hopCommitDelayMs?: number | false;
  /**
   * Exactly-once, tasks without stores: pipeline commits over two transactional producers (transaction-pipeline.ts),
   * so a record processed during a commit does not wait for all of it. Default false.
   */
  readonly pipelinedCommits?: boolean;
  /** Exactly-once: commit through the process's shared transactions instead of the task's own producers. */
  readonly sharedTransactions?: SharedTransactions;
  /** Queue length above which the task's input partitions are paused. */
  readonly maxQueued: number;
  /** Queued key + value bytes above which the task's input partitions are paused (default: no byte limit). */
  readonly maxQueuedBytes?: number;
  /**
   * Bytes of outputs gathered while a commit is in flight above which the task waits for that commit (default: no
   * byte limit; 10,000 outputs is the limit either way).
   */
  readonly maxPendingOutputBytes?: number;
  /**
   * Largest output record (key + value + headers); a larger one is dead-lettered as `OUTPUT_TOO_LARGE` (default
   * MAX_OUTPUT_RECORD_BYTES, under the broker's default `max.message.bytes` of 1 MiB with room for batch overhead).
   */
  readonly maxOutputRecordBytes?: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly clock: Clock;
  readonly timer: Timer;
  readonly metrics?: Metrics;
  readonly events: StreamsDiagnostics;
  readonly errorPolicy: ErrorPolicy;
  readonly dlqTopic: string;
  readonly names: RuntimeNames;
  readonly state: StateBackend;
  readonly globalStores: ReadonlyMap<string, KeyValueStore<unknown>>;
  readonly partitionsOf: (topic: string) => number | undefined;
  readonly consumer: ConsumerPort;
  /** Called once when the task fails (it is already closed dirty). */
  readonly onFailed: (runner: TaskRunner, err: unknown) => void;
}

/** The task's processing threw under the `stop` error policy: fatal for the app. */
export class TaskProcessingError extends TerminalError {
  constructor(taskId: string, cause: unknown) {
    super(
      'TASK_PROCESSING_STOPPED',
      `task ${taskId} stopped: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
