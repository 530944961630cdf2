/** The Kafka port's transactional producer, on kafkajs. */
import type * as KafkaJs from 'kafkajs';
import type { OutRecord, TransactionalProducer, TransactionalProducerOptions } from './port.js';
import { kafkaErrorType, retryKafka } from './kafka-retry.js';
import { partitionForKey } from './murmur2.js';

/** Retries of a transactional producer: short first back-off, about 15 s in all. */
const TXN_RETRY = { initialRetryTime: 20, maxRetryTime: 1_000, retries: 20 } as const;

/**
 * The port's transactional producer on kafkajs. kafkajs fixes that live here: InitProducerId is forced at connect
 * (kafkajs runs it lazily, at the first transaction, which would leave the previous owner unfenced while state is
 * restored), and AddOffsetsToTxn is retried on CONCURRENT_TRANSACTIONS (kafkajs does not retry it; first in a
 * transaction it meets the previous transaction's markers still being written).
 */
export function transactionalProducer(kafka: KafkaJs.Kafka, opts: TransactionalProducerOptions): TransactionalProducer {
  const producer = kafka.producer({
    transactionalId: opts.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: opts.transactionTimeoutMs ?? 60_000,
    // Until the markers of the previous commit are written the coordinator answers the next transaction's
    // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS (retriable). kafkajs' default first back-off is 300 ms,
    // which made back-to-back commits take 100–500 ms; the Java producer retries that case after 20 ms.
    retry: TXN_RETRY,
    createPartitioner: explicitPartitionFirst,
  });
  return {
    transactionalId: opts.transactionalId,
    async connect() {
      await producer.connect();
      const fence = await producer.transaction();
      await fence.abort();
    },
    async begin() {
      const txn = await producer.transaction();
      return {
        send: async (records) => {
          const results = await txn.sendBatch({ topicMessages: toTopicMessages(records), acks: -1 });
          return results.map((r) => ({
            topic: r.topicName,
            partition: r.partition,
            ...(r.baseOffset === undefined ? {} : { baseOffset: r.baseOffset }),
          }));
        },
        sendOffsets: (groupId, offsets, group) =>
          retryKafka(
            () =>
              txn.sendOffsets({
                consumerGroupId: groupId,
                topics: [...groupBy(offsets, (o) => o.topic)].map(([topic, list]) => ({
                  topic,
                  partitions: list.map((o) => ({ partition: o.partition, offset: o.offset })),
                })),
                // the patched kafkajs sends it with TxnOffsetCommit v3 (fix 12 in kafkajs-fixes.ts)
                ...(group && {
                  consumerGroupMetadata: {
                    generationId: group.generationId,
                    memberId: group.memberId,
                    groupInstanceId: group.groupInstanceId ?? null,
                  },
                }),
              }),
            {
              attempts: 50,
              when: (err) => kafkaErrorType(err) === 'CONCURRENT_TRANSACTIONS',
              delayMs: (i) => Math.min(20 * 2 ** (i - 1), 500),
            },
          ),
        commit: () => txn.commit(),
        abort: () => txn.abort(),
      };
    },
    disconnect: () => producer.disconnect(),
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = by.get(k);
    if (list) list.push(item);
    else by.set(k, [item]);
  }
  return by;
}

/**
 * The records themselves as kafkajs messages, grouped by topic: no message object, header copy or timestamp string
 * per output. kafkajs reads messages without changing them; a numeric timestamp is encoded as kafkajs encodes its
 * string (record-batch.ts, and kafkajs' own encoder for compressed requests, take both).
 */
function toTopicMessages(records: readonly OutRecord[]): KafkaJs.TopicMessages[] {
  return [...groupBy(records, (r) => r.topic)].map(([topic, list]) => ({
    topic,
    messages: list as unknown as KafkaJs.Message[],
  }));
}

/**
 * kafkajs' DefaultPartitioner (Java's: an explicit partition, else murmur2 of the key, else round robin over the
 * partitions with a leader) without its per-message array of available partitions: the runtime's outputs carry
 * their partition, so the common case is one property read.
 */
export const explicitPartitionFirst: KafkaJs.ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined)
      return partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, partitionMetadata.length);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const pool = available.length > 0 ? available : partitionMetadata;
    return (pool[next++ % pool.length] as KafkaJs.PartitionMetadata).partitionId;
  };
};
