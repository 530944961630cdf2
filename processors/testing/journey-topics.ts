/** The journey topics of the processors' integration tests, created with the broker test kit (topology/testing). */
import { topicCatalog, topicNames } from '../../schemas/index.js';
import { createTopics } from '../../topology/testing/index.js';
import type { Admin } from '../../topology/index.js';

/** Creates every contract topic under `prefix` (events with its own partition count: producers' business). */
export async function createJourneyTopics(admin: Admin, prefix: string, partitions: number, eventPartitions: number) {
  await createTopics(
    admin,
    topicCatalog({ prefix, partitions }).map((s) => ({
      name: s.name,
      partitions: s.name === `${prefix}events` ? eventPartitions : s.partitions,
      ...(s.config ? { config: s.config } : {}),
    })),
  );
  return topicNames(prefix);
}
