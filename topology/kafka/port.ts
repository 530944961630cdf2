/**
 * The Kafka port: what the runtime and the connectors need from a Kafka client, in our own types. `kafka-client.ts`
 * implements it on kafkajs; tests implement it in memory to inject failures at every step. Nothing outside
 * `kafka/` sees a client library's types through these interfaces.
 */

/** One record to produce. A string key or value is sent as its UTF-8 bytes. */
export interface OutRecord {
  readonly topic: string;
  /** Undefined: the client's partitioner picks (murmur2 of the key, as Kafka's Java client). */
  readonly partition?: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Epoch ms; undefined: the client's current time. */
  readonly timestamp?: number;
}

/** Where one produce request put a partition's share of its records. */
export interface ProduceResult {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first record written to that partition by the request, when the broker reports it. */
  readonly baseOffset?: string;
}

/** A consumer group's next offset to read for one partition. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume (last processed + 1), as a decimal string. */
  readonly offset: string;
}

/**
 * The consumer group generation a transaction's offsets were consumed in (KIP-447): the group coordinator refuses
 * them (and so the transaction) from a member of an older generation or one that left the group. A group
 * consumer's `groupMetadata()` gives the current one.
 */
export interface ConsumerGroupMetadata {
  readonly generationId: number;
  readonly memberId: string;
  /** Static membership's `group.instance.id`; undefined: none (dynamic member). */
  readonly groupInstanceId?: string;
}

/**
 * An open Kafka transaction. Calls are made by one owner, in order: any number of `send`, at most one
 * `sendOffsets` (may run beside the sends), then exactly one of `commit` or `abort`. After a failed call the
 * transaction must be aborted; after a failed abort the producer that opened it is unusable.
 */
export interface KafkaTransaction {
  /** One produce request; resolves when every record of it is acknowledged by all in-sync replicas. */
  send(records: readonly OutRecord[]): Promise<readonly ProduceResult[]>;
  /**
   * Adds the consumer group's offsets to the transaction (they commit or abort with its outputs). With `group`
   * (the consuming member's generation, KIP-447) the coordinator checks it against the group's current one: a stale
   * generation fails with ILLEGAL_GENERATION, a member it does not know with UNKNOWN_MEMBER_ID (both terminal for
   * this transaction: abort it; the offsets stay as they were). Without `group` the offsets are accepted from anyone
   * holding the transactional id (fencing is by transactional id only, as before).
   */
  sendOffsets(groupId: string, offsets: readonly PartitionOffset[], group?: ConsumerGroupMetadata): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A transactional producer: one transaction at a time; a newer producer with the same id fences this one. */
export interface TransactionalProducer {
  readonly transactionalId: string;
  /**
   * Connects and initialises the transactional id: the previous owner's open transaction is aborted (or its
   * committing one completed) and the previous owner is fenced. Call once, before the first `begin`.
   */
  connect(): Promise<void>;
  begin(): Promise<KafkaTransaction>;
  disconnect(): Promise<void>;
}

export interface TransactionalProducerOptions {
  readonly transactionalId: string;
  /** How long the broker keeps an open transaction before aborting it (default 60 s). */
  readonly transactionTimeoutMs?: number;
}

/** Makes transactional producers (the app gives each task its own; a connector instance has one). */
export type TransactionalProducerFactory = (opts: TransactionalProducerOptions) => TransactionalProducer;
