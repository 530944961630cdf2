// The adapter's diagnostics channels (kafka-diagnostics.ts): a group consumer built by createKafka publishes each
// fetch and each batch it hands to eachBatch, with kafkajs' timestamps, to whoever subscribes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect, it } from 'vitest';
import {
  KAFKA_BATCH_CHANNEL,
  KAFKA_FETCH_CHANNEL,
  type BatchDiagnostic,
  type FetchDiagnostic,
} from './kafka-client.js';
import { brokerSuite, createTopics, produce, uniqueName, waitFor } from '../testing/index.js';

const suite = brokerSuite('kafka-diagnostics-int');

it('publishes fetches and handed-over batches of a group consumer to subscribers', async () => {
  const topic = uniqueName('diag');
  const groupId = uniqueName('diag-group');
  await createTopics(suite.admin, [{ name: topic, partitions: 1 }]);
  const fetches: FetchDiagnostic[] = [];
  const batches: BatchDiagnostic[] = [];
  const onFetch = (m: unknown) =>
    void ((m as FetchDiagnostic).groupId === groupId && fetches.push(m as FetchDiagnostic));
  const onBatch = (m: unknown) =>
    void ((m as BatchDiagnostic).groupId === groupId && batches.push(m as BatchDiagnostic));
  subscribe(KAFKA_FETCH_CHANNEL, onFetch);
  subscribe(KAFKA_BATCH_CHANNEL, onBatch);
  const consumer = suite.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => void seen.push(...batch.messages.map((m) => String(m.value))),
    });
    await produce(
      suite.kafka,
      topic,
      ['a', 'b', 'c'].map((v) => ({ key: null, value: v })),
    );
    await waitFor(() => seen.length >= 3, 30_000, 'three records');
    // the first fetch may bring all three records: the consumer goes on fetching (every <= 100 ms on an idle topic)
    await waitFor(() => fetches.length > 1, 10_000, 'a second fetch');
  } finally {
    await consumer.disconnect();
    unsubscribe(KAFKA_FETCH_CHANNEL, onFetch);
    unsubscribe(KAFKA_BATCH_CHANNEL, onBatch);
  }
  expect(seen).toEqual(['a', 'b', 'c']);
  const handed = batches.filter((b) => b.batch.topic === topic && b.batch.messages.length > 0);
  expect(handed.flatMap((b) => b.batch.messages.map((m) => String(m.value)))).toEqual(['a', 'b', 'c']);
  for (const b of handed) {
    expect(b.fetchedAt).toBeTypeOf('number');
    expect(b.handedAt).toBeGreaterThanOrEqual(b.fetchedAt ?? Infinity);
  }
  expect(fetches.length).toBeGreaterThan(1);
  expect(fetches.every((f) => f.durationMs >= 0 && f.endedAt > 0)).toBe(true);
  expect(fetches.slice(1).every((f) => typeof f.sincePreviousMs === 'number' && f.sincePreviousMs >= 0)).toBe(true);
}, 60_000);
