import { describe, expect, it } from 'vitest';
import type { OutRecord } from '../kafka/port.js';
import {
  FaultSwitch,
  InMemoryTransactionalProducer,
  faultyProducer,
  type TxnStep,
} from '../testing/fault-injection.js';
import {
  CommitAfterFailureError,
  TransactionCommitter,
  outRecordBytes,
  splitForRequests,
  type CommitInput,
} from './transaction-committer.js';

const out = (i: number, bytes = 40): OutRecord => ({
  topic: 'out',
  partition: 0,
  key: `k${i}`,
  value: 'v'.repeat(bytes),
});

/** Commit n carries outputs 3n..3n+2 and the input offset n + 1 (inputs 0..n processed). */
const input = (n: number, bytes = 40): CommitInput => ({
  records: [out(3 * n, bytes), out(3 * n + 1, bytes), out(3 * n + 2, bytes)],
  offsets: [{ topic: 'in', partition: 0, offset: String(n + 1) }],
});

function setup(step: TxnStep, transaction: number, request?: number) {
  const store = new InMemoryTransactionalProducer();
  const faults = new FaultSwitch({ step, transaction, ...(request === undefined ? {} : { request }) });
  const committer = new TransactionCommitter({
    producer: faultyProducer(store, faults),
    groupId: 'g',
    maxRequestBytes: 100, // one record per request: `send` can fail mid-commit
  });
  return { store, faults, committer };
}

describe('splitForRequests', () => {
  it('bounds the bytes per partition and per request, keeping the order', () => {
    const r = (partition: number | undefined, i: number): OutRecord => ({
      topic: partition === undefined ? 'keyed' : 'out',
      ...(partition === undefined ? {} : { partition }),
      key: `k${i}`,
      value: 'v'.repeat(60),
    });
    const size = outRecordBytes(r(0, 0)); // every record has the same size
    // partitions 0, 1, 2 in turn, 3 records each; at most 2 records of a partition per request
    const records = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => r(i % 3, i));
    const chunks = splitForRequests(records, 2 * size);
    expect(chunks.map((c) => c.map((x) => x.key))).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'],
      ['k6', 'k7', 'k8'],
    ]);
    // and at most 4 records in all
    expect(splitForRequests(records, 2 * size, 4 * size).map((c) => c.length)).toEqual([4, 4, 1]);
    // records without a partition count together per topic
    expect(
      splitForRequests(
        [0, 1, 2].map((i) => r(undefined, i)),
        2 * size,
      ).map((c) => c.length),
    ).toEqual([2, 1]);
  });
});

describe('TransactionCommitter', () => {
  it('commits outputs and offsets together, in size-bounded requests', async () => {
    const { store, committer } = setup('begin', 99);
    const sent = await committer.commit(input(0));
    expect(sent.map((r) => r.records.length)).toEqual([1, 1, 1]);
    expect(store.committed).toEqual([
      { records: input(0).records, offsets: [{ groupId: 'g', topic: 'in', partition: 0, offset: '1' }] },
    ]);
  });

  // The failure mode: commit 2 fails while commit 3 was already called (pipelined). Before this committer, the
  // task runner could start commit 3 after commit 2's abort; it carried offsets covering commit 2's input.
  const steps: Array<[TxnStep, number?]> = [
    ['begin'],
    ['send', 1],
    ['send', 2],
    ['sendOffsets'],
    ['commit'],
    ['abort'],
  ];
  for (const [step, request] of steps) {
    it(`after a failure at ${step}${request ? ` (request ${request})` : ''}, no later commit: no output lost, no input skipped`, async () => {
      // `abort` only runs after another step failed: fail the commit of the same transaction as well.
      const { store, faults, committer } = setup(step, 2, request);
      const failCommitToo = step === 'abort' ? new FaultSwitch({ step: 'commit', transaction: 2 }) : undefined;
      const c = failCommitToo
        ? new TransactionCommitter({
            producer: faultyProducer(faultyProducer(store, faults), failCommitToo),
            groupId: 'g',
            maxRequestBytes: 100,
          })
        : committer;
      const first = c.commit(input(0));
      const second = c.commit(input(1));
      const third = c.commit(input(2)); // called before the second settled
      await expect(first).resolves.toBeDefined();
      await expect(second).rejects.toThrow(/injected failure/);
      await expect(third).rejects.toBeInstanceOf(CommitAfterFailureError);
      await expect(c.commit(input(3))).rejects.toBeInstanceOf(CommitAfterFailureError);
      expect(faults.hasFired).toBe(true);
      expect(c.failed).toBeDefined();
      // Only the first transaction is committed: input 1 and later are not counted as done, and every committed
      // output belongs to a committed input.
      expect(store.committed).toHaveLength(1);
      expect(store.committed[0]?.offsets.map((o) => o.offset)).toEqual(['1']);
      expect(store.committed[0]?.records).toEqual(input(0).records);
    });
  }

  it('a rebuilt owner (new committer, same producer id) carries on from the last committed offsets', async () => {
    const { store, committer } = setup('commit', 1);
    await expect(committer.commit(input(0))).rejects.toThrow(/injected/);
    const rebuilt = new TransactionCommitter({ producer: store, groupId: 'g' });
    await rebuilt.commit(input(0));
    await rebuilt.commit(input(1));
    expect(store.committed.flatMap((t) => t.offsets.map((o) => o.offset))).toEqual(['1', '2']);
    expect(store.committed.flatMap((t) => t.records)).toEqual([...input(0).records, ...input(1).records]);
  });

  it('sends nothing for an empty commit', async () => {
    const { store, committer } = setup('begin', 99);
    expect(await committer.commit({ records: [], offsets: [] })).toEqual([]);
    expect(store.requests).toBe(0);
    expect(store.committed).toEqual([]);
  });
});
