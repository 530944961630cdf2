/**
 * The journey pipeline's metrics, registered from the catalogue (processors/metric-catalogue.ts) through the
 * `Metrics` interface so that only ops/ knows prom-client. Every processor asks for the ones it updates;
 * registering twice is harmless.
 */
import type { Metrics } from '../../topology/index.js';
import { processorMetrics } from '../metric-catalogue.js';

export function journeyMetrics(m: Metrics) {
  return {
    consumed: m.counter(processorMetrics.consumed),
    normalized: m.counter(processorMetrics.normalized),
    discarded: m.counter(processorMetrics.discarded),
    entries: m.counter(processorMetrics.entries),
    exits: m.counter(processorMetrics.exits),
    goals: m.counter(processorMetrics.goals),
    active: m.gauge(processorMetrics.active),
    nodeInstances: m.gauge(processorMetrics.nodeInstances),
    commands: m.counter(processorMetrics.commands),
    steps: m.counter(processorMetrics.steps),
    eventToCommand: m.histogram(processorMetrics.eventToCommand),
    timersPending: m.gauge(processorMetrics.timersPending),
    timerLateness: m.histogram(processorMetrics.timerLateness),
    frequencyCapped: m.counter(processorMetrics.frequencyCapped),
    profileUpdates: m.counter(processorMetrics.profileUpdates),
    timersFired: m.counter(processorMetrics.timersFired),
    audienceScanned: m.counter(processorMetrics.audienceScanned),
    audienceRuns: m.counter(processorMetrics.audienceRuns),
  };
}

export type JourneyMetrics = ReturnType<typeof journeyMetrics>;
