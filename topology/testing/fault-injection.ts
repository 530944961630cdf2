/**
 * Fault injection through the Kafka port: a transactional producer that fails one chosen step of one chosen
 * transaction, either on its own (in memory, recording what was committed) or wrapped around a real producer.
 */
import type {
  KafkaTransaction,
  OutRecord,
  PartitionOffset,
  ProduceResult,
  TransactionalProducer,
} from '../kafka/port.js';

/** The step of a transaction that fails. */
export type TxnStep = 'begin' | 'send' | 'sendOffsets' | 'commit' | 'abort';

export interface FaultPlan {
  readonly step: TxnStep;
  /** Which transaction (1 = the first begun through this plan) fails; default 1. */
  readonly transaction?: number;
  /** For `send`: which produce request of that transaction fails (1-based); default 1. */
  readonly request?: number;
}

/** Counts transactions across producers (a rebuilt owner's new producer shares the plan) and fires once. */
export class FaultSwitch {
  private begun = 0;
  private fired = false;

  constructor(readonly plan: FaultPlan) {}

  get hasFired(): boolean {
    return this.fired;
  }

  /** Called at each `begin`: the 1-based number of the transaction being begun. */
  nextTransaction(): number {
    return ++this.begun;
  }

  /** Throws the injected failure if this is the planned step of the planned transaction. */
  check(step: TxnStep, transaction: number, request = 1): void {
    const p = this.plan;
    if (this.fired || step !== p.step || transaction !== (p.transaction ?? 1)) return;
    if (step === 'send' && request !== (p.request ?? 1)) return;
    this.fired = true;
    throw Object.assign(new Error(`injected failure at ${step} of transaction ${transaction}`), {
      injected: true,
      retriable: false,
    });
  }
}

/** Wraps a producer so that the planned step fails once (the real call is not made when it fails). */
export function faultyProducer(inner: TransactionalProducer, faults: FaultSwitch): TransactionalProducer {
  return {
    transactionalId: inner.transactionalId,
    connect: () => inner.connect(),
    disconnect: () => inner.disconnect(),
    async begin(): Promise<KafkaTransaction> {
      const n = faults.nextTransaction();
      faults.check('begin', n);
      const txn = await inner.begin();
      let requests = 0;
      return {
        send: async (records) => {
          faults.check('send', n, ++requests);
          return txn.send(records);
        },
        sendOffsets: async (groupId, offsets, group) => {
          faults.check('sendOffsets', n);
          return txn.sendOffsets(groupId, offsets, group);
        },
        commit: async () => {
          faults.check('commit', n);
          return txn.commit();
        },
        abort: async () => {
          // An abort that fails still leaves the broker to abort the transaction (on timeout or fencing).
          faults.check('abort', n);
          return txn.abort();
        },
      };
    },
  };
}

/** What an in-memory producer committed: one entry per committed transaction. */
export interface CommittedTransaction {
  readonly records: readonly OutRecord[];
  readonly offsets: ReadonlyArray<PartitionOffset & { readonly groupId: string }>;
}

/** An in-memory transactional producer (no broker): committed transactions are kept, aborted ones dropped. */
export class InMemoryTransactionalProducer implements TransactionalProducer {
  readonly committed: CommittedTransaction[] = [];
  /** Produce requests seen, committed or not (to check that nothing was sent after a refusal). */
  requests = 0;
  private open = false;
  private readonly ends = new Map<string, number>();

  constructor(readonly transactionalId = 'in-memory') {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async begin(): Promise<KafkaTransaction> {
    if (this.open) throw new Error('a transaction is already open');
    this.open = true;
    const records: OutRecord[] = [];
    const offsets: Array<PartitionOffset & { groupId: string }> = [];
    const end = () => {
      if (!this.open) throw new Error('no open transaction');
      this.open = false;
    };
    return {
      send: async (batch): Promise<ProduceResult[]> => {
        this.requests++;
        records.push(...batch);
        const results = new Map<string, ProduceResult>();
        for (const r of batch) {
          const tp = `${r.topic}/${r.partition ?? 0}`;
          const next = this.ends.get(tp) ?? 0;
          this.ends.set(tp, next + 1);
          if (!results.has(tp))
            results.set(tp, { topic: r.topic, partition: r.partition ?? 0, baseOffset: String(next) });
        }
        return [...results.values()];
      },
      sendOffsets: async (groupId, list) => {
        offsets.push(...list.map((o) => ({ ...o, groupId })));
      },
      commit: async () => {
        end();
        this.committed.push({ records, offsets });
      },
      abort: async () => end(),
    };
  }
}
