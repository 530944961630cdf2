/**
 * Group commit for a command consumer: chunks answered while a transaction is running wait and go together in the
 * next one, so partitions consumed in parallel share transactions. One transaction at a time per producer.
 */
import type { OutRecord, PartitionOffset, TransactionCommitter } from '../topology/index.js';

interface PendingCommit {
  readonly outs: readonly OutRecord[];
  readonly topic: string;
  readonly partition: number;
  /** Offset to commit: the chunk's last offset + 1. */
  readonly next: bigint;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Owned by one `CommandConsumer`; {@link session} is called at the start of every consumer session. */
export class GroupCommit {
  private chain: Promise<void> = Promise.resolve();
  private readonly pending: PendingCommit[] = [];
  /** Next offset to process per `topic|partition`, as committed by this instance's own transactions. */
  private readonly committed = new Map<string, bigint>();
  private committer!: TransactionCommitter;
  private ready: Promise<void> = Promise.resolve();

  /**
   * A new session's committer (after a failed transaction the old one refuses every commit), and what resolves
   * once its producer is connected: commits wait for it.
   */
  session(committer: TransactionCommitter, ready: Promise<void>): void {
    this.committer = committer;
    this.ready = ready;
  }

  /** The next offset this instance itself committed for a partition; -1n when none. */
  committedOffset(topic: string, partition: number): bigint {
    return this.committed.get(`${topic}|${partition}`) ?? -1n;
  }

  /** Resolves when the transaction under way, if any, has ended (either way). */
  settled(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  /** Writes `outs` and commits the chunk's offsets in one transaction; rejects when that transaction failed. */
  commit(outs: readonly OutRecord[], topic: string, partition: number, lastOffset: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ outs, topic, partition, next: BigInt(lastOffset) + 1n, resolve, reject });
      if (this.pending.length === 1) this.chain = this.chain.then(() => this.flush());
    });
  }

  /** One transaction through the shared exactly-once committer (size-bounded requests, offsets, abort on failure). */
  private async flush(): Promise<void> {
    const group = this.pending.splice(0);
    if (group.length === 0) return;
    const offsets = new Map<string, PartitionOffset>();
    for (const g of group) {
      const k = `${g.topic}|${g.partition}`;
      const have = offsets.get(k);
      if (!have || BigInt(have.offset) < g.next)
        offsets.set(k, { topic: g.topic, partition: g.partition, offset: String(g.next) });
    }
    try {
      await this.ready;
      await this.committer.commit({ records: group.flatMap((g) => g.outs), offsets: [...offsets.values()] });
    } catch (err) {
      group.forEach((g) => g.reject(err));
      return;
    }
    for (const o of group) {
      const k = `${o.topic}|${o.partition}`;
      if ((this.committed.get(k) ?? -1n) < o.next) this.committed.set(k, o.next);
      o.resolve();
    }
  }
}
