// Foundation checks against the real local broker and schema registry: plain round-trip, transactional
// consume-transform-produce (committed and aborted), Avro through the registry, topic provisioning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Admin, type Consumer, type KafkaMessage } from '../../topology/index.js';
import { createAvroRegistry, topicCatalog } from '../../schemas/index.js';
import { ensureTopics } from '../topics.js';
import { testBrokers, testRegistryUrl, uniqueName } from '../../topology/testing/index.js';

const kafka = createKafka({ brokers: testBrokers(), clientId: 'foundation-test' });
let admin: Admin;
const consumers: Consumer[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

async function topic(partitions = 1): Promise<string> {
  const name = uniqueName('t-foundation');
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: partitions }] });
  return name;
}

/** Reads `topic` from the beginning until `count` messages arrived or `ms` passed. */
async function readAll(
  topicName: string,
  opts: { count: number; ms: number; isolation: 'committed' | 'uncommitted' },
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('g-read'),
    readUncommitted: opts.isolation === 'uncommitted',
    sessionTimeout: 10_000,
  });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: topicName, fromBeginning: true });
  const got: KafkaMessage[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, opts.ms);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
        if (got.length >= opts.count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.stop();
  return got;
}

describe('real Kafka broker', () => {
  it('round-trips records through a producer and a consumer group', async () => {
    const t = await topic(3);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: t,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    const got = await readAll(t, { count: 30, ms: 20_000, isolation: 'committed' });
    expect(got.map((m) => m.value?.toString()).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  });

  it('commits a consume-transform-produce transaction with sendOffsets exactly once, and hides an aborted one', async () => {
    const input = await topic();
    const output = await topic();
    const aborted = await topic();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: input, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await plain.disconnect();

    const groupId = uniqueName('g-eos');
    const consumer = kafka.consumer({ groupId, readUncommitted: false });
    consumers.push(consumer);
    const tx = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([consumer.connect(), tx.connect()]);
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          try {
            const t = await tx.transaction();
            await t.send({
              topic: output,
              messages: batch.messages.map((m) => ({ value: m.value?.toString().toUpperCase() ?? '' })),
            });
            const last = batch.messages[batch.messages.length - 1];
            await t.sendOffsets({
              consumerGroupId: groupId,
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: String(Number(last?.offset) + 1) }],
                },
              ],
            });
            await t.commit();
            const a = await tx.transaction();
            await a.send({ topic: aborted, messages: [{ value: 'never' }] });
            await a.abort();
            resolve();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      });
    });
    await consumer.stop();
    await tx.disconnect();

    const committed = await readAll(output, { count: 3, ms: 15_000, isolation: 'committed' });
    expect(committed.map((m) => m.value?.toString())).toEqual(['A', 'B', 'C']);
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions[0]?.offset).toBe('3');
    // The aborted record is in the log (an uncommitted reader sees it) but read_committed never does.
    const hidden = await readAll(aborted, { count: 1, ms: 4_000, isolation: 'committed' });
    expect(hidden).toHaveLength(0);
    const raw = await readAll(aborted, { count: 1, ms: 10_000, isolation: 'uncommitted' });
    expect(raw.map((m) => m.value?.toString())).toEqual(['never']);
  });

  it('creates the catalog topics, verifies them on a second run, and rejects a partition mismatch', async () => {
    const prefix = `${uniqueName('p')}.`;
    const specs = topicCatalog({ prefix, partitions: 2 });
    const first = await ensureTopics(admin, specs);
    expect(first.created).toHaveLength(specs.length);
    const second = await ensureTopics(admin, specs);
    expect(second.created).toEqual([]);
    expect(second.existing).toHaveLength(specs.length);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: `${prefix}config`, configNames: ['cleanup.policy'] }],
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('compact');
    await expect(ensureTopics(admin, topicCatalog({ prefix, partitions: 3 }))).rejects.toThrow(
      /has 2 partitions, expected 3/,
    );
  });
});

describe('real schema registry (Apicurio, Confluent-compatible API)', () => {
  it('registers an Avro schema and round-trips a record in the Confluent wire format', async () => {
    const registry = createAvroRegistry(testRegistryUrl());
    const schema = {
      type: 'record',
      name: 'Signup',
      namespace: 'test.jo',
      fields: [
        { name: 'email', type: 'string' },
        { name: 'plan', type: ['null', 'string'], default: null },
      ],
    };
    const id = await registry.register(uniqueName('signup-value'), schema);
    const buf = await registry.encode(id, { email: 'a@example.com', plan: 'pro' });
    expect(buf[0]).toBe(0);
    expect(buf.readInt32BE(1)).toBe(id);
    expect(await registry.decode(buf)).toEqual({ email: 'a@example.com', plan: 'pro' });
  });
});
