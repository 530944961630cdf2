/**
 * Reads a bounded slice of a topic with a consumer of its own: per partition from a start offset up to (not
 * including) an end offset, nothing committed (a fresh group each time, auto-commit off), so the group's offsets
 * and the live engine's are untouched. Used by `jo replay` for `jo.events` (a time range), `jo.profiles` and
 * `jo.config` (everything up to now) and `jo.step-events` (`--compare`).
 */
import { randomUUID } from 'node:crypto';
import type { KafkaClient, KafkaMessage } from '../../topology/index.js';

export interface PartitionRange {
  readonly partition: number;
  /** First offset to read. */
  readonly start: bigint;
  /** Offset to stop before. */
  readonly end: bigint;
}

/** Ranges covering records with timestamps in [fromMs, toMs) (by the broker's offsets-for-times index). */
export async function rangesByTime(kafka: KafkaClient, topic: string, fromMs: number, toMs: number) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const from = await admin.fetchTopicOffsetsByTimestamp(topic, fromMs);
    const to = await admin.fetchTopicOffsetsByTimestamp(topic, toMs);
    const end = new Map(to.map((p) => [p.partition, BigInt(p.offset)]));
    return from.map((p) => ({ partition: p.partition, start: BigInt(p.offset), end: end.get(p.partition) ?? 0n }));
  } finally {
    await admin.disconnect();
  }
}

/** Ranges covering the whole topic as it is now (low to high watermark). */
export async function rangesToNow(kafka: KafkaClient, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      start: BigInt(p.low),
      end: BigInt(p.high),
    }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The messages with offsets in [from, end): the batch itself when its first and last are (offsets grow within a
 * batch), so the common batch costs two offset parses instead of two per message.
 */
function inRange<M extends { readonly offset: string }>(
  messages: readonly M[],
  from: bigint,
  end: bigint,
): readonly M[] {
  const first = messages[0];
  const last = messages.at(-1);
  if (first === undefined || last === undefined) return messages;
  if (BigInt(first.offset) >= from && BigInt(last.offset) < end) return messages;
  return messages.filter((m) => BigInt(m.offset) >= from && BigInt(m.offset) < end);
}

/**
 * Calls `onBatch` with the records of each fetched batch inside the ranges (in offset order per partition) until
 * every range is read. `onBatch` may be async: the next batch waits for it.
 */
export async function readRanges(
  kafka: KafkaClient,
  topic: string,
  ranges: readonly PartitionRange[],
  onBatch: (partition: number, messages: readonly KafkaMessage[]) => Promise<void> | void,
): Promise<void> {
  const open = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (open.size === 0) return;
  // next offset to hand over per partition: a rebalance (a long `onBatch` can miss heartbeats) makes kafkajs fetch
  // again from where nothing was committed, so records are filtered by it and every join seeks back to it
  const next = new Map([...open.values()].map((r) => [r.partition, r.start]));
  const consumer = kafka.consumer({
    groupId: `jo-replay-${randomUUID()}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 120_000,
  });
  const seekAll = () => {
    for (const p of open.keys()) consumer.seek({ topic, partition: p, offset: String(next.get(p) ?? 0n) });
  };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.onCrash((e) => {
        if (!e.restart) reject(e.error);
      });
      consumer.onGroupJoin(seekAll);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const r = open.get(batch.partition);
            if (!r) return;
            const from = next.get(batch.partition) ?? r.start;
            const msgs = inRange(batch.messages, from, r.end);
            if (msgs.length > 0) await onBatch(batch.partition, msgs);
            // compaction and transaction markers leave gaps: the batch's last offset counts
            const after = BigInt(batch.lastOffset()) + 1n;
            if (after > from) next.set(batch.partition, after);
            if (after >= r.end) open.delete(batch.partition);
            if (open.size === 0) resolve();
          },
        })
        .catch(reject);
      seekAll();
    });
  } finally {
    await consumer.disconnect();
  }
}
