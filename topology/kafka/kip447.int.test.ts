// KIP-447 through the port on the real broker (kafkajs patch fix 12): a transaction's offsets carry the consuming
// member's group generation (TxnOffsetCommit v3), so the group coordinator refuses them from a member of an older
// generation or one it does not know; and an offset fetch that requires stable offsets (OffsetFetch v7) waits for a
// transaction holding offsets of the partition to end instead of answering the last committed offset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerSuite, createTopics, produce, readCommitted, uniqueName, waitFor } from '../testing/index.js';
import type { GroupConsumer } from './port-client.js';
import type { ConsumerGroupMetadata, KafkaTransaction, TransactionalProducer } from './port.js';

const { kafka, admin } = brokerSuite('kip447-test');

const input = uniqueName('k447-in');
const output = uniqueName('k447-out');
const opened: Array<{ disconnect(): Promise<void> }> = [];

beforeAll(async () => {
  await createTopics(admin, [
    { name: input, partitions: 1 },
    { name: output, partitions: 1 },
  ]);
  // the offsets committed below lie within the input: a member handed one beyond its end would reset the group's
  // offset itself (kafkajs commits the default offset after OFFSET_OUT_OF_RANGE)
  await produce(
    kafka,
    input,
    Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })),
  );
}, 60_000);

afterAll(async () => {
  for (const c of opened.reverse()) await c.disconnect().catch(() => undefined);
});

async function producer(): Promise<TransactionalProducer> {
  const p = kafka.transactionalProducer({ transactionalId: uniqueName('k447-tx') });
  await p.connect();
  opened.push(p);
  return p;
}

/** A member of `groupId` reading the input (it commits nothing itself); resolves once it has joined. */
async function member(groupId: string): Promise<GroupConsumer> {
  const c = kafka.consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  opened.push(c);
  await c.connect();
  await c.subscribe({ topics: [input] });
  await c.run({ autoCommit: false, eachBatch: async () => undefined });
  await waitFor(() => c.groupMetadata() !== undefined, 30_000, `a member of ${groupId} to join`);
  return c;
}

async function committed(groupId: string, requireStable = false, stableWaitMs?: number): Promise<string | undefined> {
  const [t] = await admin.fetchOffsets({
    groupId,
    topics: [input],
    ...(requireStable && { requireStable }),
    ...(stableWaitMs !== undefined && { stableWaitMs }),
  });
  return t?.partitions.find((p) => p.partition === 0)?.offset;
}

/** One transaction: an output record and the input offset, sent with `group`; committed, or aborted on failure. */
async function commitOffset(p: TransactionalProducer, groupId: string, offset: string, group?: ConsumerGroupMetadata) {
  const txn: KafkaTransaction = await p.begin();
  try {
    await txn.send([{ topic: output, partition: 0, key: 'k', value: offset }]);
    await txn.sendOffsets(groupId, [{ topic: input, partition: 0, offset }], group);
    await txn.commit();
  } catch (err) {
    await txn.abort();
    throw err;
  }
}

const errorType = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e as { type?: unknown }).type,
  );

