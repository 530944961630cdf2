// read_committed on the real broker through the kafka seam: a transaction's commit marker that arrives in a fetch
// of its own (here forced by a tiny maxBytesPerPartition) must still release the transaction's records, without
// waiting for more data on the partition.
import { describe, expect, it } from 'vitest';
import { brokerSuite, createTopics, uniqueName } from '../testing/index.js';
import { ReadCommittedFilter, type Consumer } from './kafka-client.js';

const { kafka, admin } = brokerSuite('read-committed-test');

describe('read_committed through the seam', () => {
  it('releases a committed transaction whose marker came in a fetch of its own, and drops an aborted one', async () => {
    const topic = uniqueName('rc');
    await createTopics(admin, [{ name: topic, partitions: 1 }]);
    const producer = kafka.producer({ transactionalId: uniqueName('rc-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = async (values: string[], commit: boolean) => {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: values.map((value) => ({ value: value.padEnd(300, '.') })) });
      await (commit ? txn.commit() : txn.abort());
    };
    await send(['a1', 'a2'], true);
    await send(['b1'], false);
    await send(['c1', 'c2', 'c3'], true);

    const filter = new ReadCommittedFilter();
    const seen: string[] = [];
    // one small record batch per fetch: markers come on their own
    const consumer: Consumer = kafka.consumer({
      groupId: uniqueName('rc-g'),
      readUncommitted: false,
      maxBytesPerPartition: 64,
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of filter.accept(batch)) seen.push(String(m.value).replace(/\.+$/, ''));
      },
    });
    try {
      const deadline = Date.now() + 20_000;
      while (seen.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // nothing else is produced: the last transaction is released by its marker alone
      expect(seen).toEqual(['a1', 'a2', 'c1', 'c2', 'c3']);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
