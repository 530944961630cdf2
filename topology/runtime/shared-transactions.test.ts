import { describe, expect, it } from 'vitest';
import type { OutRecord, TransactionalProducer } from '../kafka/port.js';
import { SystemTimer } from '../api/timer.js';
import { StreamsDiagnostics } from '../api/diagnostics.js';
import { FaultSwitch, InMemoryTransactionalProducer, faultyProducer } from '../testing/fault-injection.js';
import { SharedTransactions } from './shared-transactions.js';
import { CommitAfterFailureError, type CommitInput } from './transaction-committer.js';
import { changelogEnds } from './task-commit.js';

/** Task `p`'s commit n: two changelog records on its own partition, one output, its input offset n + 1. */
const input = (p: number, n: number): CommitInput => ({
  records: [
    { topic: 'cl', partition: p, key: `k${p}.${n}.a`, value: 'v' },
    { topic: 'out', partition: 0, key: `k${p}.${n}`, value: 'v' },
    { topic: 'cl', partition: p, key: `k${p}.${n}.b`, value: 'v' },
  ] satisfies OutRecord[],
  offsets: [{ topic: 'in', partition: p, offset: String(n + 1) }],
});

/** Holds every transaction's commit until `open` (to ask for commits while one runs). */
function gated(inner: TransactionalProducer, gate: { wait: Promise<void> }): TransactionalProducer {
  return {
    transactionalId: inner.transactionalId,
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    async begin() {
      const txn = await inner.begin();
      return { ...txn, commit: async () => (await gate.wait, txn.commit()) };
    },
  };
}

function setup(opts: { faults?: FaultSwitch; maxRequestBytes?: number } = {}) {
  const producers: InMemoryTransactionalProducer[] = [];
  let open = () => {};
  const gate = { wait: Promise.resolve() };
  /** The transactions' outcomes as reported to the runtime metrics: `committed <task commits>/<records>`. */
  const outcomes: string[] = [];
  const events = new StreamsDiagnostics()
    .on('transaction', (e) => outcomes.push(`committed ${e.commits}/${e.records}`))
    .on('transaction-failed', (e) => outcomes.push(`failed ${e.commits}`));
  const shared = new SharedTransactions({
    producers: ({ transactionalId }) => {
      const p = new InMemoryTransactionalProducer(transactionalId);
      producers.push(p);
      return gated(opts.faults ? faultyProducer(p, opts.faults) : p, gate);
    },
    transactionalId: 'app-instance',
    groupId: 'g',
    timer: new SystemTimer(),
    events,
    ...(opts.maxRequestBytes === undefined ? {} : { maxRequestBytes: opts.maxRequestBytes }),
  });
  /** From now on commits wait until `release` is called. */
  const hold = () => {
    gate.wait = new Promise<void>((r) => (open = r));
  };
  const release = () => open();
  return { shared, producers, hold, release, outcomes };
}

