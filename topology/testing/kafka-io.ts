/**
 * The broker-backed test kit's I/O on the real broker: a client, topics, producing inputs, reading a topic's
 * committed records (read_committed). Every folder's integration tests use these; test code only.
 */
import {
  ReadCommittedFilter,
  createKafka,
  type Admin,
  type KafkaClient,
  type KafkaJsClient,
  type KafkaMessage,
} from '../kafka/kafka-client.js';

/** A client for a test; `JO_TEST_KAFKA_LOG=warn` shows kafkajs' own log lines when a test needs debugging. */
export function testKafka(brokers: string[], clientId = 'topology-int'): KafkaJsClient {
  return createKafka({
    brokers,
    clientId,
    logLevel: (process.env['JO_TEST_KAFKA_LOG'] as 'warn' | undefined) ?? 'nothing',
  });
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly compact?: boolean;
  /** Topic configs (`cleanup.policy`, `retention.ms`, ...). */
  readonly config?: Readonly<Record<string, string>>;
}

/** Creates `topics` and returns once every partition has a leader and answers offset requests. */
export async function createTopics(admin: Admin, topics: readonly TopicSpec[]): Promise<void> {
  // kafkajs' own wait for leaders can give up with UNKNOWN_TOPIC_OR_PARTITION on a busy broker: poll instead.
  await admin.createTopics({
    waitForLeaders: false,
    topics: topics.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      configEntries: Object.entries({ ...(t.compact ? { 'cleanup.policy': 'compact' } : {}), ...t.config }).map(
        ([name, value]) => ({ name, value }),
      ),
    })),
  });
  const names = topics.map((t) => t.name);
  for (let i = 0; ; i++) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      if (found.length === names.length && found.every((t) => t.partitions.every((p) => p.leader >= 0))) {
        for (const t of names) await admin.fetchTopicOffsets(t);
        return;
      }
    } catch (err) {
      if (i >= 100) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Input {
  readonly key: string | null;
  readonly value: string | Buffer | null;
  readonly partition?: number;
  readonly headers?: Record<string, string>;
}

/**
 * Produces `inputs` in chunks (idempotent producer, acks=all: kafkajs retries a whole multi-partition request when
 * one partition fails, e.g. a leader not yet known right after topic creation; only sequence numbers keep that
 * retry from duplicating inputs).
 */
export async function produce(kafka: KafkaClient, topic: string, inputs: readonly Input[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < inputs.length; i += 2_000)
      await producer.send({
        topic,
        acks: -1,
        messages: inputs.slice(i, i + 2_000).map((m) => ({
          key: m.key,
          value: m.value,
          ...(m.partition === undefined ? {} : { partition: m.partition }),
          ...(m.headers ? { headers: m.headers } : {}),
        })),
      });
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** When a read is complete: a number of records, or a condition on the records read so far. */
export type ReadUntil = number | ((records: readonly ReadRecord[]) => boolean);

/**
 * Reads `topic` from the beginning under read_committed until `until` holds or `timeoutMs` passes (then returns
 * what it has: the caller's assertion says what was missing). With `settleMs`, it keeps reading until nothing new
 * arrived for that long, so that a late duplicate shows up too. A record the reader's own group redelivers is kept
 * once: what counts is what the topic holds, by partition and offset.
 */
export async function readCommitted(
  kafka: KafkaClient,
  topic: string,
  until: ReadUntil,
  timeoutMs = 60_000,
  settleMs = 0,
): Promise<ReadRecord[]> {
  const done = typeof until === 'number' ? (r: readonly ReadRecord[]) => r.length >= until : until;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${process.hrtime.bigint()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: ReadRecord[] = [];
  const seen = new Set<string>();
  // kafkajs alone lets some aborted transactions through (see ReadCommittedFilter).
  const committed = new ReadCommittedFilter();
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      let idle: NodeJS.Timeout | undefined;
      const check = () => {
        if (!done(got)) return;
        clearTimeout(timer);
        if (!settleMs) return resolve();
        clearTimeout(idle);
        idle = setTimeout(resolve, settleMs);
      };
      check();
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of committed.accept(batch)) {
            const id = `${batch.partition}:${m.offset}`;
            if (seen.has(id)) continue;
            seen.add(id);
            got.push(toRecord(batch.partition, m));
          }
          check();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/**
 * {@link readCommitted} for JSON values: reads until `done(values)` holds (records with a null value are passed
 * over) and returns the parsed values in the order read.
 */
export async function readJson<T>(
  kafka: KafkaClient,
  topic: string,
  done: (values: T[]) => boolean,
  timeoutMs = 60_000,
  settleMs = 0,
): Promise<T[]> {
  const values: T[] = [];
  let parsed = 0;
  const until = (records: readonly ReadRecord[]) => {
    for (; parsed < records.length; parsed++) {
      const v = records[parsed]?.value;
      if (v !== null && v !== undefined) values.push(JSON.parse(v) as T);
    }
    return done(values);
  };
  await readCommitted(kafka, topic, until, timeoutMs, settleMs);
  return [...values];
}

function toRecord(partition: number, m: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  return {
    partition,
    offset: m.offset,
    key: m.key?.toString('utf8') ?? null,
    value: m.value?.toString('utf8') ?? null,
    headers,
  };
}

/** Resolves when `cond()` holds, polling every 100 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
