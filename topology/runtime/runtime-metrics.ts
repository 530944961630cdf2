/**
 * Turns the runtime's diagnostics events into metrics (names with the app's metric prefix), so an app gets
 * Prometheus series by passing ops/' `Metrics` implementation; the events stay available for logs.
 */
import type { StreamsDiagnostics } from '../api/diagnostics.js';
import type { Metrics } from '../api/metrics.js';
import { topologyMetrics } from '../metric-catalogue.js';
import { prefixedMetrics } from '../api/runtime-names.js';

export function bindMetrics(events: StreamsDiagnostics, metrics: Metrics, metricPrefix: string): void {
  const catalogue = prefixedMetrics(metricPrefix, topologyMetrics);
  const processed = metrics.counter(catalogue.recordsProcessed);
  const commits = metrics.histogram(catalogue.commitDuration);
  const transactions = metrics.counter(catalogue.transactions);
  const transactionDuration = metrics.histogram(catalogue.transactionDuration);
  const transactionCommits = metrics.histogram(catalogue.transactionCommits);
  const lag = metrics.gauge(catalogue.consumerLag);
  const restored = metrics.counter(catalogue.restoredRecords);
  const restoreRate = metrics.gauge(catalogue.restoreRate);
  const tasks = metrics.gauge(catalogue.tasksRunning);
  const taskErrors = metrics.counter(catalogue.taskErrors);
  const waitingTasks = metrics.gauge(catalogue.tasksWaiting);
  const retries = metrics.counter(catalogue.recordRetries);
  const running = new Set<string>();
  const waiting = new Set<string>();
  events
    .on('records-processed', (e) => processed.inc({ task: e.taskId }, e.count))
    .on('commit', (e) => commits.observe({ task: e.taskId }, e.latencyMs / 1000))
    .on('transaction', (e) => {
      transactions.inc({ outcome: 'committed' });
      transactionDuration.observe({}, e.latencyMs / 1000);
      transactionCommits.observe({}, e.commits);
    })
    .on('transaction-failed', () => transactions.inc({ outcome: 'failed' }))
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