describe('SharedTransactions', () => {
  it('commits the tasks that commit in the same turn in one transaction, each with its share of the requests', async () => {
    // one record per request: every task's share spans several requests
    const { shared, producers, outcomes } = setup({ maxRequestBytes: 10 });
    const members = [0, 1, 2].map((p) => shared.committerFor(`1_${p}`));
    const sent = await Promise.all(members.map((m, p) => m.commit(input(p, 0))));
    expect(producers).toHaveLength(1);
    expect(producers[0]?.transactionalId).toBe('app-instance');
    expect(producers[0]?.committed).toHaveLength(1);
    const txn = producers[0]?.committed[0];
    expect(txn?.records).toEqual([0, 1, 2].flatMap((p) => input(p, 0).records));
    expect(txn?.offsets.map((o) => `${o.groupId}/${o.topic}/${o.partition}@${o.offset}`)).toEqual([
      'g/in/0@1',
      'g/in/1@1',
      'g/in/2@1',
    ]);
    for (const [p, s] of sent.entries()) {
      expect(s.flatMap((r) => r.records)).toEqual(input(p, 0).records);
      // each task's changelog partition: offsets 0 and 1 written, next is 2
      expect(changelogEnds(input(p, 0).records, s, new Set(['cl']), p)).toEqual(new Map([['cl', 2]]));
    }
    expect(outcomes).toEqual(['committed 3/9']);
  });

  it('commits asked for while a transaction runs go together in the next one', async () => {
    const { shared, producers, hold, release } = setup();
    const members = [0, 1, 2, 3].map((p) => shared.committerFor(`0_${p}`));
    hold();
    const first = members[0]?.commit(input(0, 0));
    await new Promise((r) => setTimeout(r, 5)); // the first transaction is committing
    const rest = members.slice(1).map((m, i) => m.commit(input(i + 1, 0)));
    release();
    await Promise.all([first, ...rest]);
    expect(producers[0]?.committed.map((t) => t.offsets.map((o) => o.partition))).toEqual([[0], [1, 2, 3]]);
  });

  it('after a failed transaction: its tasks and those waiting are refused, later tasks commit on a new producer', async () => {
    const faults = new FaultSwitch({ step: 'commit', transaction: 2 });
    const { shared, producers, hold, release, outcomes } = setup({ faults });
    const [a, b, c] = [0, 1, 2].map((p) => shared.committerFor(`1_${p}`));
    await Promise.all([a?.commit(input(0, 0)), b?.commit(input(1, 0))]);
    // transaction 2 (a) fails; b's commit, asked for meanwhile, waits for the next one and is refused
    hold();
    const failed = a?.commit(input(0, 1));
    await new Promise((r) => setTimeout(r, 5));
    const waiting = b?.commit(input(1, 1));
    release();
    // both settle at once: awaited together, neither is an unhandled rejection meanwhile
    const [f, w] = await Promise.allSettled([failed, waiting]);
    expect(f.status === 'rejected' && String(f.reason)).toMatch(/injected failure at commit/);
    expect(w.status === 'rejected' && w.reason).toBeInstanceOf(CommitAfterFailureError);
    // neither commits again through the same committer (their tasks relaunch from the last commit)
    await expect(a?.commit(input(0, 2))).rejects.toBeInstanceOf(CommitAfterFailureError);
    await expect(b?.commit(input(1, 2))).rejects.toBeInstanceOf(CommitAfterFailureError);
    // a task that was not in them, and a relaunched one, commit through a new producer (same transactional id)
    await Promise.all([c?.commit(input(2, 0)), shared.committerFor('1_0').commit(input(0, 1))]);
    expect(producers.map((p) => p.transactionalId)).toEqual(['app-instance', 'app-instance']);
    expect(outcomes).toEqual(['committed 2/6', 'failed 1', 'committed 2/6']);
    expect(producers[0]?.committed.map((t) => t.offsets.map((o) => `${o.partition}@${o.offset}`))).toEqual([
      ['0@1', '1@1'],
    ]);
    expect(producers[1]?.committed.map((t) => t.offsets.map((o) => `${o.partition}@${o.offset}`))).toEqual([
      ['2@1', '0@2'],
    ]);
  });

  it("during a rebalance commits wait for the assignment; a revoked task's waiting commit is refused", async () => {
    const { shared, producers } = setup();
    const [kept, revoked] = [0, 1].map((p) => shared.committerFor(`1_${p}`));
    shared.rebalancing();
    const a = kept?.commit(input(0, 0));
    // caught at once: it is refused by `assigned`, before the test awaits it
    const b = revoked?.commit(input(1, 0)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    expect(producers[0]?.committed ?? []).toHaveLength(0);
    shared.assigned({ generationId: 2, memberId: 'm' }, new Set(['1_0']));
    await expect(a).resolves.toHaveLength(1);
    expect(String(await b)).toMatch(/revoked/);
    expect(producers[0]?.committed.map((t) => t.offsets.map((o) => o.partition))).toEqual([[0]]);
  });

  it('close waits for the transaction under way and refuses later commits', async () => {
    const { shared, producers } = setup();
    const m = shared.committerFor('0_0');
    const running = m.commit(input(0, 0));
    await shared.close();
    await expect(running).resolves.toHaveLength(1);
    expect(producers[0]?.committed).toHaveLength(1);
    await expect(shared.committerFor('0_1').commit(input(1, 0))).rejects.toThrow(/closed/);
  });
});
