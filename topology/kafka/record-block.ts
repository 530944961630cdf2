/**
 * A fetched batch's delivered records, packed until a task takes them. A lagging consumer holds thousands of
 * fetched records per partition in its tasks' queues (one fetch of small records is ~50k records per MiB); as
 * objects (a record, two buffer views and an offset string each) they outlived the young generation's collections,
 * were copied by each scavenge, promoted, and then died in the old generation: measured, more than a third of the
 * stateful bench's CPU went to the garbage collector's helper threads. Packed, a queued record is 32 bytes in typed
 * arrays (off the JS heap once the arrays are large) plus its share of one key/value buffer; its `RawRecord` is made
 * when the task takes it, just before it is processed, and dies young.
 */
import type { FetchedMessage } from './port-client.js';
import type { Headers, RawRecord } from '../api/record.js';
import { decodeHeaders } from './kafka-records.js';

/** Records in the order a task takes them, handed out one by one as `RawRecord`s. */
export interface RecordRun {
  readonly length: number;
  /** Offset of record `i` (decimal string). */
  offset(i: number): string;
  /** Key and value bytes of record `i` (what the task queue's byte limit counts). */
  bytesOf(i: number): number;
  record(i: number): RawRecord;
}

const NONE = -1;

export class RecordBlock implements RecordRun {
  /**
   * `spans`: per record key start, key end, value start, value end in `bytes` (start -1: null). `offsets`: numbers
   * when every offset of the batch is a safe integer (always, in practice), else the decimal strings.
   */
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly length: number,
    private readonly bytes: Buffer,
    private readonly spans: Int32Array,
    private readonly offsets: Float64Array | readonly string[],
    private readonly timestamps: Float64Array,
    private readonly headers: readonly Headers[],
  ) {}

  offset(i: number): string {
    const o = this.offsets[i];
    return typeof o === 'string' ? o : String(o);
  }

  bytesOf(i: number): number {
    const s = this.spans;
    const at = i * 4;
    return (s[at + 1] as number) - (s[at] as number) + (s[at + 3] as number) - (s[at + 2] as number);
  }

  record(i: number): RawRecord {
    const s = this.spans;
    const at = i * 4;
    const ks = s[at] as number;
    const vs = s[at + 2] as number;
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset(i),
      key: ks === NONE ? null : this.bytes.subarray(ks, s[at + 1]),
      value: vs === NONE ? null : this.bytes.subarray(vs, s[at + 3]),
      timestamp: this.timestamps[i] as number,
      headers: this.headers[i] ?? NO_HEADERS,
    };
  }
}

const NO_HEADERS: Headers = Object.freeze({});

/**
 * Fetched messages of `topic`/`partition` packed into a `RecordBlock`: every key and value copied into ONE buffer
 * (never a view of the fetch response, which is megabytes), offsets and timestamps into typed arrays.
 */
export function toRecordBlock(topic: string, partition: number, ms: readonly FetchedMessage[]): RecordBlock {
  const n = ms.length;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const m = ms[i] as FetchedMessage;
    size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  const spans = new Int32Array(n * 4);
  const numeric = new Float64Array(n);
  let strings: string[] | undefined;
  const timestamps = new Float64Array(n);
  const headers: Headers[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = ms[i] as FetchedMessage;
    at = place(m.key ?? null, bytes, spans, i * 4, at);
    at = place(m.value ?? null, bytes, spans, i * 4 + 2, at);
    const off = Number(m.offset);
    if (strings === undefined && Number.isSafeInteger(off)) numeric[i] = off;
    else strings ??= ms.map((x) => x.offset);
    timestamps[i] = Number(m.timestamp);
    if (m.headers) headers[i] = decodeHeaders(m.headers);
  }
  return new RecordBlock(topic, partition, n, bytes, spans, strings ?? numeric, timestamps, headers);
}

/** Key and value bytes per block at most (unless one record is larger): see `toRecordBlocks`. */
export const BLOCK_BYTES = 1024 * 1024;

/**
 * Fetched messages packed as `toRecordBlock` does, in consecutive blocks of at most `maxBytes` key and value bytes (at
 * least one record each). The broker hands out a producer's batch whole, whatever the fetch's byte limits, and a
 * queued block stays alive until its last record is taken: measured mid-ingest with 1M waits, blocks of 11–22 MB (one
 * batch of the bench's producer each) were kept by tasks that had taken most of their records.
 */
export function toRecordBlocks(
  topic: string,
  partition: number,
  ms: readonly FetchedMessage[],
  maxBytes = BLOCK_BYTES,
): RecordBlock[] {
  const blocks: RecordBlock[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i] as FetchedMessage;
    const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
    if (i > from && bytes + size > maxBytes) {
      blocks.push(toRecordBlock(topic, partition, ms.slice(from, i)));
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (from < ms.length) blocks.push(toRecordBlock(topic, partition, from === 0 ? ms : ms.slice(from)));
  return blocks;
}

/** Copies `b` into `bytes` at `at`, records its span at `spans[slot]`; returns the next free position. */
function place(b: Buffer | null, bytes: Buffer, spans: Int32Array, slot: number, at: number): number {
  if (b === null) {
    spans[slot] = NONE;
    spans[slot + 1] = NONE;
    return at;
  }
  bytes.set(b, at);
  spans[slot] = at;
  spans[slot + 1] = at + b.length;
  return at + b.length;
}

/** Records given one by one (a test driver's, or records put back after a retry-later): a run over an array. */
export class ArrayRun implements RecordRun {
  constructor(readonly records: RawRecord[]) {}

  get length(): number {
    return this.records.length;
  }

  offset(i: number): string {
    return (this.records[i] as RawRecord).offset;
  }

  bytesOf(i: number): number {
    const r = this.records[i] as RawRecord;
    return (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }

  record(i: number): RawRecord {
    return this.records[i] as RawRecord;
  }
}
