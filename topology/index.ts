/**
 * topology/ — a generic Kafka Streams-style runtime in TypeScript. It knows nothing about journeys.
 *
 * - `api/`: the processor API other folders build on (processor, record, store interfaces, builder, clock,
 *   timer, errors, metrics interface, diagnostics events).
 * - `runtime/`: the application (StreamsApp), the partition assignor, stream tasks, task runner and commits.
 * - `state/`: state stores (RocksDB, byte-bounded cache, change logging, checkpoints, changelog restore).
 * - `kafka/`: the Kafka adapter; the only place that imports kafkajs.
 * - `testing/`: the broker-less TopologyTestDriver and test helpers, exported from `topology/testing/index.ts`,
 *   never from this file.
 *
 * This file lists, by name, what other folders may use. Anything not listed here is internal to topology/.
 */
export { TopologyBuilder, type Topology } from './api/builder.js';
export { SystemClock, ManualClock, type Clock } from './api/clock.js';
export { SystemTimer, systemTimer, ManualTimer, type Timer } from './api/timer.js';
export { ConfigError, JoError, RetryLaterError, RetryableError, TerminalError, isRetryable } from './api/errors.js';
export { defineErrorCodes, type CodeSpec, type CodeTable, type ErrorCodes } from './api/error-codes.js';
export { topologyCodes, type TopologyCode } from './codes.js';
export {
  noopMetrics,
  InMemoryMetrics,
  type Counter,
  type Labels,
  type MetricSpec,
  type Metrics,
  defineMetrics,
  type CataloguedMetric,
  type MetricKind,
} from './api/metrics.js';
export { topologyMetrics } from './metric-catalogue.js';
export {
  defaultRuntimeNames,
  prefixedMetric,
  prefixedMetrics,
  type DeadLetterHeaderNames,
  type RuntimeNames,
} from './api/runtime-names.js';
export type { Processor, ProcessorContext } from './api/processor.js';
export { serdes, type InputMetadata, type StreamRecord } from './api/record.js';
export {
  canPrefetch,
  InMemoryKeyValueStore,
  jsonSerde,
  stringSerde,
  type KeyValueStore,
  type Serde,
  type StoreSpec,
} from './api/store.js';
export { StreamsApp, type StoreQuery } from './runtime/streams-app.js';
export { HostDirectory, hostsTopic, type HostRecord } from './runtime/host-directory.js';
// production simulations (journey test mode, replay) run a topology in process on a ManualClock
export { InMemoryRunner, type InMemoryRunnerOptions, type RunnerOutput } from './runtime/in-memory-runner.js';
export { ConsumerWatch, type ConsumerWatchOptions } from './runtime/consumer-watch.js';
export { rawCodecs, type CodecName, type OutputCompression } from './kafka/kafka-codecs.js';
export {
  CommitAfterFailureError,
  MAX_REQUEST_BYTES,
  TransactionCommitter,
  outRecordBytes,
  splitBySize,
  type CommitInput,
  type SentRequest,
} from './runtime/transaction-committer.js';
export { RocksDbKeyValueStore, openRocksDbStore } from './state/rocksdb-store.js';
export { storeDirectory } from './state/state-dir.js';
export { restoreChangelog, restoreChangelogs } from './state/changelog-restore.js';
export {
  AssignerProtocol,
  CompressionTypes,
  memberUserData,
  roundRobinAssigner,
  type KafkaJsClient,
  ReadCommittedFilter,
  createKafka,
  retryKafka,
  transactionalProducer,
  setDefaultKafkaLog,
  type KafkaLogLevel,
  type KafkaLogSink,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaClient,
  type KafkaMessage,
  type Message,
  type PartitionAssigner,
  type Producer,
  KAFKA_BATCH_CHANNEL,
  KAFKA_FETCH_CHANNEL,
  type BatchDiagnostic,
  type FetchDiagnostic,
} from './kafka/kafka-client.js';
export { partitionForKey } from './kafka/murmur2.js';
export type {
  KafkaTransaction,
  OutRecord,
  PartitionOffset,
  ProduceResult,
  TransactionalProducer,
  TransactionalProducerFactory,
  TransactionalProducerOptions,
} from './kafka/port.js';
