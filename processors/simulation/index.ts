/**
 * processors/simulation — the journey pipeline on a simulated clock, in process, with canned endpoints: test mode
 * (`runJourneyTest`) and the core replay is built on (`JourneySimulation`). Production code: it uses the runtime's
 * in-memory runner, not the unit-test driver, and sends nothing anywhere.
 */
export {
  JourneySimulation,
  SimulationTooLargeError,
  type JourneySimulationOptions,
  type SimCause,
  type SimulationObserver,
  type SimulationResources,
} from './journey-simulation.js';
export { CannedEndpoints, type CannedEndpointSpecs, type SimulatedCall } from './canned-endpoints.js';
export { runJourneyTest, JourneyTestError, type JourneyTestInput } from './run-journey-test.js';
export { TestReportBuilder, type JourneyTestReport, type TrailStep, type ReportCommand } from './test-report.js';
export { stepsOf, type SimStep } from './step-records.js';
export { ProfileShards } from './profile-shards.js';
