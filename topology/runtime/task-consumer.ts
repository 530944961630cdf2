/**
 * The app's group consumer: joins group `applicationId` with the task assignor, delivers committed records
 * (read_committed, decided by `ReadCommittedFilter`) to the task that owns their partition, and is the tasks'
 * `ConsumerPort` (seek, pause, resume, at-least-once commits). It only enqueues fetched records, so heartbeats keep
 * flowing however long a record takes.
 */
import { ReadCommittedFilter, type Consumer, type KafkaClient, type PartitionAssigner } from '../kafka/kafka-client.js';
import type { RecordBlock } from '../kafka/record-block.js';
import type { ConsumerGroupMetadata } from '../kafka/port.js';
import type { ConsumerWatch } from './consumer-watch.js';
import type { ConsumerPort } from './task-runner-options.js';

/** Takes the records of the partitions it owns. */
export interface RecordSink {
  offerBlock(block: RecordBlock, highWatermark?: string): boolean;
}

export interface TaskConsumerOptions {
  readonly kafka: KafkaClient;
  readonly groupId: string;
  readonly assigner: PartitionAssigner;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly topics: () => readonly string[];
  readonly watch: ConsumerWatch;
  /** The task that takes a fetched partition's records, if it runs here. */
  readonly route: (topic: string, partition: number) => RecordSink | undefined;
  readonly onAssignment: (assignment: Readonly<Record<string, number[]>>) => void;
  readonly onRebalancing: () => void;
}

/**
 * Compressed bytes one fetch takes per partition (kafkajs' default is 1 MiB). The engine's own topics are written
 * lz4-compressed, and JSON compresses ~10–20×: a 1 MiB fetch of a repartition partition decompressed to ~10–22 MB,
 * decoded at once and copied into the task's queue, which pauses at 4 MiB (docs/benchmarks.md, session 14: with 1M
 * waits, 849 and 861 MB peak RSS at 256 KiB against 994 and 1,063 MB at 1 MiB). 256 KiB cost ~40% of the events/s
 * on one journey (its input is uncompressed: 256 events per partition per fetch); 512 KiB did not (18,418 events/s).
 */
const MAX_FETCH_BYTES_PER_PARTITION = 512 * 1024;

export class TaskConsumer implements ConsumerPort {
  private consumer: Consumer | undefined;
  private committed = new ReadCommittedFilter();

  constructor(private readonly opts: TaskConsumerOptions) {}

  async start(): Promise<void> {
    const o = this.opts;
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      partitionAssigners: [o.assigner],
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: 30_000,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: MAX_FETCH_BYTES_PER_PARTITION,
    });
    this.consumer = consumer;
    consumer.onGroupJoin((e) => o.onAssignment(e.memberAssignment));
    consumer.onRebalancing(() => o.onRebalancing());
    o.watch.watch(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const sink = o.route(batch.topic, batch.partition);
        const blocks = this.committed.acceptBlocks(batch);
        if (sink) for (const block of blocks) sink.offerBlock(block, batch.highWatermark);
      },
    });
  }

  /** The member's current generation and id in the group (undefined before it joined). */
  groupMetadata(): ConsumerGroupMetadata | undefined {
    return this.consumer?.groupMetadata();
  }

  /** After kafkajs gave up on the consumer: a new one joins the group. */
  async restart(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.committed = new ReadCommittedFilter();
    await this.start();
  }

  seek(topic: string, partition: number, offset: string): void {
    this.committed.reset(topic, partition);
    this.consumer?.seek({ topic, partition, offset });
  }

  /** Throws while a rebuilt consumer is not running yet. */
  pause(topic: string, partition: number): void {
    this.consumer?.pause([{ topic, partitions: [partition] }]);
  }

  /**
   * Tolerates a consumer being rebuilt (kafkajs: "Consumer group was not initialized"): the new consumer fetches
   * every partition it is assigned, so there is nothing to resume. Throwing here (from a failing task's shutdown
   * after a broker SIGKILL) used to leave the task un-relaunched and the app stopped for good.
   */
  resume(topic: string, partition: number): void {
    try {
      this.consumer?.resume([{ topic, partitions: [partition] }]);
    } catch {
      // nothing paused on a consumer that is not running
    }
  }

  async commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {
    await this.consumer?.commitOffsets(offsets.map((x) => ({ ...x })));
  }

  /** Stops fetching (the group is kept until `disconnect`). */
  async stop(): Promise<void> {
    await this.consumer?.stop().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
