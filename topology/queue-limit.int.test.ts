// A task's queue of fetched records is bounded in bytes as well as in records: fetching pauses while a slow task
// holds more than `maxQueuedBytesPerTask` of keys and values, and resumes once it has worked the queue down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName } from '../ops/testing/index.js';
import { StreamsApp, TopologyBuilder, serdes, type Admin, type Consumer, type ProcessorContext } from './index.js';
import { createTopics, produce, readCommitted, testKafka, waitFor } from './fixtures/kafka-io.js';

const kafka = testKafka(testBrokers());
let admin: Admin;
const apps: StreamsApp[] = [];
/** Opens the processor's gate (also on failure, so closing the app does not wait on a held record). */
let release: () => void = () => undefined;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  release();
  await Promise.all(apps.map((a) => a.close()));
  await admin.disconnect();
});

/** The real client, remembering the consumers it creates so the test can ask which partitions are paused. */
function observedKafka(consumers: Consumer[]) {
  const k = testKafka(testBrokers(), 'queue-limit');
  const create = k.consumer.bind(k);
  k.consumer = (cfg) => {
    const c = create(cfg);
    consumers.push(c);
    return c;
  };
  return k;
}

function gatedTopology(input: string, output: string, gate: Promise<void>) {
  return new TopologyBuilder()
    .addSource({
      name: 'in',
      topics: [input],
      keyDeserializer: serdes.stringDeserializer,
      valueDeserializer: serdes.stringDeserializer,
    })
    .addProcessor<string | null, string | null, string | null, string | null>({
      name: 'gated',
      parents: ['in'],
      supplier: () => {
        let ctx: ProcessorContext<string | null, string | null>;
        return {
          init: (c) => void (ctx = c),
          process: async (r) => {
            await gate;
            await ctx.forward({ ...r, value: String(r.value?.length) });
          },
        };
      },
    })
    .addSink({
      name: 'out',
      topic: output,
      parents: ['gated'],
      keySerializer: serdes.stringSerializer,
      valueSerializer: serdes.stringSerializer,
    })
    .build();
}

describe('task queue byte limit', () => {
  it('pauses fetching while a task holds more queued bytes than allowed, resumes once drained', async () => {
    const [input, output, dlq] = [uniqueName('t-qin'), uniqueName('t-qout'), uniqueName('t-qdlq')];
    await createTopics(admin, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
      { name: dlq, partitions: 1 },
    ]);
    const gate = new Promise<void>((r) => (release = r));
    const consumers: Consumer[] = [];
    // 100 records of 1 KB: far under the length limit, 25 times the byte limit.
    await produce(
      kafka,
      input,
      Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(1_000), partition: 0 })),
    );
    const a = new StreamsApp({
      kafka: observedKafka(consumers),
      applicationId: uniqueName('app-qlimit'),
      topology: gatedTopology(input, output, gate),
      dlqTopic: dlq,
      sessionTimeoutMs: 6_000,
      maxQueuedPerTask: 5_000,
      maxQueuedBytesPerTask: 4_000,
    });
    apps.push(a);
    await a.start();
    const paused = () => consumers.flatMap((c) => c.paused()).filter((p) => p.topic === input);
    await waitFor(() => a.runningTasks().length === 1 && paused().length === 1, 30_000, 'the input paused');
    expect(paused()).toEqual([{ topic: input, partitions: [0] }]);
    release();
    const out = await readCommitted(kafka, output, (r) => r.length >= 100, 30_000);
    expect(out.map((r) => r.value)).toEqual(Array.from({ length: 100 }, () => '1000'));
    await waitFor(() => paused().length === 0, 10_000, 'the input resumed');
    expect(paused()).toEqual([]);
  });
});
