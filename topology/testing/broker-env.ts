import { randomUUID } from 'node:crypto';

/** Brokers for an integration test (set by the global setup). Throws rather than skipping when missing. */
export function testBrokers(): string[] {
  const b = process.env['KAFKA_BROKERS'];
  if (!b) throw new Error('KAFKA_BROKERS is not set: run integration tests through `npm test` (vitest global setup)');
  return b.split(',');
}

/** Confluent-compatible schema registry URL for an integration test. */
export function testRegistryUrl(): string {
  const u = process.env['SCHEMA_REGISTRY_URL'];
  if (!u) throw new Error('SCHEMA_REGISTRY_URL is not set: run integration tests through `npm test`');
  return u;
}

/** A topic / group / transactional id no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
