/**
 * Vitest global setup for the `int` project: makes sure a real broker and schema registry are reachable and
 * hands their addresses to every test file through `process.env` (workers inherit it).
 * Services it started are left running for the next run unless JO_STOP_INFRA=1 (CI sets it).
 */
import { ensureInfra, stopInfra } from '../local-infra.js';

export default async function setup(): Promise<() => void> {
  const infra = await ensureInfra({ needRegistry: true });
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers.join(',');
  process.env['SCHEMA_REGISTRY_URL'] = infra.schemaRegistryUrl;
  return () => {
    if (process.env['JO_STOP_INFRA'] === '1') stopInfra(infra.started);
  };
}
