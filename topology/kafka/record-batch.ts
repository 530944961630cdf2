/**
 * One partition's entry of a Kafka Produce request (v3 and later, record batch v2, no compression), encoded in one
 * pass into one exactly sized buffer. kafkajs builds the same bytes through an encoder object per record and
 * copies every record four times on the way into the request; the kafka seam (kafka-client.ts) routes
 * uncompressed batches here. The byte layout, including kafkajs' quirks (timestamps taken from the messages
 * and sorted as strings), is pinned by tests against kafkajs' own encoder.
 */

/** A message as kafkajs accepts it in `send`/`sendBatch`. */
export interface BatchMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string | Buffer | ReadonlyArray<string | Buffer> | undefined>>;
  readonly timestamp?: string | number;
}

export interface PartitionBatch {
  readonly partition: number;
  readonly messages: readonly BatchMessage[];
  readonly transactional: boolean;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  /** Wall clock for messages without a timestamp (kafkajs uses Date.now()). */
  readonly now: number;
}

const TRANSACTIONAL = 16;
const MAGIC = 2;

// ---- CRC-32C (Castagnoli), slicing by 8 -------------------------------------------------------------------------
const CRC_TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (tables[k] as Uint32Array)[n] = c >>> 0;
    }
  }
  return tables;
})();

/** CRC-32C of `buf[start, end)` as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let crc = ~0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = (crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
    crc =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[buf[i + 4]!]! ^
      t2[buf[i + 5]!]! ^
      t1[buf[i + 6]!]! ^
      t0[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// ---- varints (zig-zag, as Kafka's record format) ----------------------------------------------------------------
const SMALL = 2 ** 30;

function zigzag64(v: number): bigint {
  const b = BigInt(v);
  return (b << 1n) ^ (b >> 63n);
}

function sizeOfVarint(v: number): number {
  if (v >= -SMALL && v < SMALL) {
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    let n = 1;
    while (z >= 0x80) {
      n++;
      z >>>= 7;
    }
    return n;
  }
  let z = BigInt.asUintN(64, zigzag64(v));
  let n = 1;
  while (z >= 0x80n) {
    n++;
    z >>= 7n;
  }
  return n;
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  if (v >= -SMALL && v < SMALL) {
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    while (z >= 0x80) {
      buf[at++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[at++] = z;
    return at;
  }
  let z = BigInt.asUintN(64, zigzag64(v));
  while (z >= 0x80n) {
    buf[at++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[at++] = Number(z);
  return at;
}

// ---- records ----------------------------------------------------------------------------------------------------
type Bytes = Buffer | string | null | undefined;

const byteLength = (b: Buffer | string) => (typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : b.length);
const sizeOfBytes = (b: Bytes) => (b == null ? 1 : sizeOfVarint(byteLength(b)) + byteLength(b));

function writeBytes(buf: Buffer, at: number, b: Bytes): number {
  if (b == null) return writeVarint(buf, at, -1);
  if (typeof b === 'string') {
    const n = Buffer.byteLength(b, 'utf8');
    at = writeVarint(buf, at, n);
    return at + buf.write(b, at, n, 'utf8');
  }
  at = writeVarint(buf, at, b.length);
  b.copy(buf, at);
  return at + b.length;
}

function headerList(headers: BatchMessage['headers']): Array<[string, Buffer | string | null]> {
  const out: Array<[string, Buffer | string | null]> = [];
  if (!headers) return out;
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (Array.isArray(v)) for (const x of v as ReadonlyArray<string | Buffer>) out.push([k, x]);
    else out.push([k, (v as string | Buffer | undefined) ?? null]);
  }
  return out;
}

interface Planned {
  readonly m: BatchMessage;
  readonly headers: Array<[string, Buffer | string | null]>;
  readonly tsDelta: number;
  readonly bodySize: number;
}

/** Least and greatest message timestamp in string order (as kafkajs' default sort), or `now` for none. */
function stampRange(messages: readonly BatchMessage[], now: number): [string | number, string | number] {
  let first: string | number | undefined;
  let max: string | number | undefined;
  let firstS = '';
  let maxS = '';
  for (const m of messages) {
    const t = m.timestamp;
    if (t == null) continue;
    const s = String(t);
    if (first === undefined || s < firstS) {
      first = t;
      firstS = s;
    }
    if (max === undefined || s > maxS) {
      max = t;
      maxS = s;
    }
  }
  return first === undefined || max === undefined ? [now, now] : [first, max];
}

