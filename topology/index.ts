/**
 * topology/ — a generic Kafka Streams-style runtime in TypeScript: processor API, tasks, state stores
 * (RocksDB and in-memory, changelog-backed), exactly-once transactions, timers/punctuators, DLQ handling and a
 * broker-less test driver. It knows nothing about journeys. kafkajs is reached only through kafka-client.ts.
 */
export * from './kafka-client.js';
export * from './errors.js';
export * from './metrics.js';
export * from './store.js';
export * from './clock.js';
export * from './record.js';
export * from './processor.js';
export * from './builder.js';
export * from './plan.js';
export * from './murmur2.js';
export * from './dlq.js';
export { StreamTask, changelogWriter, taskIdOf } from './task.js';
export type { ErrorPolicy, OutgoingRecord, RecordCollector, StreamTaskOptions, TaskErrorInfo } from './task.js';
export { GlobalStoreUpdater, type GlobalStoreUpdaterOptions } from './global-store.js';
export * from './test-driver.js';
export { InMemoryRunner, type InMemoryRunnerOptions, type RunnerOutput } from './in-memory-runner.js';
export * from './store-errors.js';
export * from './restore-target.js';
export * from './rocksdb-store.js';
export * from './change-logging-store.js';
export * from './state-dir.js';
export * from './checkpoint.js';
export * from './diagnostics.js';
export * from './timer.js';
export * from './state-backend.js';
export {
  TaskStateBackend,
  STORE_MEMORY_DEFAULTS,
  type ChangelogRestorer,
  type StoreMemory,
  type TaskStateBackendOptions,
} from './task-state.js';
export { StreamsApp, closeOnSignals, type StreamsAppOptions } from './streams-app.js';
export { assignTasks, taskAssignor, ASSIGNOR_NAME, type TaskAssignorOptions } from './assignor.js';
export { TaskProcessingError, requestChunks, splitBySize, MAX_REQUEST_BYTES } from './task-runner.js';
export * from './changelog-restore.js';
