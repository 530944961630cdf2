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
} from './topology-options.js';
export { SINKS } from './steps/emit-processor.js';
export { journeyMetrics, type JourneyMetrics } from './steps/journey-metrics.js';
export { viewCatalog, datasourceLoader, type OutcomeRecord, type EnrichedEvent } from './steps/task-journeys.js';
export { processorCodes, type ProcessorCode } from './codes.js';
export { processorMetrics } from './metric-catalogue.js';
export * from './journey/index.js';
export {
  runJourneyTest,
  JourneySimulation,
  JourneyTestError,
  SimulationTooLargeError,
  TestReportBuilder,
  stepsOf,
  type JourneyTestReport,
  type TrailStep,
  type ReportCommand,
  type JourneySimulationOptions,
  type SimulationObserver,
  type SimulationResources,
  type SimCause,
  type SimStep,
  type SimulatedCall,
} from './simulation/index.js';
