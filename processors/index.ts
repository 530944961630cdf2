/**
 * processors/ — the journey pipeline built on topology/: the steps (processors/steps/: normalize to XDM,
 * repartition by identity, enrich, match and walk journeys, resume on action results and stops, fire timers, emit
 * commands and step events) over the journey domain (processors/journey/). `buildJourneyTopology` is the entry
 * point for ops/; the rest is exported for tests, tools and benchmarks.
 */
export { buildJourneyTopology, REPARTITION, type JourneyTopology } from './journey-topology.js';
export {
  DEFAULT_JOURNEY_LIMITS,
  STORES,
  type DataSourceFetcher,
  type JourneyLimits,
  type JourneyTopologyOptions,
} from './options.js';
export { SINKS } from './emit.js';
export { journeyMetrics, type JourneyMetrics } from './metrics.js';
export {
  normalizeEvent,
  recognitionOrder,
  applyMapping,
  NormalizeCodes,
  UNRECOGNIZED,
  type AvroDecode,
  type NormalizeInput,
  type NormalizeResult,
} from './normalize-event.js';
export {
  evaluateRule,
  evaluateWith,
  testRule,
  truthy,
  ruleProblems,
  rulePaths,
  toEpoch,
  type RuleData,
} from './rules.js';
export { parseDuration } from './duration.js';
export { localFields, zonedEpoch, zoneOffset, isValidTimeZone, type LocalFields } from './time-zone.js';
export { deterministicId, splitFraction, pickWeighted } from './ids.js';
export { buildCommand, evaluateParams, actionNeeds, type CommandInput } from './action-command.js';
export { defineJourney, fromCompiled, isRule, datasourcesIn } from './journey-def.js';
export { JourneyMachine, type Transition } from './journey-instance.js';
export { JourneyEngine, type JourneyCatalog, type ProfileState } from './journey-engine.js';
export { viewCatalog, datasourceLoader, type OutcomeRecord, type EnrichedEvent } from './journey-env.js';
export { TimerIndex, timerKey } from './timer-index.js';
export * from './journey-model.js';
export {
  runJourneyTest,
  JourneySimulation,
  JourneyTestError,
  SimulationTooLargeError,
  TestReportBuilder,
  stepsOf,
  type JourneyTestReport,
  type JourneySimulationOptions,
  type SimulationObserver,
  type SimulationResources,
  type SimCause,
  type SimStep,
  type SimulatedCall,
} from './simulation/index.js';
} from './topology-options.js';
export { SINKS } from './steps/emit-processor.js';
export { journeyMetrics, type JourneyMetrics } from './steps/journey-metrics.js';
export { viewCatalog, datasourceLoader, type OutcomeRecord, type EnrichedEvent } from './steps/task-journeys.js';
export * from './journey/index.js';
