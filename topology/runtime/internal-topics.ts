/**
 * Start-up checks and creation of the topics a topology needs: every external source and global topic must
 * exist (the runtime never creates user topics), co-partitioned topics must agree (see `planTasks`), and the
 * internal changelog (compacted) and repartition topics are created with the planned partition counts, or
 * checked when they already exist.
 */
import { internalTopics, type Topology } from '../api/builder.js';
import { topologyCodes } from '../codes.js';
import { retryKafka, type Admin } from '../kafka/kafka-client.js';
import { planTasks, type TaskPlan } from './plan.js';
import type { Timer } from '../api/timer.js';

export interface PreparedTopics {
  readonly plan: TaskPlan;
  /** Partition count of every topic the runtime knows (sources, globals, internal). */
  readonly partitions: Map<string, number>;
}

async function partitionCounts(admin: Admin, topics: readonly string[], timer: Timer): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const present = [...new Set(topics)].filter((t) => existing.has(t));
  const out = new Map<string, number>();
  if (present.length === 0) return out;
  // a topic created a moment ago may not have its metadata yet
  const md = await retryKafka(() => admin.fetchTopicMetadata({ topics: present }), {
    attempts: 8,
    delayMs: (i) => 250 * i,
    sleep: (ms) => timer.sleep(ms),
  });
  for (const t of md.topics) out.set(t.name, t.partitions.length);
  return out;
}

export async function prepareTopics(
  admin: Admin,
  topology: Topology,
  applicationId: string,
  replicationFactor: number,
  dlqTopic: string,
  timer: Timer,
): Promise<PreparedTopics> {
  const external = topology.subTopologies.flatMap((s) =>
    s.sources.filter((n) => !n.repartition).flatMap((n) => n.topics),
  );
  const globals = topology.globalStores.map((g) => g.topic);
  const sinks = [...topology.nodes.values()].flatMap((n) => (n.kind === 'sink' && !n.repartition ? [n.topic] : []));
  const ownChangelogs = topology.subTopologies.flatMap((sub) =>
    sub.stores.flatMap((s) => (s.changelogTopic === undefined ? [] : [{ sub: sub.id, topic: s.changelogTopic }])),
  );
  const all = [...new Set([...external, ...globals, ...sinks, ...ownChangelogs.map((c) => c.topic), dlqTopic])];
  const counts = await partitionCounts(admin, all, timer);
  const missing = all.filter((t) => !counts.has(t));
  if (missing.length)
    throw topologyCodes.error('TOPOLOGY_TOPIC_MISSING', `topic(s) of the topology do not exist: ${missing.join(', ')}`);
  const plan = planTasks(topology, applicationId, (t) => counts.get(t));
  const wanted = new Map<string, { partitions: number; compact: boolean }>();
  for (const [t, n] of plan.repartitionTopics) wanted.set(t, { partitions: n, compact: false });
  const misfits = ownChangelogs.filter((c) => counts.get(c.topic) !== plan.partitions.get(c.sub));
  if (misfits.length)
    throw topologyCodes.error(
      'TOPOLOGY_INTERNAL_TOPIC_MISMATCH',
      `changelog topic(s) need the partition count of their store's tasks: ${misfits
        .map((c) => `${c.topic} has ${counts.get(c.topic)}, needs ${plan.partitions.get(c.sub)}`)
        .join('; ')}`,
    );
  for (const sub of topology.subTopologies)
    for (const s of sub.stores)
      if (s.changelog !== false && s.changelogTopic === undefined)
        wanted.set(internalTopics.changelog(applicationId, s.name), {
          partitions: plan.partitions.get(sub.id) ?? 1,
          compact: true,
        });
  const have = await partitionCounts(admin, [...wanted.keys()], timer);
  const wrong = [...wanted].filter(([t, w]) => have.has(t) && have.get(t) !== w.partitions);
  if (wrong.length)
    throw topologyCodes.error(
      'TOPOLOGY_INTERNAL_TOPIC_MISMATCH',
      `internal topic(s) exist with the wrong partition count: ${wrong
        .map(([t, w]) => `${t} has ${have.get(t)}, needs ${w.partitions}`)
        .join('; ')}`,
    );
  const create = [...wanted].filter(([t]) => !have.has(t));
  if (create.length)
    await admin.createTopics({
      waitForLeaders: true,
      topics: create.map(([topic, w]) => ({
        topic,
        numPartitions: w.partitions,
        replicationFactor,
        configEntries: w.compact
          ? [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'min.compaction.lag.ms', value: '0' },
            ]
          : [{ name: 'cleanup.policy', value: 'delete' }],
      })),
    });
  const partitions = new Map(counts);
  for (const [t, w] of wanted) partitions.set(t, w.partitions);
  return { plan, partitions };
}
