/** What a `StreamTask` takes and hands out: options, its outputs' shape and collector, task ids, changelog writes. */
import type { RuntimeNames } from '../api/runtime-names.js';
import type { Clock } from '../api/clock.js';
import type { Topology } from '../api/builder.js';
import { changelogTopicOf, internalTopics } from '../api/builder.js';
import type { Metrics } from '../api/metrics.js';
import type { Headers, RawRecord } from '../api/record.js';
import type { ChangeLogger, KeyValueStore, StoreSpec } from '../api/store.js';

/** A record on its way out: to a sink topic, a repartition topic, a changelog or the DLQ. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Undefined: the collector picks (murmur2 of the key, or any partition for a null key). */
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly timestamp: number;
}

/** A sink's output whose value is not serialized yet (see `RecordCollector.sendValue`). */
export interface UnserializedRecord extends Omit<OutgoingRecord, 'value'> {
  readonly value: unknown;
  /** The sink's value serializer: the bytes a consumer of the topic would read, for when they are needed. */
  readonly serialize: (value: unknown) => Buffer | null;
}

/** Receives a task's outputs. Must accept them synchronously (buffer); the owner sends/commits them. */
export interface RecordCollector {
  send(record: OutgoingRecord): void;
  /**
   * Optional, for an owner that keeps records in the process (the in-memory runner): takes the outputs of sinks
   * with a plain JSON value serializer (`isPlainJson`) before serialization, so a hop that stays in the process
   * can hand the value itself to the next task (`StreamTask.process`'s `decoded`) and bytes are made only when
   * someone reads them.
   */
  sendValue?(record: UnserializedRecord): void;
}

/** `continue`: dead-letter the input record and go on. `stop`: rethrow, which stops the task (and the app). */
export type ErrorPolicy = 'continue' | 'stop';

export interface TaskErrorInfo {
  readonly taskId: string;
  readonly phase: 'deserialize' | 'process' | 'punctuate';
  readonly code: string;
  readonly source?: RawRecord;
}

export interface StreamTaskOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly subTopology: number;
  readonly partition: number;
  /** The task's own stores (change-logged where their spec says so), by store name. */
  readonly stores: ReadonlyMap<string, KeyValueStore<unknown>>;
  /** Global stores shared by every task (read-only for processors). */
  readonly globalStores?: ReadonlyMap<string, KeyValueStore<unknown>>;
  readonly collector: RecordCollector;
  /** Partition count of an output topic, for sink partitioners. */
  readonly partitionsOf: (topic: string) => number | undefined;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  readonly errorPolicy?: ErrorPolicy;
  readonly dlqTopic: string;
  /** Dead-letter header names and metric prefix of the application. */
  readonly names: RuntimeNames;
  /**
   * The owner handles `RetryLaterError` (rethrown to it, the record not dead-lettered): the Kafka task runner
   * does. Default false: it is dead-lettered like any other processing error.
   */
  readonly retryLater?: boolean;
  /** Aborted when the task stops (`ProcessorContext.signal`); default: never. */
  readonly signal?: AbortSignal;
  /** Told about every error the task handled or rethrew (for logs). */
  readonly onError?: (err: unknown, info: TaskErrorInfo) => void;
}

/** Changelog records carry no headers: one shared, frozen object. */
const NO_HEADERS: Headers = Object.freeze({});

/** Task id as Kafka Streams writes it. */
export function taskIdOf(subTopology: number, partition: number): string {
  return `${subTopology}_${partition}`;
}

/** The partition of a task id (`taskIdOf`). */
export function partitionOfTask(taskId: string): number {
  return Number(taskId.split('_')[1]);
}

/**
 * A `ChangeLogger` writing each store change to the store's changelog topic (`changelogTopicOf`: the internal
 * `${applicationId}-${store}-changelog` unless the spec names one), partition = task's.
 */
export function changelogWriter(
  applicationId: string,
  partition: number,
  collector: RecordCollector,
  clock: Clock,
  specs: readonly StoreSpec[] = [],
): ChangeLogger {
  const topics = new Map(specs.map((s) => [s.name, changelogTopicOf(applicationId, s)]));
  return {
    log: (store, key, value) =>
      collector.send({
        topic: topics.get(store) ?? internalTopics.changelog(applicationId, store),
        partition,
        key: Buffer.from(key, 'utf8'),
        value,
        headers: NO_HEADERS,
        timestamp: clock.now(),
      }),
  };
}
