/**
 * The API's copy of `jo.reports`: every partition read `read_committed` from the beginning (a fresh consumer group
 * each start, like the config view), keeping the latest row per (partition, journey version). The pipeline writes
 * those rows in the transactions of the step records they count, so a sum over partitions is exact as of the
 * last transaction each partition committed; it never counts an aborted one. Several API processes each read the
 * whole topic, so any of them answers for every journey.
 */
import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { ReportRow, reportKey } from '../../schemas/index.js';
import { createKafka, ReadCommittedFilter, type Consumer, type KafkaClient } from '../../topology/index.js';

/** What the report route needs. */
export interface ReportSource {
  /** This journey version's row of every partition that has one. */
  rows(journeyId: string, version: number): ReportRow[];
  /** True once the start-up replay reached where the topic ended when it began. */
  isReady(): boolean;
  close(): Promise<void>;
}

export interface KafkaReportViewOptions {
  readonly brokers: readonly string[];
  /** The reports topic (`<prefix>reports`, `jo.reports` by default). */
  readonly topic: string;
  readonly clientId?: string;
  /** Between tries while the topic does not exist yet (the engine creates it). Default 1 s. */
  readonly retryMs?: number;
  /** Told about records that are not report rows (skipped). */
  readonly onBadRecord?: (partition: number, offset: string) => void;
}

export class KafkaReportView implements ReportSource {
  /** `<journeyId>/<version>` → partition → row. */
  private readonly byKey = new Map<string, Map<number, ReportRow>>();
  private readonly target = new Map<number, bigint>();
  private readonly applied = new Map<number, bigint>();
  private ready = false;
  private closed = false;
  private consumer: Consumer | undefined;
  private readonly kafka: KafkaClient;

  private constructor(private readonly opts: KafkaReportViewOptions) {
    this.kafka = createKafka({ brokers: opts.brokers, clientId: opts.clientId ?? 'jo-api-reports' });
  }

  /** Starts reading in the background (retrying until the topic exists); `isReady` tells when it caught up. */
  static open(opts: KafkaReportViewOptions): KafkaReportView {
    const view = new KafkaReportView(opts);
    void view.startWhenTopicExists();
    return view;
  }

  private async startWhenTopicExists(): Promise<void> {
    while (!this.closed) {
      try {
        await this.start();
        return;
      } catch {
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = undefined;
        await new Promise((resolve) => setTimeout(resolve, this.opts.retryMs ?? 1_000).unref());
      }
    }
  }

  private async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await admin.fetchTopicOffsets(this.opts.topic))
        if (BigInt(p.high) > BigInt(p.low)) this.target.set(p.partition, BigInt(p.high) - 1n);
    } finally {
      await admin.disconnect();
    }
    if (this.closed) return;
    const consumer = this.kafka.consumer({
      groupId: `jo-api-reports-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    await consumer.connect();
    if (this.closed) return void (await consumer.disconnect());
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    const committed = new ReadCommittedFilter();
    this.checkReady();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of committed.accept(batch)) this.apply(batch.partition, m.offset, m.key, m.value);
        // transaction markers and compaction leave gaps: the batch's last offset counts
        this.advance(batch.partition, BigInt(batch.lastOffset()));
      },
    });
  }

  private apply(partition: number, offset: string, key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    const k = key.toString('utf8');
    const parts = this.byKey.get(k) ?? new Map<number, ReportRow>();
    this.byKey.set(k, parts);
    if (value === null) {
      parts.delete(partition);
      return;
    }
    let row: unknown;
    try {
      row = JSON.parse(value.toString('utf8'));
    } catch {
      row = undefined;
    }
    if (Value.Check(ReportRow, row)) parts.set(partition, row);
    else this.opts.onBadRecord?.(partition, offset);
  }

  private advance(partition: number, offset: bigint): void {
    if ((this.applied.get(partition) ?? -1n) < offset) this.applied.set(partition, offset);
    this.checkReady();
  }

  private checkReady(): void {
    if (!this.ready) this.ready = [...this.target].every(([p, o]) => (this.applied.get(p) ?? -1n) >= o);
  }

  rows(journeyId: string, version: number): ReportRow[] {
    return [...(this.byKey.get(reportKey(journeyId, version))?.values() ?? [])];
  }

  isReady(): boolean {
    return this.ready && this.consumer !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.consumer?.disconnect();
  }
}
