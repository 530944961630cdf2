/** Test helpers shared by every folder's integration tests: broker/registry endpoints, unique names. */
export { ensureInfra, stopInfra, probeTcp, type InfraEndpoints } from './infra.js';
export { testBrokers, testRegistryUrl, uniqueName } from './env.js';