/**
 * The partition entry (`partition` int32, record-set size int32, record batch) of a Produce request, or undefined
 * for an empty batch (left to kafkajs).
 */
export function encodePartitionBatch(p: PartitionBatch): Buffer | undefined {
  const n = p.messages.length;
  if (n === 0) return undefined;
  // As kafkajs: the batch's first/max timestamps are the least and greatest of the messages' own compared as
  // strings (kafkajs sorts them with the default sort); found in one pass instead of a sort per batch.
  const [first, max] = stampRange(p.messages, p.now);
  const planned: Planned[] = new Array<Planned>(n);
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const m = p.messages[i] as BatchMessage;
    const tsDelta = Number(m.timestamp || p.now) - Number(first);
    const headers = headerList(m.headers);
    let hs = sizeOfVarint(headers.length);
    for (const [k, v] of headers) hs += sizeOfBytes(k) + sizeOfBytes(v);
    const bodySize = 1 + sizeOfVarint(tsDelta) + sizeOfVarint(i) + sizeOfBytes(m.key) + sizeOfBytes(m.value) + hs;
    planned[i] = { m, headers, tsDelta, bodySize };
    recordsSize += sizeOfVarint(bodySize) + bodySize;
  }
  const bodyLen = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4 + recordsSize; // attributes … record count, records
  const batchLength = 4 + 1 + 4 + bodyLen; // leader epoch, magic, crc, body
  const recordSetSize = 8 + 4 + batchLength;
  const buf = Buffer.allocUnsafe(4 + 4 + recordSetSize);
  let at = buf.writeInt32BE(p.partition, 0);
  at = buf.writeInt32BE(recordSetSize, at);
  at = buf.writeBigInt64BE(0n, at); // base offset
  at = buf.writeInt32BE(batchLength, at);
  at = buf.writeInt32BE(0, at); // partition leader epoch
  at = buf.writeInt8(MAGIC, at);
  const crcAt = at;
  at += 4;
  const bodyStart = at;
  at = buf.writeInt16BE(p.transactional ? TRANSACTIONAL : 0, at);
  at = buf.writeInt32BE(n - 1, at);
  at = buf.writeBigInt64BE(BigInt(first), at);
  at = buf.writeBigInt64BE(BigInt(max), at);
  at = buf.writeBigInt64BE(p.producerId, at);
  at = buf.writeInt16BE(p.producerEpoch, at);
  at = buf.writeInt32BE(p.firstSequence, at);
  at = buf.writeInt32BE(n, at);
  for (let i = 0; i < n; i++) {
    const r = planned[i] as Planned;
    at = writeVarint(buf, at, r.bodySize);
    buf[at++] = 0; // record attributes
    at = writeVarint(buf, at, r.tsDelta);
    at = writeVarint(buf, at, i);
    at = writeBytes(buf, at, r.m.key);
    at = writeBytes(buf, at, r.m.value);
    at = writeVarint(buf, at, r.headers.length);
    for (const [k, v] of r.headers) {
      at = writeBytes(buf, at, k);
      at = writeBytes(buf, at, v);
    }
  }
  if (at !== buf.length) throw new Error(`record batch size mismatch: wrote ${at} of ${buf.length} bytes`);
  buf.writeUInt32BE(crc32c(buf, bodyStart, at), crcAt);
  return buf;
}
