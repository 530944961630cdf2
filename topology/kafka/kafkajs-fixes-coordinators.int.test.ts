// kafkajs patch 5 on the broker: the engine's transactional producer (transactional-producer.ts) sends no
// FindCoordinator after its first commit: each commit is AddPartitionsToTxn, Produce, AddOffsetsToTxn,
// TxnOffsetCommit and EndTxn (unpatched kafkajs looked a coordinator up before four of them). Round trips per
// commit and their timings (kafkajs' REQUEST instrumentation events) are printed, never asserted.
import type * as KafkaJs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { brokerSuite, createTopics, uniqueName } from '../testing/index.js';
import { transactionalProducer } from './transactional-producer.js';

const { kafka, admin } = brokerSuite('coordinator-cache-test');

interface Sent {
  readonly apiName: string;
  readonly duration: number;
}
const COMMITS = 40;

/** The engine's transactional producer, with every request it sends recorded. */
function recordedProducer(transactionalId: string) {
  const sent: Sent[] = [];
  const recording = {
    producer(config: KafkaJs.ProducerConfig) {
      const p = kafka.producer(config);
      p.on(p.events.REQUEST, ({ payload }) => sent.push({ apiName: payload.apiName, duration: payload.duration }));
      return p;
    },
  } as unknown as KafkaJs.Kafka;
  return { producer: transactionalProducer(recording, { transactionalId }), sent };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;

describe('transactional producer on the broker: coordinators cached', () => {
  it('sends no FindCoordinator after the first commit; each commit is five requests', async () => {
    const [input, output, group] = [uniqueName('cc-in'), uniqueName('cc-out'), uniqueName('cc-g')];
    await createTopics(admin, [
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
    ]);
    const { producer, sent } = recordedProducer(uniqueName('cc-tx'));
    await producer.connect();
    const perCommit: Sent[][] = [];
    const wallMs: number[] = [];
    try {
      for (let i = 0; i < COMMITS; i++) {
        const from = sent.length;
        const start = performance.now();
        const txn = await producer.begin();
        await txn.send([{ topic: output, key: `k${i}`, value: `v${i}` }]);
        await txn.sendOffsets(group, [{ topic: input, partition: 0, offset: String(i + 1) }]);
        await txn.commit();
        perCommit.push(sent.slice(from));
        wallMs.push(performance.now() - start);
      }
    } finally {
      await producer.disconnect();
    }
    const later = perCommit.slice(1);
    // kafkajs names FindCoordinator requests by their old name
    const lookups = later.flat().filter((r) => r.apiName === 'GroupCoordinator');
    const trips = later.map((c) => c.length);
    const wall = wallMs.slice(1);
    const ms = later.map((c) => c.reduce((sum, r) => sum + r.duration, 0));
    console.log(
      `coordinator cache: ${later.length} commits after the first: FindCoordinator ${lookups.length}, ` +
        `round trips per commit p50 ${percentile(trips, 0.5)} max ${Math.max(...trips)} ` +
        `(${later.filter((c) => c.filter((r) => r.apiName === 'AddPartitionsToTxn').length > 1).length} with a retried AddPartitionsToTxn), ` +
        `request time per commit p50 ${percentile(ms, 0.5)} / p90 ${percentile(ms, 0.9)} ms, ` +
        `wall time per commit p50 ${percentile(wall, 0.5).toFixed(1)} / p90 ${percentile(wall, 0.9).toFixed(1)} ms` +
        (lookups.length
          ? `, FindCoordinator p50 ${percentile(
              lookups.map((r) => r.duration),
              0.5,
            )} ms`
          : ''),
    );

    expect(lookups).toEqual([]);
    // AddPartitionsToTxn is retried when the previous commit's markers are still being written
    // (CONCURRENT_TRANSACTIONS); otherwise each commit is these five requests, in this order
    for (const c of later)
      expect([...new Set(c.map((r) => r.apiName))].filter((n) => n !== 'Metadata')).toEqual([
        'AddPartitionsToTxn',
        'Produce',
        'AddOffsetsToTxn',
        'TxnOffsetCommit',
        'EndTxn',
      ]);
    // the commits took effect: the group's committed input offset is the last one sent with a transaction
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
    expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: String(COMMITS) })]);
  }, 90_000);
});
