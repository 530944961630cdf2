/**
 * Kafka's compression codecs for the kafkajs seam: gzip (Node's zlib), snappy (`snappy`), lz4 (`lz4-napi`, the LZ4
 * frame format Kafka uses) and zstd (`@mongodb-js/zstd`); the three native ones are napi-rs packages whose prebuilt
 * binaries come from npm as optional dependencies (nothing is downloaded or compiled at install time).
 *
 * Decoding never throws into kafkajs: a batch that cannot be decompressed (corrupt bytes, a snappy/lz4/zstd frame the
 * library rejects, or one that expands beyond `maxDecompressedBytes`) would otherwise fail the whole fetch response
 * and crash the consumer on every retry. Instead the codec hands kafkajs a stand-in for the batch: as many records as
 * the batch header announces, at the batch's offsets, the first holding the batch's compressed bytes, each marked with
 * the {@link UNDECODABLE_HEADER} header. The runtime dead-letters the first and skips the rest (task.ts).
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { constants as bufferConstants } from 'node:buffer';

const require = createRequire(import.meta.url);

/** Header on the stand-in records of an undecodable batch; its value is JSON {@link UndecodableInfo}. */
export const UNDECODABLE_HEADER = 'topology.undecodable-batch';

/** What the stand-in records of an undecodable batch say about it. */
export interface UndecodableInfo {
  readonly codec: CodecName;
  readonly error: string;
  /** Records the batch header announced (all skipped; the first carries the compressed bytes to the DLQ). */
  readonly records: number;
  /** True on the first record of the batch (the one dead-lettered). */
  readonly first: boolean;
}

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** kafkajs' attribute values (CompressionTypes). */
export const CODEC_TYPES: Readonly<Record<CodecName, number>> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

interface RawCodec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

interface SnappyBinding {
  compress(data: Buffer): Promise<Buffer>;
  uncompress(data: Buffer, opts?: { asBuffer?: boolean }): Promise<Buffer | string>;
}
interface Lz4Binding {
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
}
interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

/** xerial snappy-java's stream header, which Java producers write: magic, then version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
/** xerial's default block size: large batches are framed in blocks of this much uncompressed data. */
const XERIAL_BLOCK = 32 * 1024;

function snappyCodec(): RawCodec {
  const snappy = require('snappy') as SnappyBinding;
  const raw = async (data: Buffer): Promise<Buffer> => {
    const out = await snappy.uncompress(data, { asBuffer: true });
    return typeof out === 'string' ? Buffer.from(out) : out;
  };
  return {
    // Framed like Java's producer (snappy-java's SnappyOutputStream): every Kafka client reads this form.
    async compress(data) {
      const header = Buffer.alloc(XERIAL_HEADER);
      XERIAL_MAGIC.copy(header, 0);
      header.writeInt32BE(1, 8);
      header.writeInt32BE(1, 12);
      const parts: Buffer[] = [header];
      for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
        const block = await snappy.compress(data.subarray(at, at + XERIAL_BLOCK));
        const len = Buffer.allocUnsafe(4);
        len.writeInt32BE(block.length, 0);
        parts.push(len, block);
      }
      return Buffer.concat(parts);
    },
    // librdkafka and kafkajs-snappy write raw snappy; Java writes xerial blocks.
    async decompress(data) {
      if (data.length < XERIAL_HEADER || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return raw(data);
      const parts: Buffer[] = [];
      let at = XERIAL_HEADER;
      while (at < data.length) {
        if (at + 4 > data.length) throw new Error('truncated xerial snappy block header');
        const len = data.readInt32BE(at);
        at += 4;
        if (len < 0 || at + len > data.length) throw new Error('truncated xerial snappy block');
        parts.push(await raw(data.subarray(at, at + len)));
        at += len;
      }
      return Buffer.concat(parts);
    },
  };
}

function lz4Codec(): RawCodec {
  const lz4 = require('lz4-napi') as Lz4Binding;
  return { compress: (d) => lz4.compressFrame(d), decompress: (d) => lz4.decompressFrame(d) };
}

function zstdCodec(level: number): RawCodec {
  const zstd = require('@mongodb-js/zstd') as ZstdBinding;
  return { compress: (d) => zstd.compress(d, level), decompress: (d) => zstd.decompress(d) };
}

function gzipCodec(maxOutputLength: number): RawCodec {
  const gzip = promisify(zlib.gzip);
  const unzip = promisify(zlib.unzip);
  return { compress: (d) => gzip(d), decompress: (d) => unzip(d, { maxOutputLength }) };
}

export interface CodecOptions {
  /** Larger decompressed batches are treated as undecodable (a decompression bomb guard); default 256 MiB. */
  readonly maxDecompressedBytes?: number;
  /** zstd level for outputs; default 3 (zstd's own default). */
  readonly zstdLevel?: number;
}

/** The four raw codecs, by name. */
export function rawCodecs(opts: CodecOptions = {}): Record<CodecName, RawCodec> {
  const max = opts.maxDecompressedBytes ?? 256 * 1024 * 1024;
  return {
    gzip: gzipCodec(Math.min(max + 1, bufferConstants.MAX_LENGTH)),
    snappy: snappyCodec(),
    lz4: lz4Codec(),
    zstd: zstdCodec(opts.zstdLevel ?? 3),
  };
}

