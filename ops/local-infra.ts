/**
 * Starts the local broker (and optionally the registry) through ops/infra/*.sh when no KAFKA_BROKERS is set:
 * what `npm start` relies on for a first run on a fresh machine.
 */
import { ensureInfra, type InfraEndpoints } from './testing/index.js';

export async function localInfra(opts: { needRegistry: boolean }): Promise<InfraEndpoints> {
  return ensureInfra(opts);
}
