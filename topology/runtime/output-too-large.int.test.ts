// An output over the broker's max.message.bytes must not block its partition. A gzip-compressed 3 MiB event is
// accepted by the broker (its compressed batch is small); counting it would write a 3 MiB output and a 3 MiB
// changelog record, which the broker refuses: every commit of the task failed and the task was relaunched forever.
// Now both go to the DLQ as OUTPUT_TOO_LARGE and the good events behind it on the same partition are processed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  testBrokers,
  uniqueName,
  countingTopology,
  createTopics,
  readCommitted,
  testKafka,
  exactlyOnceProblems,
  expectedCounts,
} from '../testing/index.js';
import { CompressionTypes, type Admin } from '../kafka/kafka-client.js';
import { DLQ_HEADERS } from './dlq.js';
import { StreamsApp } from './streams-app.js';

const kafka = testKafka(testBrokers(), 'output-too-large');
let admin: Admin;
const apps: StreamsApp[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await admin.disconnect();
});

describe('an output over the broker limit', () => {
  it('a compressed 3 MiB event: dead-lettered as OUTPUT_TOO_LARGE, the good events behind it processed', async () => {
    const t = { in: uniqueName('big-in'), out: uniqueName('big-out'), dlq: uniqueName('big-dlq') };
    await createTopics(admin, [
      { name: t.in, partitions: 1 },
      { name: t.out, partitions: 1 },
      { name: t.dlq, partitions: 1 },
    ]);
    const big = 'w'.repeat(3 * 1024 * 1024);
    const good = Array.from({ length: 50 }, (_, i) => `g${i % 5}`);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: t.in,
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'k', value: big }],
    });
    await producer.send({ topic: t.in, messages: good.map((w) => ({ key: 'k', value: w })) });
    await producer.disconnect();
    const app = new StreamsApp({
      kafka,
      applicationId: uniqueName('big-app'),
      topology: countingTopology({ input: t.in, output: t.out }),
      dlqTopic: t.dlq,
      sessionTimeoutMs: 6_000,
    });
    apps.push(app);
    await app.start();
    const out = await readCommitted(kafka, t.out, (r) => r.length >= good.length, 60_000, 1_000);
    expect(exactlyOnceProblems(out, expectedCounts(good))).toEqual([]);
    const dlq = await readCommitted(kafka, t.dlq, (r) => r.length >= 2, 30_000, 500);
    // the count output and the changelog write of the big word
    expect(dlq.map((d) => d.headers[DLQ_HEADERS.code])).toEqual(['OUTPUT_TOO_LARGE', 'OUTPUT_TOO_LARGE']);
    for (const d of dlq) {
      expect(d.value).toBeNull();
      expect(d.headers[DLQ_HEADERS.sourceTopic]).toBe(t.in);
      expect(d.headers[DLQ_HEADERS.sourceOffset]).toBe('0');
      expect(d.headers[DLQ_HEADERS.message]).toMatch(/over the limit of 1000000 bytes/);
    }
    await app.close();
  }, 90_000);
});
