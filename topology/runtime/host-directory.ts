/**
 * Which process can be asked about which store partition (Kafka Streams' interactive-query metadata,
 * `application.server`): every member of an application publishes, after each assignment, the address it answers
 * queries on and the store partitions its tasks own, to the compacted topic `<applicationId>-hosts` (key: the
 * instance id; a tombstone when it closes). Any process — a pipeline member or an API on its own — replays that
 * topic into a `HostDirectory` and asks it who owns a partition.
 *
 * The directory is a hint, not the truth: a member that was SIGKILLed keeps its record until it comes back, and
 * records cross a rebalance in flight. So the asked process checks again that it runs the task, restored, outside
 * a rebalance (`StreamsApp.queryStore`), and a caller that finds nobody answering reports "unavailable", never a
 * guess.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, KafkaClient, Producer } from '../kafka/kafka-client.js';
import type { Topology } from '../api/builder.js';
import { partitionOfTask } from './task.js';

/** The hosts topic of an application. */
export const hostsTopic = (applicationId: string) => `${applicationId}-hosts`;

/** What one member publishes. */
export interface HostRecord {
  readonly instanceId: string;
  /** The address (`http://host:port`) the member answers store queries on. */
  readonly server: string;
  /** Per state store: the partition count of its tasks and the partitions this member owns. */
  readonly stores: Readonly<Record<string, { readonly partitions: number; readonly owned: readonly number[] }>>;
  /** Publisher's wall-clock time (ms): newer claims are asked first. */
  readonly updatedAt: number;
}

/**
 * A member's store partitions as published to the hosts topic: per store, the partition count of its tasks and the
 * partitions of the `assigned` tasks (ids `<subTopology>_<partition>`).
 */
export function ownedStorePartitions(
  topology: Topology,
  applicationId: string,
  partitions: ReadonlyMap<string, number>,
  assigned: ReadonlySet<string>,
): HostRecord['stores'] {
  const stores: Record<string, { partitions: number; owned: number[] }> = {};
  for (const sub of topology.subTopologies) {
    const source = topology.sourceTopics(applicationId, sub.id)[0];
    const count = source === undefined ? 0 : (partitions.get(source) ?? 0);
    const owned = [...assigned]
      .filter((t) => t.startsWith(`${sub.id}_`))
      .map(partitionOfTask)
      .sort((a, b) => a - b);
    for (const s of sub.stores) stores[s.name] = { partitions: count, owned };
  }
  return stores;
}

/** Creates the hosts topic (compacted, one partition) when it is missing. */
export async function ensureHostsTopic(admin: Admin, applicationId: string, replicationFactor = 1): Promise<void> {
  const topic = hostsTopic(applicationId);
  if ((await admin.listTopics()).includes(topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'min.compaction.lag.ms', value: '0' },
        ],
      },
    ],
  });
}

/** Writes this member's record; writes are sent one at a time, in order, so the last one wins. */
export class HostPublisher {
  private chain: Promise<void> = Promise.resolve();
  private connected: Promise<void> | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Publishes `record` (null: this instance left) after any earlier publish; never rejects. */
  publish(instanceId: string, record: HostRecord | null): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        this.connected ??= this.producer.connect();
        await this.connected;
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: [{ key: instanceId, value: record === null ? null : JSON.stringify(record) }],
        });
      } catch (err) {
        this.onError(err);
      }
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
  }
}

function parseRecord(value: Buffer): HostRecord | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<HostRecord>;
    return typeof v.server === 'string' && v.stores && typeof v.stores === 'object' ? (v as HostRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** A replica of the hosts topic: who claims which store partition. */
export class HostDirectory {
  private readonly hosts = new Map<string, HostRecord>();

  private constructor(private readonly consumer: Consumer) {}

  /** Starts replaying `<applicationId>-hosts` (created when missing) with a consumer of its own. */
  static async open(kafka: KafkaClient, applicationId: string): Promise<HostDirectory> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureHostsTopic(admin, applicationId);
    } finally {
      await admin.disconnect();
    }
    // closing waits for the fetch in flight: with kafkajs' default 5 s wait it was most of `jo start`'s exit
    const consumer = kafka.consumer({ groupId: `${applicationId}-hosts-reader-${randomUUID()}`, maxWaitTimeInMs: 500 });
    const dir = new HostDirectory(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [hostsTopic(applicationId)], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const key = message.key?.toString('utf8');
        if (key === undefined) return;
        const rec = message.value ? parseRecord(message.value) : undefined;
        if (rec) dir.hosts.set(key, rec);
        else dir.hosts.delete(key);
      },
    });
    return dir;
  }

  /** Partition count of `store`'s tasks as the members publish it (undefined: nobody has published yet). */
  partitions(store: string): number | undefined {
    for (const h of this.hosts.values()) {
      const n = h.stores[store]?.partitions;
      if (n) return n;
    }
    return undefined;
  }

  /** Members claiming partition `partition` of `store`, the most recent claim first. */
  owners(store: string, partition: number): HostRecord[] {
    return [...this.hosts.values()]
      .filter((h) => h.stores[store]?.owned.includes(partition))
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}