describe('KIP-447 on the broker: offsets sent with the consumer group metadata', () => {
  it("commits offsets sent with the member's current generation; refuses a stale generation and an unknown member", async () => {
    const groupId = uniqueName('k447-g');
    const p = await producer();
    const a = await member(groupId);
    const first = a.groupMetadata() as ConsumerGroupMetadata;

    // (a) the current generation and member id: committed. Offsets are read with requireStable: the broker answers
    // EndTxn before it has written the transaction's markers, and a plain OffsetFetch right after may still return the
    // offsets from before (a CI run read '5' after the commit of '9')
    await commitOffset(p, groupId, '5', first);
    expect(await committed(groupId, true)).toBe('5');

    // a second member joins: the group rebalances to a new generation, which the first member rejoins
    const b = await member(groupId);
    await waitFor(() => (a.groupMetadata()?.generationId ?? -1) > first.generationId, 30_000, 'the rebalance');
    const current = a.groupMetadata() as ConsumerGroupMetadata;
    expect(current.memberId).toBe(first.memberId);
    expect(b.groupMetadata()?.generationId).toBe(current.generationId);

    // (b) the previous generation: ILLEGAL_GENERATION, the transaction is aborted, the offsets stay
    expect(await errorType(commitOffset(p, groupId, '7', first))).toBe('ILLEGAL_GENERATION');
    expect(await committed(groupId, true)).toBe('5');

    // (c) a member id the group does not know: UNKNOWN_MEMBER_ID, the offsets stay
    const stranger = { generationId: current.generationId, memberId: `${first.memberId}-stranger` };
    expect(await errorType(commitOffset(p, groupId, '8', stranger))).toBe('UNKNOWN_MEMBER_ID');
    expect(await committed(groupId, true)).toBe('5');

    // the producer is still usable after the refused commits: the current generation commits
    await commitOffset(p, groupId, '9', current);
    expect(await committed(groupId, true)).toBe('9');

    // without metadata (as every caller before KIP-447): accepted from the transactional id alone, group or not
    await commitOffset(p, groupId, '10');
    expect(await committed(groupId, true)).toBe('10');

    // the refused transactions were aborted: their outputs are not read (read_committed)
    const outputs = await readCommitted(kafka, output, 3, 20_000, 500);
    expect(outputs.map((r) => r.value)).toEqual(['5', '9', '10']);
  }, 120_000);
});

describe('KIP-447 on the broker: offset fetches that require stable offsets', () => {
  it("waits for another producer's open transaction holding the partition's offsets; without requireStable does not", async () => {
    const groupId = uniqueName('k447-s');
    const [p, other] = [await producer(), await producer()];
    await commitOffset(p, groupId, '5');

    const txn = await other.begin();
    await txn.sendOffsets(groupId, [{ topic: input, partition: 0, offset: '9' }]);
    try {
      // without requireStable: the last committed offset, at once
      expect(await committed(groupId)).toBe('5');
      // with it and a short bound: the error says the offsets stayed unstable
      const bounded = committed(groupId, true, 300);
      await expect(bounded).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT' });
      await expect(bounded).rejects.toThrow(/still unstable after 300 ms/);

      // with it: no answer while the transaction is open...
      let answer: string | undefined;
      const stable = committed(groupId, true).then((o) => (answer = o));
      await new Promise((r) => setTimeout(r, 1_000));
      expect(answer).toBeUndefined();
      // ...then the offset the transaction committed
      const commitAt = performance.now();
      await txn.commit();
      expect(await stable).toBe('9');
      console.log(`requireStable fetch answered ${(performance.now() - commitAt).toFixed(0)} ms after the commit`);
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    // nothing open: both answer the same
    expect(await committed(groupId, true)).toBe('9');
    expect(await committed(groupId)).toBe('9');
  }, 120_000);

  it("a stable fetch of some partitions is not held up by a transaction holding another partition's offsets", async () => {
    const [topic, groupId] = [uniqueName('k447-two'), uniqueName('k447-p')];
    await createTopics(admin, [{ name: topic, partitions: 2 }]);
    const p = await producer();
    const txn = await p.begin();
    await txn.sendOffsets(groupId, [{ topic, partition: 1, offset: '3' }]);
    try {
      const fetch = (partitions?: number[]) =>
        admin.fetchOffsets({
          groupId,
          topics: [topic],
          requireStable: true,
          stableWaitMs: 300,
          ...(partitions && { partitions }),
        });
      // partition 0 only: answered at once (no committed offset: -1)
      expect(await fetch([0])).toEqual([
        { topic, partitions: [expect.objectContaining({ partition: 0, offset: '-1' })] },
      ]);
      // every partition: partition 1's open transaction holds the whole fetch
      await expect(fetch()).rejects.toThrow(/offsets of k447-two.* still unstable after 300 ms/);
      await expect(fetch([1])).rejects.toThrow(/\(partitions 1\) were still unstable/);
    } finally {
      await txn.abort();
    }
    const [after] = await admin.fetchOffsets({ groupId, topics: [topic], requireStable: true });
    expect(after?.partitions.map((x) => x.offset)).toEqual(['-1', '-1']);
  }, 60_000);
});
