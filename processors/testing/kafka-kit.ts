/**
 * Integration-test helpers on the real broker (test code: real timers are fine here, unlike in the engine): the
 * journey topics under a unique prefix, producing records, reading a topic under read_committed until a
 * condition holds.
 */
import { topicCatalog, topicNames } from '../../schemas/index.js';
import { createKafka, type Admin, type KafkaClient } from '../../topology/index.js';

export function testKafka(brokers: string[], clientId: string): KafkaClient {
  return createKafka({ brokers, clientId, logLevel: 'nothing' });
}

/** Creates every contract topic under `prefix` (events with its own partition count: producers' business). */
export async function createJourneyTopics(admin: Admin, prefix: string, partitions: number, eventPartitions: number) {
  const specs = topicCatalog({ prefix, partitions });
  // kafkajs' own wait for leaders can give up with UNKNOWN_TOPIC_OR_PARTITION on a busy broker: poll instead.
  await admin.createTopics({
    waitForLeaders: false,
    topics: specs.map((s) => ({
      topic: s.name,
      numPartitions: s.name === `${prefix}events` ? eventPartitions : s.partitions,
      configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  const names = specs.map((s) => s.name);
  for (let i = 0; ; i++) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      if (topics.length === names.length && topics.every((t) => t.partitions.every((p) => p.leader >= 0))) break;
    } catch (err) {
      if (i >= 100) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return topicNames(prefix);
}

export interface Rec {
  readonly key: string | null;
  readonly value: string | null;
}

export async function produce(kafka: KafkaClient, topic: string, records: readonly Rec[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value })) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads `topic` from the start (read_committed) until `done(values)` holds (then `settleMs` more, so that
 * anything extra, e.g. a duplicate, shows up too) or the timeout; returns what it read.
 */
export async function readUntil<T>(
  kafka: KafkaClient,
  topic: string,
  groupId: string,
  done: (values: T[]) => boolean,
  timeoutMs: number,
  settleMs = 0,
): Promise<T[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const values: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) values.push(JSON.parse(message.value.toString('utf8')) as T);
        if (done(values)) setTimeout(finish, settleMs);
      },
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
    return [...values];
  } finally {
    await consumer.disconnect();
  }
}
