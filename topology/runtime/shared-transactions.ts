/**
 * One exactly-once transaction at a time for all the tasks of a process (Kafka Streams' `exactly_once_v2`), instead
 * of one transactional producer and transaction per task. Tasks commit through `committerFor(taskId)`; the commits
 * asked for while a transaction runs (and those asked for in the same event-loop turn) go together in the next one:
 * group commit. At low and moderate load this is the difference between ~12 transactions per interval (6 partitions
 * × 2 sub-topologies, each transaction 4–5 broker requests) and one.
 *
 * What keeps it exactly-once:
 * - a group's records and offsets commit or abort together (one `TransactionCommitter` transaction);
 * - a task has at most one commit in flight (depth 1), and a task whose commit failed or was refused never commits
 *   again through the same member: it fails and is relaunched from its last committed transaction;
 * - when a transaction fails, every commit waiting for the next one is refused too (its task's earlier work might be
 *   in the failed one), and the next commit starts a new session: a new producer with the same transactional id,
 *   whose initialisation aborts whatever the failed one left open;
 * - fencing of a previous owner of a task (a zombie after a rebalance) is by the consumer group's generation in the
 *   offset commit (KIP-447), passed as `groupMetadata`, and a new owner reads offsets with `requireStable`.
 */
import type { ConsumerGroupMetadata, TransactionalProducer, TransactionalProducerFactory } from '../kafka/port.js';
import type { Timer } from '../api/timer.js';
import type { KafkaClient } from '../kafka/kafka-client.js';
import type { StreamsAppOptions } from './streams-app-options.js';
import {
  CommitAfterFailureError,
  TransactionCommitter,
  type CommitInput,
  type SentRequest,
} from './transaction-committer.js';
import type { Committer } from './transaction-pipeline.js';
import type { StreamsDiagnostics } from '../api/diagnostics.js';

/** The app's shared transactions under exactly-once with `transactionScope: 'process'`; otherwise none. */
export function processTransactions(
  o: StreamsAppOptions,
  exactlyOnce: boolean,
  instanceId: string,
  kafka: KafkaClient,
  timer: Timer,
  events?: StreamsDiagnostics,
): SharedTransactions | undefined {
  if (!exactlyOnce || o.transactionScope !== 'process') return undefined;
  return new SharedTransactions({
    producers: o.producers ?? ((p) => kafka.transactionalProducer(p)),
    transactionalId: `${o.applicationId}-${instanceId}`,
    groupId: o.applicationId,
    timer,
    // Kafka Streams' exactly-once default: what a crashed process left open is aborted within 10 s
    transactionTimeoutMs: 10_000,
    ...(events ? { events } : {}),
  });
}

export interface SharedTransactionsOptions {
  readonly producers: TransactionalProducerFactory;
  /** One per process, stable across its restarts (so a restart aborts what the crashed process left open). */
  readonly transactionalId: string;
  readonly groupId: string;
  readonly timer: Timer;
  /** How long the broker keeps an open transaction of a process that died before aborting it. */
  readonly transactionTimeoutMs?: number;
  readonly maxRequestBytes?: number;
  /** Where each transaction's outcome is reported (`transaction`, `transaction-failed`: runtime metrics). */
  readonly events?: StreamsDiagnostics;
}

interface Entry {
  readonly member: Member;
  readonly input: CommitInput;
  resolve(sent: SentRequest[]): void;
  reject(err: unknown): void;
}

interface Session {
  readonly producer: TransactionalProducer;
  readonly committer: TransactionCommitter;
  readonly ready: Promise<void>;
}

/** A task's committer on the shared transactions: one commit at a time, none after a failure. */
class Member implements Committer {
  readonly depth = 1;
  failure: { readonly err: unknown } | undefined;

  constructor(
    readonly taskId: string,
    private readonly shared: SharedTransactions,
  ) {}

  commit(input: CommitInput): Promise<SentRequest[]> {
    if (this.failure) return Promise.reject(new CommitAfterFailureError(this.failure.err));
    return this.shared.enqueue(this, input);
  }
}

export class SharedTransactions {
  private pending: Entry[] = [];
  private running = false;
  private scheduled = false;
  private session: Session | undefined;
  private closed = false;
  /** A rebalance is under way: transactions wait for its assignment (and generation) instead of being refused. */
  private held = false;
  /**
   * The consumer group membership the offsets are committed under (KIP-447): set by the app when an assignment
   * arrives, not read live, so a transaction formed before a rebalance carries the old generation and is refused by
   * the group coordinator instead of committing, under the new generation, offsets of a task this member lost.
   */
  private membership: ConsumerGroupMetadata | undefined;

  constructor(private readonly opts: SharedTransactionsOptions) {}

  /** Initialises the transactional id now (fencing this instance's previous incarnation), not at the first commit. */
  async connect(): Promise<void> {
    await this.open();
  }

