/**
 * The Kafka port, client side: a client that makes admins, producers and group consumers, in our own types (only
 * what the code base uses). The shapes follow the kafkajs API the code was written against — which is also the API
 * `@confluentinc/kafka-javascript`'s `KafkaJS` namespace offers — so an adapter on either client implements them.
 * `kafka-client.ts#createKafka` is the kafkajs adapter; nothing outside `kafka/` imports kafkajs or its types.
 */
import type {
  ConsumerGroupMetadata,
  PartitionOffset,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './port.js';

/** A header's value as fetched (kafkajs may give an array for a repeated header). */
export type FetchedHeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;

/** A record as a consumer hands it over. */
export interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch ms, as a decimal string. */
  readonly timestamp: string;
  readonly headers?: Readonly<Record<string, FetchedHeaderValue>>;
}

/** The records of one partition fetched together. */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  /** Data records (a batch may hold none: only control markers, or only aborted records). */
  readonly messages: readonly FetchedMessage[];
  /** Offset of the batch's last entry, control markers included: the position after the batch is this + 1. */
  lastOffset(): string;
  isEmpty(): boolean;
}

/** What a batch handler may do while it handles a batch. */
export interface BatchContext {
  readonly batch: FetchedBatch;
  /** Marks the batch handled up to `offset` (the group's position moves past it; committed by `commitOffsets`). */
  resolveOffset(offset: string): void;
  /** Tells the group coordinator this member is alive (call during long batches). */
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface MessageContext {
  readonly topic: string;
  readonly partition: number;
  readonly message: FetchedMessage;
}

export interface ConsumerRunOptions {
  /** Default true; the runtime and connectors commit themselves (false). */
  readonly autoCommit?: boolean;
  readonly eachBatchAutoResolve?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  readonly eachBatch?: (ctx: BatchContext) => Promise<void>;
  readonly eachMessage?: (ctx: MessageContext) => Promise<void>;
}

/**
 * A group partition assigner. Every member sends `userData()` with its subscription; the elected leader calls
 * `assign` with every member's user data and each subscribed topic's partition ids, and returns each member's
 * partitions per topic. Members of one group must use assigners of the same `name`.
 */
export interface GroupAssigner {
  readonly name: string;
  readonly version: number;
  userData(): Buffer;
  assign(
    members: ReadonlyArray<{ readonly memberId: string; readonly userData: Buffer }>,
    partitions: ReadonlyMap<string, readonly number[]>,
  ): Promise<ReadonlyMap<string, Readonly<Record<string, number[]>>>>;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly partitionAssigners?: readonly GroupAssigner[];
  readonly sessionTimeout?: number;
  readonly heartbeatInterval?: number;
  readonly rebalanceTimeout?: number;
  readonly maxWaitTimeInMs?: number;
  readonly maxBytes?: number;
  readonly maxBytesPerPartition?: number;
  /** Default false: read_committed (see `ReadCommittedFilter` for kafkajs' gaps). */
  readonly readUncommitted?: boolean;
  readonly allowAutoTopicCreation?: boolean;
}

/** The member joined its group with this assignment. */
export interface GroupJoin {
  readonly memberId: string;
  readonly memberAssignment: Readonly<Record<string, number[]>>;
}

/** The consumer failed; `restart`: the client restarts it itself, else it stays stopped. */
export interface ConsumerCrash {
  readonly error: Error;
  readonly restart: boolean;
}

/** A batch handler returned (or a batch was skipped). */
export interface BatchEnd {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the batch's last entry, control markers included. */
  readonly lastOffset: string;
}

/** A consumer in a group, reading committed records. */
export interface GroupConsumer {
  connect(): Promise<void>;
  subscribe(
    s: { topics: string[]; fromBeginning?: boolean } | { topic: string; fromBeginning?: boolean },
  ): Promise<void>;
  /** Starts fetching; resolves once running (handlers run until `stop`/`disconnect`). */
  run(opts: ConsumerRunOptions): Promise<void>;
  /** Next fetch of the partition starts at `offset`. Throws while the consumer is not running. */
  seek(p: { readonly topic: string; readonly partition: number; readonly offset: string }): void;
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void;
  resume(topics: Array<{ topic: string; partitions?: number[] }>): void;
  /** Commits the group's offsets (at-least-once paths; exactly-once commits them in the transaction). */
  commitOffsets(offsets: PartitionOffset[]): Promise<void>;
  /**
   * The generation and member id of the group this consumer last joined, for `KafkaTransaction.sendOffsets`
   * (KIP-447); undefined before the first join and after a stop. During a rebalance it is still the previous
   * generation's, so offsets sent with it then are refused (ILLEGAL_GENERATION) once the new generation exists.
   */
  groupMetadata(): ConsumerGroupMetadata | undefined;
  stop(): Promise<void>;
  disconnect(): Promise<void>;
  onGroupJoin(listener: (e: GroupJoin) => void): void;
  onRebalancing(listener: () => void): void;
  onCrash(listener: (e: ConsumerCrash) => void): void;
  onBatchEnd(listener: (e: BatchEnd) => void): void;
}

/** One record to produce outside a transaction. */
export interface ProducerMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly partition?: number;
  readonly headers?: Record<string, Buffer | string | undefined>;
  /** Epoch ms as a decimal string. */
  readonly timestamp?: string;
}

