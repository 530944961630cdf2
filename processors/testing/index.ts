/**
 * The processors' testing entry (test code only; production code never imports it): the topology driver, the
 * broker-less state-machine harness, journey fixtures and the journey topics of the integration tests (whose
 * broker helpers come from topology/testing).
 */
export {
  JourneyDriver,
  closeDriversAfterEach,
  welcomeDriver,
  SEC,
  MIN,
  HOUR,
  DAY,
  type DriverSetup,
} from './driver.js';
export { Harness, type DataSourceFn } from './harness.js';
export {
  emailAction,
  webhookAction,
  signupEvent,
  purchaseEvent,
  signupPurchaseWebhook,
  welcomeJourney,
  welcomeWith,
  journey,
  liveJourneyRecord,
  instanceState,
  event,
} from './journeys.js';
export { createJourneyTopics } from './journey-topics.js';
export { engineSuite, type EngineSuite } from './engine-suite.js';
export type { EngineChildConfig } from './engine-child.js';
