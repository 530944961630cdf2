/**
 * The journey pipeline's metrics (PRODUCT.md → Metrics), registered through the `Metrics` interface so that
 * only ops/ knows prom-client. Every processor asks for the ones it updates; registering twice is harmless.
 */
import type { Metrics } from '../../topology/index.js';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export function journeyMetrics(m: Metrics) {
  return {
    consumed: m.counter({
      name: 'jo_events_consumed_total',
      help: 'Records read from the events topic',
      labelNames: ['topic'],
    }),
    normalized: m.counter({
      name: 'jo_events_normalized_total',
      help: 'Events normalized to XDM, by event configuration',
      labelNames: ['event'],
    }),
    discarded: m.counter({
      name: 'jo_events_discarded_total',
      help: 'Events (and stale timers/results) not used, by reason',
      labelNames: ['reason', 'journey'],
    }),
    entries: m.counter({
      name: 'jo_journey_entries_total',
      help: 'Journey instances created',
      labelNames: ['journey', 'version'],
    }),
    exits: m.counter({
      name: 'jo_journey_exits_total',
      help: 'Journey instances ended, by reason',
      labelNames: ['journey', 'version', 'reason'],
    }),
    goals: m.counter({
      name: 'jo_journey_goals_total',
      help: 'Journey instances that reached the journey goal',
      labelNames: ['journey', 'version'],
    }),
    active: m.gauge({
      name: 'jo_journey_active_instances',
      help: 'Running journey instances (entries minus exits seen by this process)',
      labelNames: ['journey', 'version'],
    }),
    nodeInstances: m.gauge({
      name: 'jo_journey_node_instances',
      help: "Instances standing at a journey node now (waiting), in this process's partitions",
      labelNames: ['journey', 'version', 'node'],
    }),
    commands: m.counter({
      name: 'jo_commands_emitted_total',
      help: 'Action commands emitted',
      labelNames: ['connector', 'action'],
    }),
    steps: m.counter({
      name: 'jo_step_events_total',
      help: 'Steps written in step records, by status',
      labelNames: ['status'],
    }),
    eventToCommand: m.histogram({
      name: 'jo_event_to_command_seconds',
      help: 'From the event record timestamp to the emission of the commands it caused',
      buckets: SECONDS,
    }),
    timersPending: m.gauge({
      name: 'jo_timers_pending',
      help: 'Timers waiting in the per-partition index',
      labelNames: ['partition'],
    }),
    timerLateness: m.histogram({
      name: 'jo_timer_lateness_seconds',
      help: 'How late timers fired after their due time',
      buckets: SECONDS,
    }),
    frequencyCapped: m.counter({
      name: 'jo_frequency_capped_total',
      help: 'Commands not sent because a frequency cap was reached, by cap and journey',
      labelNames: ['cap', 'journey'],
    }),
    profileUpdates: m.counter({
      name: 'jo_profile_updates_total',
      help: 'Profile documents written to the profiles topic by updateProfile nodes',
    }),
    timersFired: m.counter({
      name: 'jo_timers_fired_total',
      help: 'Timers fired, by kind',
      labelNames: ['kind'],
    }),
    audienceScanned: m.counter({
      name: 'jo_audience_profiles_scanned_total',
      help: 'Profiles an audience entry run looked at, by journey',
      labelNames: ['journey'],
    }),
    audienceRuns: m.counter({
      name: 'jo_audience_runs_total',
      help: 'Audience entry runs completed (every partition counts its own), by journey',
      labelNames: ['journey'],
    }),
  };
}

export type JourneyMetrics = ReturnType<typeof journeyMetrics>;