/** Where a send put a partition's share of its records. */
export interface SendResult {
  readonly topicName: string;
  readonly partition: number;
  readonly baseOffset?: string;
}

export interface ProducerOptions {
  readonly idempotent?: boolean;
  readonly maxInFlightRequests?: number;
  readonly allowAutoTopicCreation?: boolean;
}

/** A non-transactional (idempotent) producer. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** `compression`: a `CompressionTypes` value (kafka-client.ts); default the client's. */
  send(r: { topic: string; messages: ProducerMessage[]; acks?: number; compression?: number }): Promise<SendResult[]>;
  sendBatch(b: {
    topicMessages: Array<{ topic: string; messages: ProducerMessage[] }>;
    acks?: number;
  }): Promise<SendResult[]>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions?: number;
  readonly replicationFactor?: number;
  readonly configEntries?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

export interface TopicMetadata {
  readonly name: string;
  readonly partitions: ReadonlyArray<{ readonly partitionId: number; readonly leader: number }>;
}

/** Offsets of one partition: `low` the first, `high` the next to be written (last stable under transactions). */
export interface PartitionEnds {
  readonly partition: number;
  readonly offset: string;
  readonly high: string;
  readonly low: string;
}

/** Topics, offsets and groups. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(o: {
    readonly topics: TopicSpec[];
    readonly waitForLeaders?: boolean;
    readonly validateOnly?: boolean;
    readonly timeout?: number;
  }): Promise<boolean>;
  deleteTopics(o: { readonly topics: string[]; readonly timeout?: number }): Promise<void>;
  fetchTopicMetadata(o: { readonly topics: string[] }): Promise<{ topics: TopicMetadata[] }>;
  describeConfigs(o: {
    readonly resources: ReadonlyArray<{
      readonly type: number;
      readonly name: string;
      readonly configNames?: string[];
    }>;
    readonly includeSynonyms: boolean;
  }): Promise<{
    resources: ReadonlyArray<{
      readonly resourceName: string;
      readonly configEntries: ReadonlyArray<{ readonly configName: string; readonly configValue: string }>;
    }>;
  }>;
  fetchTopicOffsets(topic: string): Promise<PartitionEnds[]>;
  fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp?: number,
  ): Promise<Array<{ readonly partition: number; readonly offset: string }>>;
  /**
   * The group's committed offsets ('-1': none). `requireStable` (KIP-447, OffsetFetch v7): a partition whose
   * offsets are in a transaction still open is not answered with its last committed offset; the call waits (retries
   * after 20 ms, doubling to 500 ms) until that transaction ends and returns the offset it left, or fails after
   * `stableWaitMs` (default 60 s, the transactional producer's default transaction timeout) with an error of type
   * UNSTABLE_OFFSET_COMMIT. Any partition fetched counts, so a stable fetch names the `partitions` it needs
   * (partition indexes, of each topic; default every partition).
   */
  fetchOffsets(o: {
    readonly groupId: string;
    readonly topics: string[];
    readonly partitions?: readonly number[];
    readonly requireStable?: boolean;
    readonly stableWaitMs?: number;
  }): Promise<
    Array<{
      readonly topic: string;
      readonly partitions: ReadonlyArray<{ readonly partition: number; readonly offset: string }>;
    }>
  >;
  /** The group's members with the user data their assigner sent (see `GroupAssigner`). */
  describeGroupMembers(groupId: string): Promise<Array<{ readonly memberId: string; readonly userData: Buffer }>>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
}

/** A Kafka client: makes the port's admins, producers and consumers. */
export interface KafkaClient {
  admin(): KafkaAdmin;
  producer(opts?: ProducerOptions): KafkaProducer;
  consumer(opts: ConsumerOptions): GroupConsumer;
  transactionalProducer(opts: TransactionalProducerOptions): TransactionalProducer;
}
