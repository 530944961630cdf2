// A task's memory is bounded in bytes, not only in records: fetching pauses while a slow task holds more than
// `maxQueuedBytesPerTask` of queued keys and values (and resumes once it has worked the queue down), and outputs past
// `maxPendingOutputBytesPerTask` start a commit without waiting for the commit interval.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  testBrokers,
  uniqueName,
  createTopics,
  produce,
  readCommitted,
  stringPipeline,
  testKafka,
  waitFor,
} from '../testing/index.js';
import { StreamsApp, type Admin, type ProcessorContext } from '../index.js';
import type { KafkaJsConsumer as Consumer } from '../testing/index.js';

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

function gatedTopology(input: string, output: string, gate: Promise<void>, outputBytes = 0) {
  return stringPipeline({
    input,
    output,
    name: 'gated',
    processor: () => {
      let ctx: ProcessorContext<string | null, string | null>;
      return {
        init: (c) => void (ctx = c),
        process: async (r) => {
          await gate;
          await ctx.forward({ ...r, value: outputBytes ? 'y'.repeat(outputBytes) : String(r.value?.length) });
        },
      };
    },
  });
}

describe('task memory limits', () => {
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

  it('commits as soon as the outputs gathered pass the byte limit, long before the commit interval', async () => {
    const [input, output, dlq] = [uniqueName('t-oin'), uniqueName('t-oout'), uniqueName('t-odlq')];
    await createTopics(admin, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
      { name: dlq, partitions: 1 },
    ]);
    await produce(
      kafka,
      input,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'x', partition: 0 })),
    );
    const a = new StreamsApp({
      kafka,
      applicationId: uniqueName('app-olimit'),
      topology: gatedTopology(input, output, Promise.resolve(), 10_000),
      dlqTopic: dlq,
      sessionTimeoutMs: 6_000,
      commitIntervalMs: 600_000,
      maxPendingOutputBytesPerTask: 50_000,
    });
    apps.push(a);
    const commits: number[] = [];
    a.events.on('commit', (e) => commits.push(e.outputs));
    await a.start();
    // 20 outputs of 10 KB are 200 KB, four times the limit: without it nothing would commit for ten minutes.
    const out = await readCommitted(kafka, output, (r) => r.length >= 20, 30_000);
    expect(out).toHaveLength(20);
    expect(out.every((r) => r.value?.length === 10_000)).toBe(true);
    expect(commits.reduce((x, y) => x + y, 0)).toBe(20);
  });
});
