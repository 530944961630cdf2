/**
 * The depth of the durable throttle queue (`jo_action_queue_depth{action}`, issue 18): what the queue consumer has
 * fetched and not yet answered (the {@link ThrottleGate} knows those per action) plus what is still in its
 * partitions beyond the last fetched batch. The latter is sampled: every `intervalMs` the end offsets of
 * `<prefix>action-queue.<connector>` are read (one ListOffsets request), and each fetched batch brings its
 * partition's high watermark too. A consumer stuck on a long batch (a deep queue at 50/s fetches a new batch every
 * few seconds) still sees its depth grow as commands are moved in.
 *
 * Records are keyed by action id, so one action's commands are all in one partition. The unread part of a partition
 * is attributed to the actions read from it so far, in proportion to how many of each were read: exact for an action
 * that has its partition to itself (the usual case), an estimate for actions sharing one. It counts the transaction
 * markers among the unread records too (one per transaction of the command consumer that moved commands in: at most
 * one per chunk of commands, so a few per cent while deep, and 0 once the consumer has read to the end).
 */
import type { Admin } from '../topology/index.js';
import type { Timer } from '../topology/index.js';

export interface QueueDepthOptions {
  readonly admin: () => Promise<Admin>;
  /** `<prefix>action-queue.<connector>`. */
  readonly topic: string;
  readonly timer: Timer;
  /** How often the end offsets are read; default 2 s. */
  readonly intervalMs?: number;
  /** Called with the unread records per action after every change (sample or fetched batch). */
  readonly onUnread: (unread: ReadonlyMap<string, number>) => void;
}

interface PartitionView {
  /** Next offset after the last batch the consumer fetched (records and markers). */
  through: bigint;
  /** The partition's end offset, as last seen (batch high watermark or sampled). */
  end: bigint;
  /** Records read per action, for the attribution of the unread part. */
  readonly mix: Map<string, number>;
}

/** Keeps, per owned queue partition, how far the consumer fetched and where the partition ends. */
export class QueueDepth {
  private readonly parts = new Map<number, PartitionView>();
  private cancel: (() => void) | undefined;
  private stopped = true;

  constructor(private readonly opts: QueueDepthOptions) {}

  /** Starts sampling the end offsets. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }

  /**
   * A batch of `partition` was handed to the consumer: `actions` are its records' actions (in order), `lastOffset`
   * its last offset (records or markers), `highWatermark` the partition's end when it was fetched.
   */
  fetched(partition: number, actions: readonly string[], lastOffset: string, highWatermark: string): void {
    const p = this.part(partition);
    p.through = maxBig(p.through, BigInt(lastOffset) + 1n);
    p.end = maxBig(p.end, BigInt(highWatermark));
    for (const a of actions) p.mix.set(a, (p.mix.get(a) ?? 0) + 1);
    this.publish();
  }

  /** The queue's partitions moved (a rebalance): the new owner reports them; this process starts again. */
  forget(): void {
    this.parts.clear();
    this.publish();
  }

  /** Records not yet fetched per action, over the partitions this process has fetched from. */
  unread(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.parts.values()) {
      const left = Number(p.end > p.through ? p.end - p.through : 0n);
      let read = 0;
      for (const n of p.mix.values()) read += n;
      for (const [action, n] of p.mix) out.set(action, (out.get(action) ?? 0) + (read === 0 ? 0 : (left * n) / read));
    }
    for (const [a, n] of out) out.set(a, Math.round(n));
    return out;
  }

  /** Reads the end offsets once (what the periodic sampling does). */
  async sample(): Promise<void> {
    if (this.parts.size === 0) return;
    const admin = await this.opts.admin();
    for (const o of await admin.fetchTopicOffsets(this.opts.topic)) {
      const p = this.parts.get(o.partition);
      if (p) p.end = maxBig(p.end, BigInt(o.high));
    }
    this.publish();
  }

  private part(partition: number): PartitionView {
    let p = this.parts.get(partition);
    if (!p) this.parts.set(partition, (p = { through: 0n, end: 0n, mix: new Map() }));
    return p;
  }

  private publish(): void {
    this.opts.onUnread(this.unread());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.opts.timer.after(this.opts.intervalMs ?? 2_000, () => {
      // a failed sample (broker away) keeps the last values; the next one tries again
      void this.sample()
        .catch(() => undefined)
        .finally(() => this.schedule());
    });
  }
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
