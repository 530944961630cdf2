/**
 * Every metric the stream runtime registers, named without a prefix: the application's `RuntimeNames.metricPrefix`
 * goes before each name when it is registered (`prefixedMetric`; the journey engine's is `jo_`, PRODUCT.md →
 * Metrics). ops/metric-catalogue.ts lists them, prefixed, with the other folders' and renders docs/metrics.md.
 */
import { defineMetrics } from './api/metrics.js';

export const topologyMetrics = defineMetrics({
  recordsProcessed: {
    kind: 'counter',
    name: 'stream_records_processed_total',
    help: 'Input records processed by stream tasks',
    labelNames: ['task'],
  },
  commitDuration: {
    kind: 'histogram',
    name: 'stream_commit_duration_seconds',
    help: 'Duration of task commits (transaction under exactly-once)',
    labelNames: ['task'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
  transactions: {
    kind: 'counter',
    name: 'stream_transactions_total',
    help: "Transactions of the process's shared transactions (transaction scope process), by outcome",
    labelNames: ['outcome'],
  },
  transactionDuration: {
    kind: 'histogram',
    name: 'stream_transaction_duration_seconds',
    help: 'Duration of a committed shared transaction, from its first request to its commit',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  },
  transactionCommits: {
    kind: 'histogram',
    name: 'stream_transaction_task_commits',
    help: 'Task commits carried by one committed shared transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64],
  },
  consumerLag: {
    kind: 'gauge',
    name: 'consumer_lag',
    help: 'Records behind the high watermark per input partition',
    labelNames: ['topic', 'partition'],
  },
  restoredRecords: {
    kind: 'counter',
    name: 'stream_restored_records_total',
    help: 'Changelog records restored into state stores',
    labelNames: ['task'],
  },
  restoreRate: {
    kind: 'gauge',
    name: 'stream_restore_records_per_second',
    help: 'Restore speed of the last completed restore per task',
    labelNames: ['task'],
  },
  tasksRunning: {
    kind: 'gauge',
    name: 'stream_tasks_running',
    help: 'Stream tasks running on this instance',
  },
  taskErrors: {
    kind: 'counter',
    name: 'stream_task_errors_total',
    help: 'Stream tasks closed after an error (fenced, commit failure, stop policy)',
    labelNames: ['fatal'],
  },
  tasksWaiting: {
    kind: 'gauge',
    name: 'stream_tasks_waiting',
    help: 'Stream tasks whose input partitions are paused because a record must wait for an outside service',
  },
  recordRetries: {
    kind: 'counter',
    name: 'stream_record_retries_total',
    help: 'Times a task paused its partitions to hand a record again later, by the code that made it wait',
    labelNames: ['code'],
  },
  deadLettered: {
    kind: 'counter',
    name: 'events_dead_lettered_total',
    help: 'Records sent to the dead-letter topic, by error code and source topic',
    labelNames: ['code', 'topic'],
  },
  punctuationErrors: {
    kind: 'counter',
    name: 'punctuation_errors_total',
    help: 'Punctuator callbacks that threw',
    labelNames: ['task'],
  },
  globalStoreErrors: {
    kind: 'counter',
    name: 'global_store_update_errors_total',
    help: 'Global store records that could not be applied (skipped)',
    labelNames: ['store'],
  },
});
