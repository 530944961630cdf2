/**
 * ops' test helpers: the local infrastructure, the browser, the profile journey of the API/console tests. The
 * broker test kit lives in topology/testing and the HTTP test endpoint in connectors/testing; they are re-exported
 * here for ops' own tests.
 */
export { ensureInfra, stopInfra, probeTcp, type InfraEndpoints } from '../local-infra.js';
export {
  testBrokers,
  testRegistryUrl,
  uniqueName,
  startPrivateBroker,
  type PrivateBroker,
} from '../../topology/testing/index.js';
export { startHttpEndpoint, type TestHttpEndpoint } from '../../connectors/testing/index.js';
export { launchChromium, chromiumPath } from './browser.js';
export {
  ADMIN_TOKEN,
  READ_TOKEN,
  API_TOKENS,
  FIXTURE_POLICY,
  cartResourcePuts,
  CART_CONFIG_KEYS,
} from './api-fixtures.js';
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
