/**
 * Turns the runtime's diagnostics events into metrics (names per PRODUCT.md, prefix `jo_`), so an app gets
 * Prometheus series by passing ops/' `Metrics` implementation; the events stay available for logs.
 */
import type { StreamsDiagnostics } from '../api/diagnostics.js';
import type { Metrics } from '../api/metrics.js';

export function bindMetrics(events: StreamsDiagnostics, metrics: Metrics): void {
  const processed = metrics.counter({
    name: 'jo_stream_records_processed_total',
    help: 'Input records processed by stream tasks',
    labelNames: ['task'],
  });
  const commits = metrics.histogram({
    name: 'jo_stream_commit_duration_seconds',
    help: 'Duration of task commits (transaction under exactly-once)',
    labelNames: ['task'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const lag = metrics.gauge({
    name: 'jo_consumer_lag',
    help: 'Records behind the high watermark per input partition',
    labelNames: ['topic', 'partition'],
  });
  const restored = metrics.counter({
    name: 'jo_stream_restored_records_total',
    help: 'Changelog records restored into state stores',
    labelNames: ['task'],
  });
  const restoreRate = metrics.gauge({
    name: 'jo_stream_restore_records_per_second',
    help: 'Restore speed of the last completed restore per task',
    labelNames: ['task'],
  });
  const tasks = metrics.gauge({
    name: 'jo_stream_tasks_running',
    help: 'Stream tasks running on this instance',
  });
  const taskErrors = metrics.counter({
    name: 'jo_stream_task_errors_total',
    help: 'Stream tasks closed after an error (fenced, commit failure, stop policy)',
    labelNames: ['fatal'],
  });
  const waitingTasks = metrics.gauge({
    name: 'jo_stream_tasks_waiting',
    help: 'Stream tasks whose input partitions are paused because a record must wait for an outside service',
  });
  const retries = metrics.counter({
    name: 'jo_stream_record_retries_total',
    help: 'Times a task paused its partitions to hand a record again later, by the code that made it wait',
    labelNames: ['code'],
  });
  const running = new Set<string>();
  const waiting = new Set<string>();
  events
    .on('records-processed', (e) => processed.inc({ task: e.taskId }, e.count))
    .on('commit', (e) => commits.observe({ task: e.taskId }, e.latencyMs / 1000))
    .on('lag', (e) => lag.set({ topic: e.topic, partition: e.partition }, e.lag))
    .on('restore-complete', (e) => {
      restored.inc({ task: e.taskId }, e.restored);
      restoreRate.set({ task: e.taskId }, e.recordsPerSecond);
    })
    .on('task-state', (e) => {
      if (e.state === 'running') running.add(e.taskId);
      else running.delete(e.taskId);
      tasks.set({}, running.size);
    })
    .on('task-error', (e) => taskErrors.inc({ fatal: String(e.fatal) }))
    .on('task-waiting', (e) => {
      if (e.waiting) {
        waiting.add(e.taskId);
        retries.inc({ code: e.code });
      } else waiting.delete(e.taskId);
      waitingTasks.set({}, waiting.size);
    });
}
