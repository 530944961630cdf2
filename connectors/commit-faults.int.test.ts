// Fault injection through the Kafka port on the real broker: one step of one connector transaction fails (a
// produce request, the offsets, the commit, or the commit and then its abort). The connector rebuilds its
// producer and consumer and resumes from the committed offsets: every command has exactly one committed result.
import { describe, expect, it } from 'vitest';
import { uniqueName, produce, readCommitted } from '../topology/testing/index.js';
import { asRecords, command, createConnectorTopics, results, connectorSuite } from './testing/index.js';
import { resultOf, type ActionResult } from '../schemas/index.js';
import { type TransactionalProducerFactory } from '../topology/index.js';
import { FaultSwitch, faultyProducer, type TxnStep } from '../topology/testing/index.js';
import { CommandConsumer } from './command-consumer.js';

const { kafka, admin, running } = connectorSuite('connectors-commit-faults');

describe('a connector transaction failing at one step', () => {
  const cases: Array<[string, TxnStep[]]> = [
    ['a produce request', ['send']],
    ['the offsets', ['sendOffsets']],
    ['the commit', ['commit']],
    ['the commit and then its abort', ['commit', 'abort']],
  ];
  for (const [name, steps] of cases) {
    it(`${name}: the connector recovers and writes exactly one result per command`, async () => {
      const prefix = `${uniqueName('cf')}.`;
      const { names } = await createConnectorTopics(admin, prefix, 2);
      const switches = steps.map((step) => new FaultSwitch({ step, transaction: 2 }));
      const producers: TransactionalProducerFactory = (p) =>
        switches.reduce((inner, s) => faultyProducer(inner, s), kafka.transactionalProducer(p));
      const calls = new Map<string, number>();
      const c = new CommandConsumer({
        kafka,
        connector: 'http',
        topicPrefix: prefix,
        transactionalId: uniqueName('cf-tx'),
        producers,
        maxInFlight: 5,
        partitionsConsumedConcurrently: 1,
        sessionTimeoutMs: 10_000,
        log: () => undefined,
        handle: async (cmd): Promise<ActionResult> => {
          calls.set(cmd.commandId, (calls.get(cmd.commandId) ?? 0) + 1);
          return {
            ...resultOf(cmd),
            status: 'ok',
            httpStatus: 200,
            attempts: 1,
          };
        },
      });
      running.push(c);
      const cmds = Array.from({ length: 60 }, (_, i) => command('http://127.0.0.1:1/x', { profileKey: `p:${i % 7}` }));
      await produce(kafka, names.commands('http'), asRecords(cmds));
      await c.start();
      const got = results(await readCommitted(kafka, names.actionResults, cmds.length, 60_000, 2_000));
      expect(switches.every((s) => s.hasFired)).toBe(true);
      const ids = got.map((r) => r.commandId).sort();
      expect(ids).toEqual(cmds.map((x) => x.commandId).sort());
      await c.stop();
    }, 90_000);
  }
});