  /**
   * A new assignment under `membership`: commits waiting for the next transaction from tasks not in `kept` are
   * refused (another member may own those tasks now), and later transactions carry the new membership.
   */
  assigned(membership: ConsumerGroupMetadata | undefined, kept: ReadonlySet<string>): void {
    this.membership = membership;
    const revoked = this.pending.filter((e) => !kept.has(e.member.taskId));
    this.pending = this.pending.filter((e) => kept.has(e.member.taskId));
    const err = new Error('the task was revoked before its commit was sent');
    for (const e of revoked) {
      e.member.failure ??= { err };
      e.reject(err);
    }
    this.release();
  }

  /**
   * The consumer is rejoining its group: from the moment the other members have joined the group has a new
   * generation, and a transaction carrying the old one would be refused (failing every task in it). Commits wait
   * for the assignment (`assigned`) instead; the transaction already running, if any, goes on.
   */
  rebalancing(): void {
    this.held = true;
  }

  /** Commits go on (after a rebalance, or when the app closes during one). */
  release(): void {
    this.held = false;
    if (this.pending.length > 0) this.schedule();
  }

  /** A task's committer (a new one for each launch of the task). */
  committerFor(taskId: string): Committer {
    return new Member(taskId, this);
  }

  /** Queues a member's commit for the next transaction. */
  enqueue(member: Member, input: CommitInput): Promise<SentRequest[]> {
    if (this.closed) return Promise.reject(new Error('the shared transactions are closed'));
    return new Promise<SentRequest[]>((resolve, reject) => {
      this.pending.push({ member, input, resolve, reject });
      this.schedule();
    });
  }

  /** The next transaction starts after this event-loop turn, so the tasks committing in it share it. */
  private schedule(): void {
    if (this.running || this.scheduled || this.held) return;
    this.scheduled = true;
    void this.opts.timer.yield().then(() => {
      this.scheduled = false;
      return this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.held) return;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    this.running = true;
    try {
      const session = await this.open();
      const records = group.length === 1 ? group[0]!.input.records : group.flatMap((e) => e.input.records);
      const offsets = group.length === 1 ? group[0]!.input.offsets : group.flatMap((e) => e.input.offsets);
      const membership = this.membership;
      const started = performance.now();
      const sent = await session.committer.commit({ records, offsets, ...(membership ? { membership } : {}) });
      const latencyMs = performance.now() - started;
      this.opts.events?.emit('transaction', { latencyMs, commits: group.length, records: records.length });
      distribute(group, sent);
    } catch (err) {
      this.opts.events?.emit('transaction-failed', { commits: group.length, error: err });
      this.fail(group, err);
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  /**
   * A transaction failed: its members, and those waiting for the next one, are refused from now on; the producer is
   * dropped and the next commit opens a new session.
   */
  private fail(group: readonly Entry[], err: unknown): void {
    const waiting = this.pending;
    this.pending = [];
    for (const e of group) {
      e.member.failure ??= { err };
      e.reject(err);
    }
    for (const e of waiting) {
      e.member.failure ??= { err };
      e.reject(new CommitAfterFailureError(err));
    }
    const s = this.session;
    this.session = undefined;
    if (s) void s.ready.then(() => s.producer.disconnect()).catch(() => undefined);
  }

  private open(): Promise<Session> {
    let s = this.session;
    if (!s) {
      const producer = this.opts.producers({
        transactionalId: this.opts.transactionalId,
        ...(this.opts.transactionTimeoutMs === undefined
          ? {}
          : { transactionTimeoutMs: this.opts.transactionTimeoutMs }),
      });
      const committer = new TransactionCommitter({
        producer,
        groupId: this.opts.groupId,
        ...(this.opts.maxRequestBytes === undefined ? {} : { maxRequestBytes: this.opts.maxRequestBytes }),
      });
      const opened: Session = {
        producer,
        committer,
        // a failed connect is not kept: the next commit tries a new producer
        ready: producer.connect().catch((err: unknown) => {
          if (this.session === opened) this.session = undefined;
          throw err;
        }),
      };
      s = opened;
      this.session = s;
    }
    const session = s;
    return session.ready.then(() => session);
  }

  /** Waits for the transaction under way, then drops the producer; later commits are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.release();
    while (this.running || this.scheduled || this.pending.length > 0) await this.opts.timer.sleep(5);
    const s = this.session;
    this.session = undefined;
    if (s) await s.ready.then(() => s.producer.disconnect()).catch(() => undefined);
  }
}

/**
 * Gives each member its share of the produce requests: the records of a group were sent in order, its members'
 * records one after the other, so each member's records in a request are a contiguous run of its own, in order
 * (what `changelogEnds` reads: a task's changelog partitions are its own).
 */
function distribute(group: readonly Entry[], sent: readonly SentRequest[]): void {
  if (group.length === 1) return group[0]!.resolve([...sent]);
  let req = 0;
  let at = 0; // position in sent[req].records
  for (const e of group) {
    const mine: SentRequest[] = [];
    let left = e.input.records.length;
    while (left > 0) {
      const r = sent[req] as SentRequest;
      const take = Math.min(left, r.records.length - at);
      mine.push({ records: r.records.slice(at, at + take), results: r.results });
      left -= take;
      at += take;
      if (at === r.records.length) {
        req++;
        at = 0;
      }
    }
    e.resolve(mine);
  }
}
