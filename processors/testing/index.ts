/**
 * The processors' testing entry (test code only; production code never imports it): the topology driver, the
 * broker-less state-machine harness, journey fixtures and the broker helpers of the integration tests.
 */
export { JourneyDriver, welcomeDriver, journey, SEC, MIN, HOUR, DAY, type DriverSetup } from './driver.js';
export { Harness, type DataSourceFn } from './harness.js';
export { emailAction, webhookAction, signupEvent, purchaseEvent, welcomeJourney, event } from './journeys.js';
export { testKafka, createJourneyTopics, produce, readUntil, type Rec } from './kafka-kit.js';
