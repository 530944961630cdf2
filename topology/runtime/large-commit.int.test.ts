// A commit carrying more than the broker's max.message.bytes (1 MiB) for one partition: the runtime must split
// it into several produce requests inside the one transaction instead of failing the task forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, createTopics, produce, readCommitted, testKafka } from '../testing/index.js';
import { StreamsApp, TopologyBuilder, serdes, type Admin, type ProcessorContext } from '../index.js';

const kafka = testKafka(testBrokers());
let admin: Admin;
let app: StreamsApp | undefined;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await app?.close();
  await admin.disconnect();
});

describe('StreamsApp commits larger than max.message.bytes', () => {
  it('splits one task commit of ~3 MiB for one partition into several requests of one transaction', async () => {
    const input = uniqueName('t-big-in');
    const output = uniqueName('t-big-out');
    const dlq = uniqueName('t-big-dlq');
    await createTopics(admin, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
      { name: dlq, partitions: 1 },
    ]);
    const fanOut = 3_000;
    const payload = 'x'.repeat(1_000);
    const b = new TopologyBuilder();
    b.addSource({
      name: 'in',
      topics: [input],
      keyDeserializer: serdes.stringDeserializer,
      valueDeserializer: serdes.stringDeserializer,
    });
    b.addProcessor({
      name: 'fan-out',
      parents: ['in'],
      supplier: () => {
        let ctx: ProcessorContext<string, string>;
        return {
          init: (c: ProcessorContext<string, string>) => void (ctx = c),
          process: async (r) => {
            for (let i = 0; i < fanOut; i++) await ctx.forward({ ...r, key: `${String(r.key)}-${i}`, value: payload });
          },
        };
      },
    });
    b.addSink({
      name: 'out',
      topic: output,
      parents: ['fan-out'],
      keySerializer: serdes.stringSerializer,
      valueSerializer: serdes.stringSerializer,
    });
    app = new StreamsApp({
      kafka,
      applicationId: uniqueName('app-big'),
      dlqTopic: dlq,
      topology: b.build(),
      sessionTimeoutMs: 6_000,
      commitIntervalMs: 1_000,
    });
    await produce(kafka, input, [{ key: 'a', value: 'a' }]);
    await app.start();
    const out = await readCommitted(kafka, output, (r) => r.length >= fanOut, 90_000);
    expect(out).toHaveLength(fanOut);
    expect(new Set(out.map((r) => r.key)).size).toBe(fanOut);
    expect(app.state).toBe('running');
  });
});
