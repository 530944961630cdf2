import { describe, expect, it } from 'vitest';
import type { KafkaTransaction, OutRecord, TransactionalProducer } from '../kafka/port.js';
import {
  FaultSwitch,
  InMemoryTransactionalProducer,
  faultyProducer,
  type FaultPlan,
  type TxnStep,
} from '../testing/fault-injection.js';
import { CommitAfterFailureError, type CommitInput } from './transaction-committer.js';
import { PipelinedCommitter } from './transaction-pipeline.js';

const out = (i: number): OutRecord => ({ topic: 'out', partition: 0, key: `k${i}`, value: 'v'.repeat(40) });

/** Commit n carries outputs 3n..3n+2 and the input offset n + 1 (inputs 0..n processed). */
const input = (n: number): CommitInput => ({
  records: [out(3 * n), out(3 * n + 1), out(3 * n + 2)],
  offsets: [{ topic: 'in', partition: 0, offset: String(n + 1) }],
});

/** Both producers' committed transactions, in the order they committed. */
function committedOf(stores: readonly InMemoryTransactionalProducer[], order: string[]) {
  return order.map((id) => {
    const store = stores.find((s) => s.transactionalId === id.split('#')[0]);
    return store?.committed[Number(id.split('#')[1])];
  });
}

/**
 * Two in-memory producers behind one fault plan (transactions numbered in begin order across both), logging each
 * step's start and end; `hold` keeps every commit step waiting until released, to see what overlaps it.
 */
function setup(...plans: FaultPlan[]) {
  const stores = [new InMemoryTransactionalProducer('a'), new InMemoryTransactionalProducer('b')];
  const switches = plans.map((p) => new FaultSwitch(p));
  const faulty = (p: TransactionalProducer) => switches.reduce((inner, f) => faultyProducer(inner, f), p);
  const log: string[] = [];
  const order: string[] = [];
  const counts = new Map<string, number>();
  let txns = 0;
  const logged = (inner: TransactionalProducer): TransactionalProducer => ({
    transactionalId: inner.transactionalId,
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    async begin(): Promise<KafkaTransaction> {
      const n = ++txns;
      const txn = await inner.begin();
      const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
        log.push(`${name}${n}`);
        const r = await run();
        log.push(`${name}${n} done`);
        return r;
      };
      return {
        send: (records) => step('send', () => txn.send(records)),
        sendOffsets: (g, o) => step('offsets', () => txn.sendOffsets(g, o)),
        commit: () =>
          step('commit', async () => {
            await txn.commit();
            const id = inner.transactionalId;
            order.push(`${id}#${counts.get(id) ?? 0}`);
            counts.set(id, (counts.get(id) ?? 0) + 1);
          }),
        abort: () => step('abort', () => txn.abort()),
      };
    },
  });
  const [a, b] = stores.map((s) => logged(faulty(s))) as [TransactionalProducer, TransactionalProducer];
  const committer = new PipelinedCommitter({ producers: [a, b], groupId: 'g', maxRequestBytes: 100 });
  return { stores, switches, log, committer, committed: () => committedOf(stores, order) };
}

