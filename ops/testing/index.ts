/** Test helpers shared by every folder's integration tests: broker/registry endpoints, unique names. */
export { ensureInfra, stopInfra, probeTcp, type InfraEndpoints } from '../local-infra.js';
export { testBrokers, testRegistryUrl, uniqueName } from './env.js';
export {
  startHttpEndpoint,
  TestHttpEndpoint,
  type RecordedRequest,
  type ResponseSpec,
  type Reply,
  type Handler,
  type OAuth2Options,
  type OAuth2Issuer,
  type RateLimitOptions,
} from './http-endpoint.js';
export { launchChromium, chromiumPath } from './browser.js';
export {
  HOLD_JOURNEY,
  holdResources,
  produceSignups,
  emailOf,
  profileKeyOf,
  stepsWith,
  TopicTail,
  type TailRecord,
} from './profile-journey.js';
export { startPrivateBroker, type PrivateBroker } from './private-broker.js';
