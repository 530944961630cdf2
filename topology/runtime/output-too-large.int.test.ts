// An output over the broker's max.message.bytes must not block its partition. A gzip-compressed 3 MiB event is
// accepted by the broker (its compressed batch is small); counting it would write a 3 MiB output and a 3 MiB
// changelog record, which the broker refuses: every commit of the task failed and the task was relaunched forever.
// Now both go to the DLQ as OUTPUT_TOO_LARGE and the good events behind it on the same partition are processed.
import { describe, expect, it } from 'vitest';
import {
  uniqueName,
  countingTopology,
  readCommitted,
  exactlyOnceProblems,
  expectedCounts,
  streamsSuite,
} from '../testing/index.js';
import { CompressionTypes } from '../kafka/kafka-client.js';
import { defaultRuntimeNames } from '../api/runtime-names.js';

const DLQ_HEADERS = defaultRuntimeNames.deadLetterHeaders;

const { kafka, app: newApp, topics } = streamsSuite('output-too-large');

describe('an output over the broker limit', () => {
  it('a compressed 3 MiB event: dead-lettered as OUTPUT_TOO_LARGE, the good events behind it processed', async () => {
    const t = await topics({ in: 1, out: 1, dlq: 1 });
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
    const app = newApp({
      applicationId: uniqueName('big-app'),
      topology: countingTopology({ input: t.in, output: t.out }),
      dlqTopic: t.dlq,
    });
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
