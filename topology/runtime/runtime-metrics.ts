/**
 * Turns the runtime's diagnostics events into metrics (names per PRODUCT.md, prefix `jo_`), so an app gets
 * Prometheus series by passing ops/' `Metrics` implementation; the events stay available for logs.
 */
import type { StreamsDiagnostics } from '../api/diagnostics.js';
import type { Metrics } from '../api/metrics.js';
import { topologyMetrics } from '../metric-catalogue.js';

export function bindMetrics(events: StreamsDiagnostics, metrics: Metrics): void {
  const processed = metrics.counter(topologyMetrics.recordsProcessed);
  const commits = metrics.histogram(topologyMetrics.commitDuration);
  const lag = metrics.gauge(topologyMetrics.consumerLag);
  const restored = metrics.counter(topologyMetrics.restoredRecords);
  const restoreRate = metrics.gauge(topologyMetrics.restoreRate);
  const tasks = metrics.gauge(topologyMetrics.tasksRunning);
  const taskErrors = metrics.counter(topologyMetrics.taskErrors);
  const waitingTasks = metrics.gauge(topologyMetrics.tasksWaiting);
  const retries = metrics.counter(topologyMetrics.recordRetries);
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
