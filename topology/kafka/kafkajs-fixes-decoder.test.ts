// kafkajs as patched by patches/kafkajs+2.2.4.patch, fix 7 (fetch decoder, see kafkajs-fixes.ts): record batches
// written by kafkajs' own encoder decode to the same offsets, timestamps, keys, values and headers as before the
// patch (checked against BigInt arithmetic, also beyond 2^53 and for negative and 8-byte deltas, compressed too),
// and a batch of ordinary records is decoded without Long maths or a buffer view per record.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import './kafkajs-fixes.js';

const require = createRequire(import.meta.url);

interface EncoderLike {
  readonly buffer: Buffer;
}
interface DecoderLike {
  readVarIntBytes(): Buffer | null;
}
interface RecordIn {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
}
interface DecodedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
  readonly isControlRecord: boolean;
  readonly batchContext: { readonly firstOffset: string; readonly inTransaction: boolean };
}
type LongClass = { fromValue(v: unknown): unknown; fromString(s: string): unknown };

const Decoder = require('kafkajs/src/protocol/decoder.js') as (new (b: Buffer) => DecoderLike) & {
  prototype: DecoderLike;
};
const Long = require('kafkajs/src/utils/long.js') as LongClass;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: RecordIn) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (a: {
    compression?: number;
    firstOffset: unknown;
    firstTimestamp: unknown;
    maxTimestamp: unknown;
    lastOffsetDelta: number;
    transactional?: boolean;
    records: unknown[];
  }) => Promise<EncoderLike>;
};
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  d: DecoderLike,
) => Promise<{ records: DecodedRecord[] }>;
const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { GZIP: number } };

afterEach(() => {
  vi.restoreAllMocks();
});

/** A batch of `n` records as kafkajs encodes it, and what each must decode to (computed with BigInt). */
async function encoded(firstOffset: bigint, firstTimestamp: bigint, deltas: readonly bigint[], compression?: number) {
  const records = deltas.map((ts, i): RecordIn => ({
    offsetDelta: i,
    timestampDelta: ts as unknown as number, // kafkajs writes varlongs from its Long (BigInt) values
    key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
    value: i % 5 === 4 ? null : Buffer.from(`value-${i}`),
    headers: i % 2 === 0 ? {} : { a: Buffer.from(`a${i}`), b: [Buffer.from('b1'), Buffer.from(`b${i}`)] },
  }));
  const stamps = deltas.map((d) => firstTimestamp + d);
  const batch = await RecordBatch({
    ...(compression === undefined ? {} : { compression }),
    firstOffset: Long.fromValue(firstOffset.toString()),
    firstTimestamp: Long.fromValue(firstTimestamp.toString()),
    maxTimestamp: Long.fromValue(stamps.reduce((a, b) => (b > a ? b : a)).toString()),
    lastOffsetDelta: deltas.length - 1,
    records: records.map((r) => Record({ ...r, timestampDelta: Long.fromValue(r.timestampDelta) as number })),
  });
  const expected = records.map((r, i) => ({
    offset: (firstOffset + BigInt(i)).toString(),
    timestamp: (stamps[i] as bigint).toString(),
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
  return { buffer: batch.buffer, expected };
}

const plain = (rs: readonly DecodedRecord[]) =>
  rs.map(({ offset, timestamp, key, value, headers }) => ({ offset, timestamp, key, value, headers }));

describe('kafkajs fetch decoder (patch fix 7)', () => {
  it('decodes offsets, timestamps, keys, values and headers exactly, near and beyond 2^53 too', async () => {
    const cases: Array<[bigint, bigint, bigint[]]> = [
      [0n, 1_764_000_000_000n, [0n, 1n, 5n, -3n, 1_000n]],
      [123_456_789n, 1_764_000_000_000n, [0n, -1_764_000_000_000n, 2n ** 40n, -(2n ** 47n)]],
      [2n ** 53n - 2n, 2n ** 53n - 1n, [0n, 1n, 2n, 3n]], // sums cross 2^53: BigInt path
      [9_000_000_000_000_000_000n, 0n, [0n, 2n ** 60n, -(2n ** 62n)]], // 9-byte varlong deltas
    ];
    for (const [offset, ts, deltas] of cases) {
      const { buffer, expected } = await encoded(offset, ts, deltas);
      const { records } = await decodeBatch(new Decoder(buffer));
      expect(plain(records)).toEqual(expected);
      expect(records.every((r) => r.batchContext.firstOffset === offset.toString())).toBe(true);
    }
  });

  it('decodes compressed batches the same way', async () => {
    const { buffer, expected } = await encoded(42n, 1_764_000_000_000n, [0n, 7n, -7n, 300n], Types.GZIP);
    expect(plain((await decodeBatch(new Decoder(buffer))).records)).toEqual(expected);
  });

  it('decodes ordinary records without Long maths or a buffer view and decoder per record', async () => {
    const deltas = Array.from({ length: 50 }, (_, i) => BigInt(i));
    const { buffer, expected } = await encoded(1_000n, 1_764_000_000_000n, deltas);
    const fromValue = vi.spyOn(Long, 'fromValue');
    const fromString = vi.spyOn(Long, 'fromString');
    const bytes = vi.spyOn(Decoder.prototype, 'readVarIntBytes');
    const { records } = await decodeBatch(new Decoder(buffer));
    expect(plain(records)).toEqual(expected);
    // unpatched: two Long.fromValue (each parsing a decimal string) and one extra buffer view per record
    expect(fromValue.mock.calls.length + fromString.mock.calls.length).toBeLessThan(5);
    const headerValues = expected.reduce((n, r) => n + Object.values(r.headers).flat().length, 0);
    expect(bytes).toHaveBeenCalledTimes(2 * expected.length + headerValues);
  });
});
