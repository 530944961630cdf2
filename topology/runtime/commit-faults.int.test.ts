// Fault injection through the Kafka port on the real broker: one step of one task transaction fails (a produce
// request, the offsets, the commit, or the commit and then its abort). The task is rebuilt from the last committed
// transaction; the committed output holds every count exactly once: no output lost, no input skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  testBrokers,
  uniqueName,
  countingTopology,
  createTopics,
  produce,
  readCommitted,
  testKafka,
  exactlyOnceProblems,
  expectedCounts,
} from '../testing/index.js';
import type { Admin } from '../kafka/kafka-client.js';
import type { TransactionalProducerFactory } from '../kafka/port.js';
import { FaultSwitch, faultyProducer, type TxnStep } from '../testing/fault-injection.js';
import { StreamsApp } from './streams-app.js';

const kafka = testKafka(testBrokers(), 'commit-faults');
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

/** Fails `steps` of the third transaction begun by any task of the app. */
function faulty(steps: readonly TxnStep[]): { producers: TransactionalProducerFactory; switches: FaultSwitch[] } {
  const switches = steps.map((step) => new FaultSwitch({ step, transaction: 3 }));
  const producers: TransactionalProducerFactory = (p) =>
    switches.reduce((inner, s) => faultyProducer(inner, s), kafka.transactionalProducer(p));
  return { producers, switches };
}

describe('a task transaction failing at one step', () => {
  const cases: Array<[string, TxnStep[]]> = [
    ['a produce request', ['send']],
    ['the offsets', ['sendOffsets']],
    ['the commit', ['commit']],
    ['the commit and then its abort', ['commit', 'abort']],
  ];
  for (const [name, steps] of cases) {
    it(`${name}: the task is rebuilt and the output is exactly-once`, async () => {
      const t = { in: uniqueName('cf-in'), out: uniqueName('cf-out'), dlq: uniqueName('cf-dlq') };
      await createTopics(admin, [
        { name: t.in, partitions: 2 },
        { name: t.out, partitions: 2 },
        { name: t.dlq, partitions: 1 },
      ]);
      const words = Array.from({ length: 400 }, (_, i) => `w${i % 20}`);
      const { producers, switches } = faulty(steps);
      const app = new StreamsApp({
        kafka,
        applicationId: uniqueName('cf-app'),
        topology: countingTopology({ input: t.in, output: t.out }),
        sessionTimeoutMs: 6_000,
        producers,
        dlqTopic: t.dlq,
        // small commits: many transactions, so the failing one has later ones pipelined behind it
        commitIntervalMs: 5,
        maxQueuedPerTask: 20,
      });
      apps.push(app);
      await app.start();
      // In rounds, so that the tasks commit several transactions and the failing one has others behind it.
      for (let round = 0; round < 8; round++) {
        const part = words.slice(round * 50, round * 50 + 50);
        await produce(
          kafka,
          t.in,
          part.map((w) => ({ key: w, value: w })),
        );
        await new Promise((r) => setTimeout(r, 150));
      }
      const out = await readCommitted(kafka, t.out, (r) => r.length >= words.length, 60_000, 1_500);
      expect(switches.every((s) => s.hasFired)).toBe(true);
      expect(exactlyOnceProblems(out, expectedCounts(words))).toEqual([]);
      await app.close();
    }, 90_000);
  }
});