describe('PipelinedCommitter', () => {
  it('commits in call order over both producers; the next sends while the previous commits, and commits after it', async () => {
    const { log, committer, committed } = setup();
    const results = await Promise.all([0, 1, 2, 3].map((n) => committer.commit(input(n))));
    expect(results.map((r) => r.length)).toEqual([3, 3, 3, 3]); // one record per request
    expect(committed().map((t) => t?.offsets.map((o) => o.offset))).toEqual([['1'], ['2'], ['3'], ['4']]);
    expect(committed().flatMap((t) => t?.records)).toEqual([0, 1, 2, 3].flatMap((n) => input(n).records));
    for (let n = 2; n <= 4; n++) {
      const at = (e: string) => log.indexOf(e);
      // ordered: outputs after the previous one's outputs, offsets after its offsets, commit after its commit
      expect(at(`send${n}`)).toBeGreaterThan(log.lastIndexOf(`send${n - 1} done`));
      expect(at(`offsets${n}`)).toBeGreaterThan(at(`offsets${n - 1} done`));
      expect(at(`commit${n}`)).toBeGreaterThan(at(`commit${n - 1} done`));
      // pipelined: the next transaction sent before the previous one committed
      expect(at(`send${n}`)).toBeLessThan(at(`commit${n - 1} done`));
    }
  });

  const steps: Array<[TxnStep, number?]> = [['begin'], ['send', 1], ['send', 2], ['sendOffsets'], ['commit']];
  for (const [step, request] of steps) {
    it(`after a failure at ${step}${request ? ` (request ${request})` : ''}, no later commit: no output lost, no input skipped`, async () => {
      const { switches, committer, committed, log } = setup({ step, transaction: 2, ...(request ? { request } : {}) });
      const calls = [0, 1, 2, 3].map((n) => committer.commit(input(n)));
      await expect(calls[0]).resolves.toBeDefined();
      await expect(calls[1]).rejects.toThrow(/injected failure/);
      await expect(calls[2]).rejects.toBeInstanceOf(CommitAfterFailureError);
      await expect(calls[3]).rejects.toBeInstanceOf(CommitAfterFailureError);
      await expect(committer.commit(input(4))).rejects.toBeInstanceOf(CommitAfterFailureError);
      expect(switches[0]?.hasFired).toBe(true);
      expect(committer.failed).toBeDefined();
      // only the first transaction committed; a later one that had begun was aborted
      expect(committed().map((t) => t?.offsets.map((o) => o.offset))).toEqual([['1']]);
      expect(committed()[0]?.records).toEqual(input(0).records);
      expect(log.filter((e) => e.startsWith('commit') && e.endsWith('done'))).toEqual(['commit1 done']);
    });
  }

  it('a later transaction whose abort fails after an earlier commit failed is still not committed', async () => {
    // transaction 3 had begun (pipelined) when 2 failed at commit; its abort fails as well
    const { switches, committer, committed } = setup(
      { step: 'commit', transaction: 2 },
      { step: 'abort', transaction: 3 },
    );
    const calls = [0, 1, 2].map((n) => committer.commit(input(n)));
    await expect(calls[0]).resolves.toBeDefined();
    await expect(calls[1]).rejects.toThrow(/injected failure at commit/);
    await expect(calls[2]).rejects.toBeInstanceOf(CommitAfterFailureError);
    expect(switches.map((f) => f.hasFired)).toEqual([true, true]);
    expect(committed().map((t) => t?.offsets.map((o) => o.offset))).toEqual([['1']]);
  });

  it('a later transaction failing first does not stop an earlier one from committing', async () => {
    // transaction 2 fails at its first send while transaction 1 is still committing
    const { committer, committed } = setup({ step: 'send', transaction: 2 });
    const calls = [0, 1, 2].map((n) => committer.commit(input(n)));
    await expect(calls[0]).resolves.toBeDefined();
    await expect(calls[1]).rejects.toThrow(/injected/);
    await expect(calls[2]).rejects.toBeInstanceOf(CommitAfterFailureError);
    expect(committed().map((t) => t?.offsets.map((o) => o.offset))).toEqual([['1']]);
  });

  it('sends nothing for an empty commit, and keeps the order around it', async () => {
    const { stores, committer, committed } = setup();
    const calls = [
      committer.commit(input(0)),
      committer.commit({ records: [], offsets: [] }),
      committer.commit(input(1)),
    ];
    expect((await Promise.all(calls))[1]).toEqual([]);
    expect(committed().map((t) => t?.offsets.map((o) => o.offset))).toEqual([['1'], ['2']]);
    expect(stores.reduce((n, s) => n + s.requests, 0)).toBe(6);
  });
});