/** The interface kafkajs' `CompressionCodecs` entries implement. */
export interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * Wraps a raw codec for kafkajs: compress takes kafkajs' encoder; decompress never rejects for a batch it can
 * locate (see the file comment), and rejects only when the bytes are not where a v2 record batch puts them.
 */
export function kafkaJsCodec(name: CodecName, codec: RawCodec, opts: CodecOptions = {}): KafkaJsCodec {
  const max = opts.maxDecompressedBytes ?? 256 * 1024 * 1024;
  return {
    compress: (encoder) => codec.compress(encoder.buffer),
    async decompress(buffer) {
      try {
        const out = await codec.decompress(buffer);
        if (out.length > max) throw new Error(`decompressed batch of ${out.length} bytes exceeds ${max}`);
        return out;
      } catch (err) {
        const standIn = standInRecords(name, buffer, err);
        if (!standIn) throw err;
        return standIn;
      }
    },
  };
}

/**
 * Offsets, relative to the start of a v2 record batch's (compressed) records section, of the header fields read
 * here: kafkajs passes the records section as a view of the fetch response, so the header sits right before it.
 */
const FROM_RECORDS = { magic: -45, attributes: -40, lastOffsetDelta: -38, recordCount: -4 } as const;

/**
 * Records standing in for an undecodable batch: `recordCount` records, the last at the batch's last offset, so the
 * consumer moves past the whole batch. Undefined when the buffer is not a view right behind a v2 batch header of
 * this codec (then the error is thrown as before).
 */
export function standInRecords(codec: CodecName, compressed: Buffer, err: unknown): Buffer | undefined {
  if (compressed.byteOffset < -FROM_RECORDS.magic) return undefined;
  const header = Buffer.from(compressed.buffer, compressed.byteOffset + FROM_RECORDS.magic, -FROM_RECORDS.magic);
  const at = (field: number) => field - FROM_RECORDS.magic;
  if (header.readInt8(0) !== 2) return undefined;
  if ((header.readInt16BE(at(FROM_RECORDS.attributes)) & 0x07) !== CODEC_TYPES[codec]) return undefined;
  const count = header.readInt32BE(at(FROM_RECORDS.recordCount));
  const lastDelta = header.readInt32BE(at(FROM_RECORDS.lastOffsetDelta));
  if (count <= 0 || count > lastDelta + 1) return undefined;
  const error = err instanceof Error ? err.message : String(err);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const info: UndecodableInfo = { codec, error, records: count, first: i === 0 };
    const record = encodeRecord(i === count - 1 ? lastDelta : i, i === 0 ? compressed : null, [
      [UNDECODABLE_HEADER, Buffer.from(JSON.stringify(info))],
    ]);
    parts.push(zigzag(record.length), record);
  }
  return Buffer.concat(parts);
}

/** One v2 record (without its length prefix): attributes, timestamp delta 0, offset delta, null key, value, headers. */
function encodeRecord(offsetDelta: number, value: Buffer | null, headers: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), zigzag(0), zigzag(offsetDelta), zigzag(-1)];
  if (value) parts.push(zigzag(value.length), value);
  else parts.push(zigzag(-1));
  parts.push(zigzag(headers.length));
  for (const [k, v] of headers) {
    const key = Buffer.from(k);
    parts.push(zigzag(key.length), key, zigzag(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Kafka's zigzag varint (32-bit values). */
function zigzag(n: number): Buffer {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  const bytes: number[] = [];
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** Parses the {@link UNDECODABLE_HEADER} value of a stand-in record; undefined for ordinary records. */
export function undecodableInfo(headers: Readonly<Record<string, string>> | undefined): UndecodableInfo | undefined {
  const v = headers?.[UNDECODABLE_HEADER];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as UndecodableInfo;
  } catch {
    return undefined;
  }
}

/** Compression of produced batches: `none` or a codec. */
export type OutputCompression = 'none' | CodecName;

interface SendArgs {
  compression?: number;
}
interface Sender {
  send(args: SendArgs): Promise<unknown>;
  sendBatch(args: SendArgs): Promise<unknown>;
}

/**
 * Makes `compression` the default of every send/sendBatch of the producer and of its transactions (an explicit
 * `compression` in a call wins). Mutates and returns the producer.
 */
export function withOutputCompression<P extends Sender & { transaction(): Promise<Sender> }>(
  producer: P,
  compression: OutputCompression,
): P {
  if (compression === 'none') return producer;
  const type = CODEC_TYPES[compression];
  const wrap = <S extends Sender>(s: S): S => {
    const send = s.send.bind(s);
    const sendBatch = s.sendBatch.bind(s);
    s.send = (args) => send({ compression: type, ...args });
    s.sendBatch = (args) => sendBatch({ compression: type, ...args });
    return s;
  };
  const transaction = producer.transaction.bind(producer);
  producer.transaction = async () => wrap(await transaction());
  return wrap(producer);
}
