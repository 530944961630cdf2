/**
 * Feeds every global store of the topology from its topic on this instance: a consumer in a group of its own
 * (`<applicationId>-global-<instanceId>`, never committing) reads all partitions from the beginning under
 * read_committed. `start` resolves once every partition has been read up to its end offset as of start-up, so
 * tasks never see a half-loaded global store; updates keep flowing afterwards.
 */
import type { Clock } from '../api/clock.js';
import { GlobalStoreUpdater } from './global-store.js';
import type { GlobalStoreDef } from '../api/builder.js';
import { ReadCommittedFilter, type Admin, type Consumer, type KafkaClient } from '../kafka/kafka-client.js';
import type { Metrics } from '../api/metrics.js';
import { toRawRecord } from '../kafka/kafka-records.js';
import { InMemoryKeyValueStore, type KeyValueStore } from '../api/store.js';
import type { Timer } from '../api/timer.js';

export interface GlobalRunnerOptions {
  readonly applicationId: string;
  readonly instanceId: string;
  readonly kafka: KafkaClient;
  readonly admin: Admin;
  readonly globals: readonly GlobalStoreDef[];
  readonly clock: Clock;
  readonly timer: Timer;
  readonly metrics?: Metrics;
  readonly metricPrefix?: string;
  readonly sessionTimeoutMs: number;
  readonly onError: (err: unknown) => void;
}

export class GlobalRunner {
  private consumer: Consumer | undefined;
  private readonly updaters = new Map<string, GlobalStoreUpdater>();
  private readonly positions = new Map<string, bigint>();

  constructor(private readonly opts: GlobalRunnerOptions) {}

  /** Global stores by store name (read-only for processors). */
  stores(): Map<string, KeyValueStore<unknown>> {
    return new Map([...this.updaters.values()].map((u) => [u.store.name, u.store]));
  }

  async start(): Promise<void> {
    const o = this.opts;
    if (o.globals.length === 0) return;
    for (const g of o.globals) {
      const u = new GlobalStoreUpdater(g, new InMemoryKeyValueStore<unknown>(g.store.name), {
        applicationId: o.applicationId,
        clock: o.clock,
        ...(o.metrics ? { metrics: o.metrics } : {}),
        ...(o.metricPrefix ? { metricPrefix: o.metricPrefix } : {}),
        onError: (err) => o.onError(err),
      });
      await u.init();
      this.updaters.set(g.topic, u);
    }
    const ends = new Map<string, bigint>();
    for (const g of o.globals)
      for (const p of await o.admin.fetchTopicOffsets(g.topic))
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${g.topic}/${p.partition}`, BigInt(p.high));
    const consumer = o.kafka.consumer({
      groupId: `${o.applicationId}-global-${o.instanceId}`,
      readUncommitted: false,
      sessionTimeout: o.sessionTimeoutMs,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    await consumer.connect();
    for (const g of o.globals) await consumer.subscribe({ topic: g.topic, fromBeginning: true });
    const committed = new ReadCommittedFilter();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const u = this.updaters.get(batch.topic);
        for (const m of committed.accept(batch)) await u?.update(toRawRecord(batch.topic, batch.partition, m));
        this.positions.set(`${batch.topic}/${batch.partition}`, BigInt(batch.lastOffset()) + 1n);
      },
    });
    while (![...ends].every(([k, end]) => (this.positions.get(k) ?? -1n) >= end)) await o.timer.sleep(50);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    for (const u of this.updaters.values()) {
      await u.close();
      await u.store.close();
    }
  }
}
