/**
 * Pipelined exactly-once commits over two transactional producers used in turn, for a task without state stores
 * (the first hop of a repartitioning topology). With one producer a record processed while a commit is in flight
 * waits for that whole commit and then its own; here the next transaction begins on the other producer as soon as
 * the previous one's outputs are acknowledged, and sends its outputs and offsets while the previous one commits.
 *
 * What keeps it exactly-once, commit k+1 after commit k:
 * - its outputs are sent only after every produce request of k was acknowledged (per-partition order, so per-key
 *   order, is kept in the output topics);
 * - its offsets are sent only after k's offsets were acknowledged: the group coordinator keeps, of two committed
 *   transactional offset commits, the one appended later (Kafka 4.1 OffsetMetadataManager compares record offsets),
 *   so k+1's offsets win whatever order the two commit markers are written in;
 * - it commits only after k committed; when k failed it aborts, and so does every later commit (the
 *   `TransactionCommitter` contract: a committer that failed once never commits again);
 * - a new owner fences both transactional ids before reading offsets: each one's open transaction is aborted or its
 *   committing one completed, so at most a committed prefix of the sequence remains.
 * Only for tasks without stores: a store's commit bookkeeping (changelog ends, write epochs) follows one commit at a
 * time.
 */
import type { TransactionalProducer } from '../kafka/port.js';
import {
  CommitAfterFailureError,
  TransactionCommitter,
  sendInRequests,
  type CommitInput,
  type SentRequest,
} from './transaction-committer.js';

/** What a task commits through: one transaction per call, in call order. */
export interface Committer {
  /** How many commits may be in flight at once (the task starts the next one while earlier ones settle). */
  readonly depth: number;
  commit(input: CommitInput): Promise<SentRequest[]>;
}

export interface PipelinedCommitterOptions {
  /** Two producers with different transactional ids, both connected (fenced) by the owner. */
  readonly producers: readonly [TransactionalProducer, TransactionalProducer];
  readonly groupId: string;
  readonly maxRequestBytes?: number;
}

/** The points of a commit that the next one waits for. */
interface Milestones {
  readonly sent: Promise<void>;
  readonly offsetsSent: Promise<void>;
  /** True when the commit went through; false when it failed or was refused. */
  readonly committed: Promise<boolean>;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const DONE: Milestones = { sent: Promise.resolve(), offsetsSent: Promise.resolve(), committed: Promise.resolve(true) };

export class PipelinedCommitter implements Committer {
  readonly depth = 2;
  /** The first failed commit (its place in call order): it and every later commit are refused or aborted. */
  private failure: { readonly err: unknown; readonly index: number } | undefined;
  private count = 0;
  private last: Milestones = DONE;
  /** Per producer, its previous transaction settled (a producer runs one transaction at a time). */
  private readonly free: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve()];

  constructor(private readonly opts: PipelinedCommitterOptions) {}

  /** The first commit failure, if any: from then on every commit is refused. */
  get failed(): { readonly err: unknown; readonly index: number } | undefined {
    return this.failure;
  }

  /** Same contract as `TransactionCommitter.commit`: in call order, all or nothing, nothing after a failure. */
  commit(input: CommitInput): Promise<SentRequest[]> {
    const index = this.count++;
    const slot = index % 2;
    const producer = this.opts.producers[slot] as TransactionalProducer;
    const previous = this.last;
    const mine = { sent: deferred<void>(), offsetsSent: deferred<void>(), committed: deferred<boolean>() };
    this.last = { sent: mine.sent.promise, offsetsSent: mine.offsetsSent.promise, committed: mine.committed.promise };
    const run = this.run(index, input, producer, this.free[slot], previous, mine);
    this.free[slot] = run.catch(() => undefined);
    return run;
  }

  /** Refuses commit `index` once an earlier one failed (a later one failing does not stop an earlier one). */
  private refuseAfterFailure(index: number): void {
    if (this.failure && this.failure.index < index) throw new CommitAfterFailureError(this.failure.err);
  }

  private async run(
    index: number,
    input: CommitInput,
    producer: TransactionalProducer,
    free: Promise<unknown> | undefined,
    previous: Milestones,
    mine: { sent: Deferred<void>; offsetsSent: Deferred<void>; committed: Deferred<boolean> },
  ): Promise<SentRequest[]> {
    let committed = false;
    let txn: Awaited<ReturnType<TransactionalProducer['begin']>> | undefined;
    try {
      await free;
      await previous.sent;
      this.refuseAfterFailure(index);
      const empty = input.records.length === 0 && input.offsets.length === 0;
      if (!empty) txn = await producer.begin();
      const sent = txn ? await sendInRequests(txn, input.records, this.opts.maxRequestBytes) : [];
      mine.sent.resolve();
      await previous.offsetsSent;
      this.refuseAfterFailure(index);
      if (txn && input.offsets.length) await txn.sendOffsets(this.opts.groupId, input.offsets);
      mine.offsetsSent.resolve();
      if (!(await previous.committed)) throw new CommitAfterFailureError(this.failure?.err);
      this.refuseAfterFailure(index);
      await txn?.commit();
      committed = true;
      return sent;
    } catch (err) {
      if (!this.failure || index < this.failure.index) this.failure = { err, index };
      await txn?.abort().catch(() => undefined);
      throw err;
    } finally {
      mine.sent.resolve();
      mine.offsetsSent.resolve();
      mine.committed.resolve(committed);
    }
  }
}

/** A task's committer: pipelined over two producers when it was given two, else one transaction at a time. */
export function taskCommitter(producers: readonly TransactionalProducer[], groupId: string): Committer {
  const [a, b] = producers;
  if (!a) throw new Error('a task committer needs a transactional producer');
  if (b) return new PipelinedCommitter({ producers: [a, b], groupId });
  const single = new TransactionCommitter({ producer: a, groupId });
  return { depth: 1, commit: (input) => single.commit(input) };
}
