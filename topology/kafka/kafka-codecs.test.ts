// The seam's codecs through kafkajs' own record-batch encoder and decoder: every codec round-trips a batch, Java's
// xerial-framed snappy decodes, and a batch that cannot be decompressed decodes to stand-in records (never a throw).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafka-client.js';
import { CODEC_TYPES, rawCodecs, undecodableInfo, withOutputCompression, type CodecName } from './kafka-codecs.js';

const require = createRequire(import.meta.url);

interface DecodedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}
type EncodeBatch = (a: {
  compression: number;
  lastOffsetDelta: number;
  records: unknown[];
}) => Promise<{ buffer: Buffer }>;
type DecodeBatch = (decoder: unknown) => Promise<{ records: DecodedRecord[] }>;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: EncodeBatch };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: unknown) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as DecodeBatch;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;

const NAMES: CodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

/** A v2 record batch as it appears in a fetch response, behind a few unrelated bytes (a view, like kafkajs'). */
async function batchBytes(compression: number, values: string[]): Promise<Buffer> {
  const records = values.map((v, i) =>
    Record({ offsetDelta: i, timestampDelta: 0, key: Buffer.from(`k${i}`), value: Buffer.from(v), headers: {} }),
  );
  // first offset, length, batch: as in a fetch response
  const { buffer } = await RecordBatch({ compression, lastOffsetDelta: values.length - 1, records });
  return Buffer.concat([Buffer.from('prefix-bytes'), buffer]).subarray(12);
}

const decode = (bytes: Buffer) => decodeBatch(new Decoder(bytes));

describe('kafka codecs', () => {
  it.each(NAMES)('%s: a compressed batch decodes to its records', async (name) => {
    const values = Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(i * 10) }));
    const { records } = await decode(await batchBytes(CODEC_TYPES[name], values));
    expect(records.map((r) => r.value?.toString())).toEqual(values);
  });

  it('snappy reads both raw snappy (librdkafka) and xerial blocks (Java), and writes xerial', async () => {
    const { snappy } = rawCodecs();
    const data = Buffer.from('journey '.repeat(20_000)); // > one 32 KiB xerial block
    const framed = await snappy.compress(data);
    expect(framed.subarray(1, 7).toString()).toBe('SNAPPY');
    expect((await snappy.decompress(framed)).equals(data)).toBe(true);
    const raw = await (require('snappy') as { compress(b: Buffer): Promise<Buffer> }).compress(data);
    expect((await snappy.decompress(raw)).equals(data)).toBe(true);
  });

  it.each(NAMES)(
    '%s: an undecodable batch becomes stand-ins at its offsets, the first holding its bytes',
    async (name) => {
      const bytes = await batchBytes(CODEC_TYPES[name], ['a'.repeat(500), 'b'.repeat(500), 'c'.repeat(500)]);
      const body = 12 + 49; // records section: after the 61-byte header
      const corrupt = Buffer.from(bytes);
      for (let i = body; i < corrupt.length; i++) corrupt[i] = (corrupt[i] ?? 0) ^ 0x5a;
      const view = Buffer.concat([Buffer.from('xx'), corrupt]).subarray(2);
      const { records } = await decode(view);
      expect(records.map((r) => r.offset)).toEqual(['0', '1', '2']);
      const infos = records.map((r) =>
        undecodableInfo(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()]))),
      );
      expect(infos.map((i) => [i?.codec, i?.first, i?.records])).toEqual([
        [name, true, 3],
        [name, false, 3],
        [name, false, 3],
      ]);
      expect(records[0]?.value?.equals(corrupt.subarray(body))).toBe(true);
      expect(records[1]?.value).toBeNull();
    },
  );

  it('a batch over the decompressed size limit is undecodable', async () => {
    const { kafkaJsCodec } = await import('./kafka-codecs.js');
    const codec = kafkaJsCodec('lz4', rawCodecs().lz4, { maxDecompressedBytes: 1_000 });
    const bytes = await batchBytes(CODEC_TYPES.lz4, ['z'.repeat(5_000)]);
    const standIn = await codec.decompress(bytes.subarray(61));
    expect(standIn.toString('latin1')).toContain('exceeds 1000');
  });

  it('outputs: every send and transactional send defaults to the configured codec; an explicit one wins', async () => {
    const calls: unknown[] = [];
    const sender = () => ({
      send: (a: object) => Promise.resolve(calls.push(a)),
      sendBatch: (a: object) => Promise.resolve(calls.push(a)),
    });
    const producer = withOutputCompression({ ...sender(), transaction: () => Promise.resolve(sender()) }, 'zstd');
    await producer.send({});
    await producer.sendBatch({ compression: 0 });
    await (await producer.transaction()).sendBatch({});
    expect(calls).toEqual([{ compression: 4 }, { compression: 0 }, { compression: 4 }]);
  });
});
