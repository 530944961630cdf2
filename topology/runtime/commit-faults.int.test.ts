// Fault injection through the Kafka port on the real broker: one step of one task transaction fails (a produce
// request, the offsets, the commit, or the commit and then its abort). The task is rebuilt from the last committed
// transaction; the committed output holds every count exactly once: no output lost, no input skipped.
import { describe, expect, it } from 'vitest';
import {
  uniqueName,
  countingTopology,
  produce,
  readCommitted,
  exactlyOnceProblems,
  expectedCounts,
  streamsSuite,
} from '../testing/index.js';
import type { TransactionalProducerFactory } from '../kafka/port.js';
import { FaultSwitch, faultyProducer, type TxnStep } from '../testing/fault-injection.js';

const { kafka, app: newApp, topics } = streamsSuite('commit-faults');

/**
 * Fails `steps` of the third transaction begun by any task of the app (`onlyIds`: by producers whose transactional
 * id matches it).
 */
function faulty(
  steps: readonly TxnStep[],
  onlyIds = /./,
): { producers: TransactionalProducerFactory; switches: FaultSwitch[] } {
  const switches = steps.map((step) => new FaultSwitch({ step, transaction: 3 }));
  const producers: TransactionalProducerFactory = (p) =>
    onlyIds.test(p.transactionalId)
      ? switches.reduce((inner, s) => faultyProducer(inner, s), kafka.transactionalProducer(p))
      : kafka.transactionalProducer(p);
  return { producers, switches };
}

describe('a task transaction failing at one step', () => {
  // `pipelined`: the re-keying task before the repartition topic (no stores) commits over two producers in turn
  // (transaction-pipeline.ts); the failing transaction is one of its, with the next one already sending.
  const cases: Array<[string, TxnStep[], boolean]> = [
    ['a produce request', ['send'], false],
    ['the offsets', ['sendOffsets'], false],
    ['the commit', ['commit'], false],
    ['the commit and then its abort', ['commit', 'abort'], false],
    ['a produce request of a pipelined commit', ['send'], true],
    ['a pipelined commit', ['commit'], true],
  ];
  for (const [name, steps, pipelined] of cases) {
    it(`${name}: the task is rebuilt and the output is exactly-once`, async () => {
      const t = await topics({ in: 2, out: 2, dlq: 1 });
      const words = Array.from({ length: 400 }, (_, i) => `w${i % 20}`);
      const { producers, switches } = faulty(steps, pipelined ? /-0_\d+(-b)?$/ : /./);
      const app = newApp({
        applicationId: uniqueName('cf-app'),
        topology: countingTopology({ input: t.in, output: t.out, repartition: pipelined }),
        producers,
        dlqTopic: t.dlq,
        // small commits: many transactions, so the failing one has later ones pipelined behind it
        commitIntervalMs: 5,
        maxQueuedPerTask: 20,
      });
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
