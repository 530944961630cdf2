/**
 * Creates or verifies the product's topics (schemas/topics.ts is the catalog). Used by `jo topics`, by the
 * engine at start-up and by the tests. A partition-count mismatch inside a co-partition group, or an existing
 * topic whose partition count or cleanup policy differs from the catalog, is a start-up error naming the topics.
 */
import type { Admin } from '../topology/index.js';
import { ConfigError } from '../topology/index.js';
import type { TopicSpec } from '../schemas/index.js';

export interface EnsureTopicsResult {
  readonly created: string[];
  readonly existing: string[];
}

export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<EnsureTopicsResult> {
  checkCatalog(specs);
  const have = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !have.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: -1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const existing = specs.filter((s) => have.has(s.name));
  await verifyExisting(admin, existing);
  return { created: missing.map((s) => s.name), existing: existing.map((s) => s.name) };
}

/** The catalog itself must be consistent: every topic of a co-partition group has one partition count. */
export function checkCatalog(specs: readonly TopicSpec[]): void {
  const groups = new Map<string, TopicSpec[]>();
  for (const s of specs) {
    if (!s.coPartitionGroup) continue;
    groups.set(s.coPartitionGroup, [...(groups.get(s.coPartitionGroup) ?? []), s]);
  }
  const problems: string[] = [];
  for (const [group, members] of groups) {
    const counts = new Set(members.map((m) => m.partitions));
    if (counts.size > 1) {
      problems.push(
        `co-partitioned topics (${group}) must have the same partition count: ` +
          members.map((m) => `${m.name}=${m.partitions}`).join(', '),
      );
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

async function verifyExisting(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  const actual = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
  const problems: string[] = [];
  for (const s of specs) {
    const n = actual.get(s.name);
    if (n !== s.partitions) {
      problems.push(`topic ${s.name} has ${n} partitions, expected ${s.partitions}`);
    }
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: 2 /* TOPIC */, name: s.name, configNames: ['cleanup.policy'] })),
  });
  for (const r of described.resources) {
    const spec = specs.find((s) => s.name === r.resourceName);
    const policy = r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
    if (spec && spec.compacted !== policy.includes('compact')) {
      problems.push(
        `topic ${spec.name} has cleanup.policy=${policy}, expected ${spec.compacted ? 'compact' : 'delete'}`,
      );
    }
  }
  if (problems.length) throw new ConfigError(problems);
}
