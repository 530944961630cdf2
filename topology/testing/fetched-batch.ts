import type { Batch, KafkaMessage } from '../kafka/kafka-client.js';

/** What a raw record in a fetched batch is: plain data, a transactional record, or a commit / abort marker. */
export type RawKind = 'data' | 'txn' | 'commit' | 'abort';
export type RawRecord = [offset: number, pid: string, kind: RawKind];

/**
 * A partition log written compactly: `'0:p1:txn 1:p1:commit 2:data'` is offset 0 a transactional record of
 * producer p1, offset 1 p1's commit marker, offset 2 a plain (non-transactional, producer -1) record.
 */
export function rawLog(log: string): RawRecord[] {
  return log
    .trim()
    .split(/\s+/)
    .map((entry) => {
      const [offset, pid, kind] = entry.split(':');
      if (pid === 'data' && kind === undefined) return [Number(offset), '-1', 'data'];
      if (kind !== 'txn' && kind !== 'commit' && kind !== 'abort') throw new Error(`bad raw record '${entry}'`);
      return [Number(offset), pid as string, kind];
    });
}

export interface FetchedBatchOptions {
  /** The key a data or transactional record carries (control markers carry their own); null unless given. */
  dataKey?: (offset: number) => Buffer | null;
  highWatermark?: string;
}

/** A fetched batch as kafkajs builds it: raw records including control markers, with their batch context. */
export function fetchedBatch(
  fetchedOffset: number,
  raw: string | readonly RawRecord[],
  { dataKey = () => null, highWatermark = '0' }: FetchedBatchOptions = {},
): Batch {
  const records = typeof raw === 'string' ? rawLog(raw) : raw;
  return {
    topic: 't',
    partition: 0,
    highWatermark,
    fetchedOffset: String(fetchedOffset),
    messages: [],
    rawMessages: records.map(([offset, producerId, kind]) => ({
      offset: String(offset),
      key:
        kind === 'commit' ? Buffer.from([0, 0, 0, 1]) : kind === 'abort' ? Buffer.from([0, 0, 0, 0]) : dataKey(offset),
      value: Buffer.from(`v${offset}`),
      timestamp: '0',
      attributes: 0,
      headers: {},
      isControlRecord: kind === 'commit' || kind === 'abort',
      batchContext: { producerId, inTransaction: kind !== 'data' },
    })),
  } as unknown as Batch;
}

/** The offsets of delivered records, as numbers. */
export const offsetsOf = (ms: readonly KafkaMessage[]) => ms.map((m) => Number(m.offset));
