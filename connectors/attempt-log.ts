/**
 * The durable record of the calls a connector makes: before an attempt is sent, its `(commandId, attempt)` is
 * written to `<prefix>action-attempts` (acks from every in-sync replica) and the call waits for that. After a
 * crash, the next incarnation reads those records back for the command partitions it takes over, so a command
 * whose call may have reached the endpoint is never reported as not attempted (`expired`); it is called again
 * with the same `Idempotency-Key` while its deadline allows, and is `timedout` with its attempts after that.
 *
 * Records go to partition `p mod N` of the attempts topic for command partition `p`; writes from concurrent
 * calls share one produce request (group commit). Reads use a throwaway consumer group (as changelog restores
 * do), from the first record at or after a time given by the caller: the produce time of the oldest command not
 * yet committed, minus a margin for clock skew between the engine and the connector.
 */
import { randomUUID } from 'node:crypto';
import {
  restoreChangelogs,
  retryKafka,
  SystemClock,
  type Admin,
  type KafkaClient,
  type Producer,
} from '../topology/index.js';
import { ConnectorRetryableError } from './errors.js';

export interface AttemptLogOptions {
  readonly kafka: KafkaClient;
  /** `<prefix>action-attempts`. */
  readonly topic: string;
  /** The command topic: the attempts topic is created with its partition count when missing. */
  readonly commandTopic: string;
  /** Prefix of the throwaway consumer groups that read the log back. */
  readonly readGroupPrefix: string;
  /** Attempt counts kept in memory (oldest dropped first); default 200,000. */
  readonly maxEntries?: number;
}

/** Where reading starts for one command partition, and what it found. */
export interface AttemptLoad {
  readonly partition: number;
  /** Epoch ms: records before it are not read. */
  readonly fromTimestamp: number;
}

interface Pending {
  readonly partition: number;
  readonly commandId: string;
  readonly attempt: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Seven days: a connector that comes back within that still finds what its predecessor attempted. */
const RETENTION_MS = 7 * 24 * 3600 * 1000;

export class AttemptLog {
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private partitions = 1;
  private readonly counts = new Map<string, number>();
  private queue: Pending[] = [];
  private sending: Promise<void> | undefined;
  private readonly maxEntries: number;

  constructor(private readonly opts: AttemptLogOptions) {
    this.maxEntries = opts.maxEntries ?? 200_000;
  }

  /** Creates the topic when missing and connects the producer. */
  async start(): Promise<void> {
    const { kafka, topic, commandTopic } = this.opts;
    this.admin = kafka.admin();
    await this.admin.connect();
    const admin = this.admin;
    // a topic created a moment ago may not be in every broker's metadata yet (UNKNOWN_TOPIC_OR_PARTITION, retriable)
    const meta = await retryKafka(() => admin.fetchTopicMetadata({ topics: [commandTopic] }));
    const numPartitions = meta.topics[0]?.partitions.length ?? 1;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions,
          configEntries: [
            { name: 'retention.ms', value: String(RETENTION_MS) },
            { name: 'segment.ms', value: String(3600 * 1000) },
          ],
        },
      ],
    });
    const own = await retryKafka(() => admin.fetchTopicMetadata({ topics: [topic] }));
    this.partitions = Math.max(1, own.topics[0]?.partitions.length ?? 1);
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await this.sending?.catch(() => undefined);
    await p?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** Attempts recorded for a command (by this process, or read back from the log). */
  attempts(commandId: string): number {
    return this.counts.get(commandId) ?? 0;
  }

  /**
   * Resolves once attempt `attempt` of `commandId` (taken from command partition `partition`) is durable;
   * rejects with `ATTEMPT_LOG_FAILED` when it could not be written (the call must then not be made).
   */
  record(partition: number, commandId: string, attempt: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ partition, commandId, attempt, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.sending) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Reads back what earlier incarnations recorded for these command partitions. */
  async load(parts: readonly AttemptLoad[]): Promise<void> {
    if (parts.length === 0) return;
    const admin = this.admin;
    if (!admin) throw new Error('AttemptLog not started');
    const byPartition = new Map<number, number>();
    for (const p of parts) {
      const q = p.partition % this.partitions;
      byPartition.set(q, Math.min(byPartition.get(q) ?? Infinity, p.fromTimestamp));
    }
    const starts = await Promise.all(
      [...byPartition].map(async ([partition, ts]) => {
        const offsets = await admin.fetchTopicOffsetsByTimestamp(this.opts.topic, Math.max(0, ts));
        const offset = offsets.find((o) => o.partition === partition)?.offset ?? '0';
        return { partition, startOffset: Number(offset) };
      }),
    );
    await restoreChangelogs({
      kafka: this.opts.kafka,
      groupId: `${this.opts.readGroupPrefix}-${randomUUID()}`,
      clock: new SystemClock(),
      partitions: starts.map((s) => ({
        topic: this.opts.topic,
        partition: s.partition,
        startOffset: s.startOffset,
        target: {
          applyRestoreBatch: async (entries) => {
            for (const [commandId, value] of entries) {
              const rec = value === null ? undefined : (JSON.parse(value.toString()) as { attempt?: unknown });
              const attempt = Number(rec?.attempt ?? 0);
              this.note(commandId, attempt);
            }
          },
        },
      })),
    });
  }

  private note(commandId: string, attempt: number): void {
    const had = this.counts.get(commandId) ?? 0;
    if (attempt <= had) return;
    this.counts.delete(commandId);
    this.counts.set(commandId, attempt);
    for (const k of this.counts.keys()) {
      if (this.counts.size <= this.maxEntries) break;
      this.counts.delete(k);
    }
  }

  /** One produce request at a time; records arriving meanwhile go together in the next one. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (!this.producer) throw new Error('the attempt log is stopped');
        const at = new Date().toISOString();
        await this.producer.send({
          topic: this.opts.topic,
          acks: -1,
          messages: batch.map((b) => ({
            partition: b.partition % this.partitions,
            key: b.commandId,
            value: JSON.stringify({ commandId: b.commandId, attempt: b.attempt, at }),
          })),
        });
        for (const b of batch) {
          this.note(b.commandId, b.attempt);
          b.resolve();
        }
      } catch (err) {
        const e = new ConnectorRetryableError('ATTEMPT_LOG_FAILED', `could not record attempts: ${String(err)}`);
        for (const b of batch) b.reject(e);
      }
    }
  }
}
