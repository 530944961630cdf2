/**
 * processors/ — the journey pipeline built on topology/: the steps (processors/steps/: normalize to XDM,
 * repartition by identity, enrich, match and walk journeys, resume on action results and stops, fire timers, emit
 * commands and step events) over the journey domain (processors/journey/), and the in-process simulation behind
 * test mode and replay (processors/simulation/). This file exports exactly what other folders use: ops/ builds the
 * topology, reads profile views, runs simulations and lists codes and metrics; tests inside processors/ import
 * the sub-folders' index files directly, and test kits live in processors/testing/.
 */
export { buildJourneyTopology } from './journey-topology.js';
export { STORES } from './topology-options.js';
export { journeyRuntimeNames } from './runtime-names.js';
export { viewCatalog } from './steps/task-journeys.js';
export { processorCodes, type ProcessorCode } from './codes.js';
export { processorMetrics } from './metric-catalogue.js';
export { NormalizeCodes, describeProfile, type ProfileJourneyView, type ProfileState } from './journey/index.js';
export {
  runJourneyTest,
  JourneySimulation,
  JourneyTestError,
  ProfileShards,
  SimulationTooLargeError,
  stepsOf,
  type JourneyTestReport,
  type TrailStep,
  type JourneySimulationOptions,
  type SimulationObserver,
  type SimStep,
} from './simulation/index.js';
