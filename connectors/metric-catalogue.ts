/**
 * Every metric the connectors register (PRODUCT.md → Metrics). Registering code passes these entries to the
 * `Metrics` interface; ops/metric-catalogue.ts lists them and renders docs/metrics.md. Dead letters are counted in
 * the runtime's `jo_events_dead_lettered_total` (topologyMetrics.deadLettered).
 */
import { defineMetrics } from '../topology/index.js';

const CALL_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const connectorMetrics = defineMetrics({
  recoveries: {
    kind: 'counter',
    name: 'jo_connector_recoveries_total',
    help: 'Failed connector transactions, by how the connector reacted',
    labelNames: ['connector', 'reason'],
  },
  results: {
    kind: 'counter',
    name: 'jo_connector_results_total',
    help: 'Results written by action connectors',
    labelNames: ['connector', 'status'],
  },
  inFlight: {
    kind: 'gauge',
    name: 'jo_connector_in_flight',
    help: 'Commands taken from Kafka whose result is not yet committed',
    labelNames: ['connector'],
  },
  actionCalls: {
    kind: 'counter',
    name: 'jo_action_calls_total',
    help: 'Action calls by action id and result status',
    labelNames: ['action', 'status'],
  },
  actionCallDuration: {
    kind: 'histogram',
    name: 'jo_action_call_duration_seconds',
    help: 'Time from taking a command to its result, retries and throttling included',
    labelNames: ['action'],
    buckets: CALL_SECONDS,
  },
  datasourceCalls: {
    kind: 'counter',
    name: 'jo_datasource_calls_total',
    help: 'Data-source lookups that were not cache hits, by outcome',
    labelNames: ['datasource', 'status'],
  },
  datasourceCallDuration: {
    kind: 'histogram',
    name: 'jo_datasource_call_duration_seconds',
    help: 'Duration of data-source HTTP calls',
    labelNames: ['datasource'],
    buckets: CALL_SECONDS,
  },
  queueDepth: {
    kind: 'gauge',
    name: 'jo_action_queue_depth',
    help: 'Commands of a throttled action waiting in its durable queue (fetched and not yet sent or capped, plus not yet fetched; reported by the process owning its queue partition)',
    labelNames: ['action'],
  },
  queueAge: {
    kind: 'gauge',
    name: 'jo_action_queue_age_seconds',
    help: 'Age (since the command was created) of the oldest queued command of a throttled action',
    labelNames: ['action'],
  },
});
