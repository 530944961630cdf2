/**
 * Every metric the journey pipeline registers (PRODUCT.md → Metrics). Processors register these entries through
 * the `Metrics` interface (steps/journey-metrics.ts); ops/metric-catalogue.ts lists them and renders docs/metrics.md.
 */
import { defineMetrics } from '../topology/index.js';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export const processorMetrics = defineMetrics({
  consumed: {
    kind: 'counter',
    name: 'jo_events_consumed_total',
    help: 'Records read from the events topic',
    labelNames: ['topic'],
  },
  normalized: {
    kind: 'counter',
    name: 'jo_events_normalized_total',
    help: 'Events normalized to XDM, by event configuration',
    labelNames: ['event'],
  },
  discarded: {
    kind: 'counter',
    name: 'jo_events_discarded_total',
    help: 'Events (and stale timers/results) not used, by reason',
    labelNames: ['reason', 'journey'],
  },
  entries: {
    kind: 'counter',
    name: 'jo_journey_entries_total',
    help: 'Journey instances created',
    labelNames: ['journey', 'version'],
  },
  exits: {
    kind: 'counter',
    name: 'jo_journey_exits_total',
    help: 'Journey instances ended, by reason',
    labelNames: ['journey', 'version', 'reason'],
  },
  goals: {
    kind: 'counter',
    name: 'jo_journey_goals_total',
    help: 'Journey instances that reached the journey goal',
    labelNames: ['journey', 'version'],
  },
  active: {
    kind: 'gauge',
    name: 'jo_journey_active_instances',
    help: 'Running journey instances (entries minus exits seen by this process)',
    labelNames: ['journey', 'version'],
  },
  nodeInstances: {
    kind: 'gauge',
    name: 'jo_journey_node_instances',
    help: "Instances standing at a journey node now (waiting), in this process's partitions",
    labelNames: ['journey', 'version', 'node'],
  },
  commands: {
    kind: 'counter',
    name: 'jo_commands_emitted_total',
    help: 'Action commands emitted',
    labelNames: ['connector', 'action'],
  },
  steps: {
    kind: 'counter',
    name: 'jo_step_events_total',
    help: 'Steps written in step records, by status',
    labelNames: ['status'],
  },
  eventToCommand: {
    kind: 'histogram',
    name: 'jo_event_to_command_seconds',
    help: 'From the event record timestamp to the emission of the commands it caused',
    buckets: SECONDS,
  },
  timersPending: {
    kind: 'gauge',
    name: 'jo_timers_pending',
    help: 'Timers waiting in the per-partition index',
    labelNames: ['partition'],
  },
  timerLateness: {
    kind: 'histogram',
    name: 'jo_timer_lateness_seconds',
    help: 'How late timers fired after their due time',
    buckets: SECONDS,
  },
  frequencyCapped: {
    kind: 'counter',
    name: 'jo_frequency_capped_total',
    help: 'Commands not sent because a frequency cap was reached, by cap and journey',
    labelNames: ['cap', 'journey'],
  },
  profileUpdates: {
    kind: 'counter',
    name: 'jo_profile_updates_total',
    help: 'Profile documents written to the profiles topic by updateProfile nodes',
  },
  timersFired: {
    kind: 'counter',
    name: 'jo_timers_fired_total',
    help: 'Timers fired, by kind',
    labelNames: ['kind'],
  },
  audienceScanned: {
    kind: 'counter',
    name: 'jo_audience_profiles_scanned_total',
    help: 'Profiles an audience entry run looked at, by journey',
    labelNames: ['journey'],
  },
  audienceRuns: {
    kind: 'counter',
    name: 'jo_audience_runs_total',
    help: 'Audience entry runs completed (every partition counts its own), by journey',
    labelNames: ['journey'],
  },
  registryErrors: {
    kind: 'counter',
    name: 'jo_schema_registry_errors_total',
    help: "Schema registry calls that failed for the registry's sake (timeout, unreachable, error status)",
    labelNames: ['reason'],
  },
});
