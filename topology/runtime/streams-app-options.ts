/** What a `StreamsApp` is built with (Kafka Streams' `StreamsConfig`), and what its store queries answer. */
import type { RuntimeNames } from '../api/runtime-names.js';
import type { Clock } from '../api/clock.js';
import type { Topology } from '../api/builder.js';
import type { Metrics } from '../api/metrics.js';
import type { KeyValueStore } from '../api/store.js';
import type { Timer } from '../api/timer.js';
import type { KafkaClient } from '../kafka/kafka-client.js';
import type { TransactionalProducerFactory } from '../kafka/port.js';
import type { StateBackend } from '../state/state-backend.js';
import { TaskStateBackend, type ChangelogRestorer, type StoreMemory } from '../state/task-state.js';
import { restoreChangelogs } from '../state/changelog-restore.js';
import type { RelaunchBackoffOptions } from './relaunch-backoff.js';
import type { ErrorPolicy } from './task.js';

export interface StreamsAppOptions {
  /** Consumer group id, transactional id prefix and internal topic prefix. */
  readonly applicationId: string;
  readonly topology: Topology;
  /** A client from `createKafka`, or brokers to build one. */
  readonly kafka?: KafkaClient;
  readonly brokers?: readonly string[];
  /** Default `exactly-once`. */
  readonly processingGuarantee?: 'exactly-once' | 'at-least-once';
  /** Default 100 ms (exactly-once) / 1000 ms (at-least-once). */
  readonly commitIntervalMs?: number;
  /**
   * A task that has processed everything fetched commits at once (one commit in flight per task) instead of
   * waiting for the interval: lower latency under light load, the same batching under heavy load. Default true
   * under exactly-once, false under at-least-once.
   */
  readonly eagerCommit?: boolean;
  /**
   * A task that read records from one of the app's repartition topics (committed upstream a moment ago) commits this
   * long after the first of them instead of at the next interval tick: an event crossing two hops waits out one
   * commit interval, not two (commit-timing.ts). `false`: only the interval. Default 10 ms.
   */
  readonly hopCommitDelayMs?: number | false;
  /**
   * Exactly-once: a task without state stores (e.g. the first hop of a repartitioning topology) commits through two
   * transactional producers in turn, the next transaction sending while the previous one commits (see
   * transaction-pipeline.ts): lower latency through that hop. Default true.
   */
  readonly pipelinedCommits?: boolean;
  /**
   * Exactly-once: `task` (default) gives each task its own transactional producer and transactions; `process` commits
   * all of the app's tasks together, one transaction at a time (shared-transactions.ts, Kafka Streams'
   * `exactly_once_v2`): far fewer transactions under light and moderate load. Its transactional id is
   * `<applicationId>-<instanceId>`, so give the app a stable `instanceId`.
   */
  readonly transactionScope?: 'task' | 'process';
  /**
   * Local state root (RocksDB stores and checkpoints under `<stateDir>/<taskId>`). Without it every store is in
   * memory and rebuilt from its changelog whenever its task starts.
   */
  readonly stateDir?: string;
  /** Memory budgets of the local RocksDB stores (see STORE_MEMORY_DEFAULTS): one read cache for all of them. */
  readonly storeMemory?: StoreMemory;
  /** Changelog reader used for restores (default: the stores module's `restoreChangelogs`). */
  readonly restorer?: ChangelogRestorer;
  /** Replaces the whole store layer (tests, custom stores); `stateDir`/`restorer` are then unused. */
  readonly state?: StateBackend;
  /** Exactly-once: makes each task's transactional producer (default: the Kafka adapter's; tests inject faults). */
  readonly producers?: TransactionalProducerFactory;
  readonly errorPolicy?: ErrorPolicy;
  /** The dead-letter topic; must exist. */
  readonly dlqTopic: string;
  /** Dead-letter header names and metric prefix (default: `defaultRuntimeNames`, neutral). */
  readonly names?: RuntimeNames;
  readonly clock?: Clock;
  readonly timer?: Timer;
  readonly metrics?: Metrics;
  /** Default 10 s; a member silent longer loses its tasks. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Internal topics' replication factor (default 1). */
  readonly replicationFactor?: number;
  /** Per-task queue length above which fetching its partitions pauses (default 5000). */
  readonly maxQueuedPerTask?: number;
  /**
   * Per-task queued key + value bytes above which fetching its partitions pauses (default 4 MiB): with large
   * events a length limit alone lets each task's queue grow to gigabytes.
   */
  readonly maxQueuedBytesPerTask?: number;
  /**
   * Per-task bytes of outputs gathered while the previous commit is in flight above which the task waits for it
   * (default 4 MiB). 10,000 outputs is the limit either way; the byte limit bounds large outputs. (An earlier
   * measurement had the engine run half as fast at 4 MiB; in session 14, with the process's shared transactions, 4
   * and 16 MiB gave the same events/s on one journey, and 16 MiB let ~190 MB of outputs pile up with 1M waits.)
   */
  readonly maxPendingOutputBytesPerTask?: number;
  /**
   * Largest output record in bytes (default 1,000,000: under the broker's default `max.message.bytes`). A larger
   * output (a processor's, a changelog write, a dead letter carrying a large input) goes to the DLQ as
   * `OUTPUT_TOO_LARGE` with its key and no value, instead of failing every commit of its task. Set it to the
   * smallest `max.message.bytes` of the topics written.
   */
  readonly maxOutputRecordBytes?: number;
  /** Where a partition with no committed offset starts (default `earliest`). */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** Names this instance (global store group); default a random UUID. */
  readonly instanceId?: string;
  /**
   * The address this member answers store queries on (Kafka Streams' `application.server`), e.g.
   * `http://10.0.0.5:8080`. When given, the member publishes it with the store partitions it owns to
   * `<applicationId>-hosts` after every assignment (see host-directory.ts). A function, because the server may
   * start listening after the app is built; undefined while unknown (nothing is published then).
   */
  readonly applicationServer?: () => string | undefined;
  /** Pauses before a failed task is relaunched (default 1 s doubling to 30 s, reset after 60 s of running). */
  readonly relaunchBackoff?: RelaunchBackoffOptions;
  /** Structured log lines (default: none). */
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

/** What `StreamsApp.queryStore` found. */
export type StoreQuery<V> =
  | { readonly status: 'ok'; readonly store: KeyValueStore<V> }
  | { readonly status: 'unavailable'; readonly reason: 'rebalancing' | 'notOwner' | 'restoring' };

/** The app's state backend: the one given, else local stores restored from their changelogs. */
export function stateBackendOf(opts: StreamsAppOptions, kafka: KafkaClient, clock: Clock): StateBackend {
  if (opts.state) return opts.state;
  const restorer = opts.restorer ?? restoreChangelogs;
  return new TaskStateBackend({
    kafka,
    clock,
    restorer,
    ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
    ...(opts.storeMemory === undefined ? {} : { storeMemory: opts.storeMemory }),
  });
}
