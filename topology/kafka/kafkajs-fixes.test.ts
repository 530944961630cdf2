// kafkajs as patched by patches/kafkajs+2.2.4.patch (see kafkajs-fixes.ts): each test shows one fix's behaviour and
// fails with that fix's hunk reverted; wire bytes and grouping are also checked against kafkajs' unpatched pieces.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KAFKAJS_PATCH_REVISION, KAFKAJS_VERSION, kafkaJsPatchProblem } from './kafkajs-fixes.js';

const require = createRequire(import.meta.url);

interface EncoderLike {
  writeVarInt(v: number): EncoderLike;
  writeUVarInt(v: number): EncoderLike;
  writeVarIntBytes(b: Buffer | null): EncoderLike;
  writeVarLong(v: number): EncoderLike;
  writeInt16(v: number): EncoderLike;
  writeInt32(v: number): EncoderLike;
  writeString(s: string | null): EncoderLike;
  writeArray(items: readonly EncoderLike[]): EncoderLike;
  writeEncoder(e: EncoderLike): EncoderLike;
  size(): number;
  readonly buffer: Buffer;
}
type EncoderClass = new (size?: number) => EncoderLike;
interface DecoderLike {
  readVarInt(): number;
  readUVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarLong(): { toString(): string };
  readInt32(): number;
  readString(): string;
}
interface GroupArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly unknown[];
  readonly partitioner: (a: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}
interface Message {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Record<string, string | Buffer | Array<string | Buffer>>;
  readonly timestamp?: string | number;
}
interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId: string | null;
  readonly producerId: unknown;
  readonly producerEpoch: number;
  readonly compression: number;
  readonly topicData: ReadonlyArray<{
    readonly topic: string;
    readonly partitions: ReadonlyArray<{ partition: number; firstSequence: number; messages: Message[] }>;
  }>;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => DecoderLike;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kafkajs patch: the adapter refuses an unpatched kafkajs', () => {
  it('the installed kafkajs carries the patch at the revision the adapter needs', () => {
    const marker = require('kafkajs/src/journeyEnginePatch.js') as { revision: number };
    expect(marker.revision).toBe(KAFKAJS_PATCH_REVISION);
    expect(kafkaJsPatchProblem(KAFKAJS_VERSION, marker)).toBeUndefined();
  });

  it('names the command that fixes a missing or outdated patch, and a wrong kafkajs version', () => {
    expect(kafkaJsPatchProblem(KAFKAJS_VERSION, undefined)).toMatch(/not patched.*npx patch-package/);
    expect(kafkaJsPatchProblem(KAFKAJS_VERSION, { revision: KAFKAJS_PATCH_REVISION - 1 })).toMatch(
      /revision.*npx patch-package/,
    );
    expect(kafkaJsPatchProblem('2.2.3', { revision: KAFKAJS_PATCH_REVISION })).toMatch(/kafkajs 2\.2\.3 .*2\.2\.4/);
  });
});

describe('kafkajs patch 1: encoder', () => {
  const values = [0, 1, -1, 63, 64, -65, 127, 128, 300, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, -(2 ** 31)];

  it('writes what kafkajs’ decoder reads back (varints, growth from a tiny buffer)', () => {
    const e = new Encoder(8);
    for (const v of values) e.writeVarInt(v).writeUVarInt(Math.abs(v) >>> 0);
    e.writeVarIntBytes(Buffer.alloc(3_000, 7)).writeVarIntBytes(null).writeVarLong(1_733_000_000_000);
    e.writeInt32(-5).writeString('héllo');
    const d = new Decoder(e.buffer);
    for (const v of values) expect([d.readVarInt(), d.readUVarInt()]).toEqual([v, Math.abs(v) >>> 0]);
    expect(d.readVarIntBytes()?.equals(Buffer.alloc(3_000, 7))).toBe(true);
    expect(d.readVarIntBytes()).toBeNull();
    expect(d.readVarLong().toString()).toBe('1733000000000');
    expect([d.readInt32(), d.readString()]).toEqual([-5, 'héllo']);
  });

  it('allocates no zero-filled buffer (new encoder, growth) and no buffer per unsigned varint', () => {
    const alloc = vi.spyOn(Buffer, 'alloc');
    const from = vi.spyOn(Buffer, 'from');
    const e = new Encoder(8);
    for (let v = 0; v < 5_000; v += 7) e.writeUVarInt(v * 1_000);
    expect(e.buffer.length).toBeGreaterThan(8);
    expect(alloc).not.toHaveBeenCalled();
    expect(from).not.toHaveBeenCalled();
  });
});

describe('kafkajs patch 2: grouping per partition', () => {
  const group = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (a: GroupArgs) => unknown;
  const args = (messages: Array<{ partition: number; n: number }>): GroupArgs => ({
    topic: 't',
    partitionMetadata: [{}],
    messages,
    partitioner: ({ message }) => (message as { partition: number }).partition,
  });

  it('groups each partition’s messages in order', () => {
    const messages = Array.from({ length: 500 }, (_, n) => ({ partition: (n * 7) % 5, n }));
    const expected: Record<number, unknown[]> = {};
    for (const m of messages) (expected[m.partition] ??= []).push(m);
    expect(group(args(messages))).toEqual(expected);
    expect(group({ ...args(messages), partitionMetadata: [] })).toEqual({});
  });

  it('copies no partition list per message (linear, not quadratic)', () => {
    // the shipped function rebuilt a partition's list with [...list, message] per message: one array iteration
    // each; the patched one appends in place (the only iteration is over the messages themselves)
    const messages = Array.from({ length: 300 }, (_, n) => ({ partition: n % 3, n }));
    const iterate = Array.prototype[Symbol.iterator];
    let iterations = 0;
    Array.prototype[Symbol.iterator] = function (this: unknown[]) {
      iterations++;
      return iterate.call(this);
    };
    try {
      group(args(messages));
    } finally {
      Array.prototype[Symbol.iterator] = iterate;
    }
    expect(iterations).toBeLessThanOrEqual(1);
  });
});

describe('kafkajs patch 3: produce requests', () => {
  const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (a: ProduceArgs) => {
    encode(): Promise<{ buffer: Buffer }>;
  };
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (m: object) => EncoderLike;
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
    RecordBatch: (o: object) => Promise<EncoderLike>;
  };
  /** The request as kafkajs 2.2.4 encodes it unpatched (its request.js, with its per-record Record encoder). */
  const shippedEncoding = async (a: ProduceArgs & { compression?: number }): Promise<Buffer> => {
    const topics: EncoderLike[] = [];
    for (const { topic, partitions } of a.topicData) {
      const entries: EncoderLike[] = [];
      for (const p of partitions) {
        const now = Date.now();
        const stamps = p.messages.map((m) => m.timestamp).filter((t) => t != null);
        const sorted = stamps.length === 0 ? [now] : stamps.sort();
        const first = Number(sorted[0]);
        const records = p.messages.map((m, i) =>
          Record({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp || now) - first }),
        );
        const batch = await RecordBatch({
          compression: a.compression ?? 0,
          records,
          firstTimestamp: sorted[0],
          maxTimestamp: sorted[sorted.length - 1],
          producerId: a.producerId,
          producerEpoch: a.producerEpoch,
          firstSequence: p.firstSequence,
          transactional: !!a.transactionalId,
          lastOffsetDelta: records.length - 1,
        });
        entries.push(new Encoder().writeInt32(p.partition).writeInt32(batch.size()).writeEncoder(batch));
      }
      topics.push(new Encoder().writeString(topic).writeArray(entries));
    }
    const txn = a.transactionalId;
    return new Encoder().writeString(txn).writeInt16(a.acks).writeInt32(a.timeout).writeArray(topics).buffer;
  };
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
  const text = (n: number) => 'é✓x'.repeat(n);
  const message = (i: number): Message => ({
    ...(rnd(4) === 0 ? {} : { key: rnd(2) ? Buffer.from(text(rnd(50))) : rnd(3) ? `k${i}` : null }),
    value: rnd(5) === 0 ? null : rnd(2) ? Buffer.alloc(rnd(3_000), i) : text(rnd(400)),
    ...(rnd(3) === 0 ? {} : { headers: { a: `h${i}`, b: [Buffer.from('x'), 'yy'], ...(rnd(2) ? { c: '' } : {}) } }),
    ...(rnd(3) === 0
      ? {}
      : { timestamp: rnd(2) ? String(1_764_000_000_000 - rnd(100_000)) : 1_764_000_000_000 + rnd(99) }),
  });
  const request = (transactionalId: string | null, producerId: number, count: number, compression = 0) => ({
    acks: -1,
    timeout: 30_000,
    transactionalId,
    producerId: Long.fromValue(producerId),
    producerEpoch: 4,
    compression,
    topicData: [
      {
        topic: 't-1',
        partitions: [
          { partition: 0, firstSequence: 17, messages: Array.from({ length: count }, (_, i) => message(i)) },
        ],
      },
      { topic: 'other', partitions: [{ partition: 5, firstSequence: 0, messages: [message(9), message(10)] }] },
    ],
  });

  it('encodes byte for byte as unpatched kafkajs (keys, headers, timestamps, transactions)', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
    for (const [transactionalId, producerId] of [
      [null, -1],
      ['app-1_3', 123_456_789_012],
    ] as const)
      for (const count of [1, 3, 40, 400]) {
        const args = request(transactionalId, producerId, count);
        const patched = (await produceRequest(args).encode()).buffer;
        expect(patched.equals(await shippedEncoding(args))).toBe(true);
      }
  });

  it('encodes numeric timestamps byte for byte as unpatched kafkajs (13 digits compared as numbers; others as strings)', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
    const stamps: Array<Array<number | undefined>> = [
      [1_764_000_000_500, 1_764_000_000_001, 1_764_000_000_999, 1_764_000_000_001],
      [1_764_000_000_500, undefined, 1_764_000_000_002],
      [999_999_999_999, 1_000_000_000_001, 5], // digit counts differ: '5' sorts last, '1000…' first
      [1_764_000_000_100, 10_000_000_000_000, 1_764_000_000_050], // 14 digits: as strings
    ];
    for (const list of stamps) {
      const args = request('app-1_3', 42, 0);
      const messages = list.map((timestamp, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        ...(timestamp ? { timestamp } : {}),
      }));
      args.topicData[0]!.partitions[0]!.messages = messages;
      const patched = (await produceRequest(args).encode()).buffer;
      expect(patched.equals(await shippedEncoding(args))).toBe(true);
    }
  });

  it('encodes records in one pass, without kafkajs’ encoder per record, compressed or not', async () => {
    // kafkajs' per-record path writes each key and value with writeVarIntBytes; the patch writes them itself
    const perRecord = vi.spyOn(Encoder.prototype, 'writeVarIntBytes');
    const gzip = 1;
    await produceRequest(request('app-1_3', 5, 50)).encode();
    await produceRequest(request('app-1_3', 5, 50, gzip)).encode();
    expect(perRecord).not.toHaveBeenCalled();
  });

  it('encodes compressed batches byte for byte as unpatched kafkajs (gzip: deterministic output)', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
    const gzip = 1;
    for (const [transactionalId, producerId] of [
      [null, -1],
      ['app-1_3', 123_456_789_012],
    ] as const)
      for (const count of [1, 3, 40, 400]) {
        const args = request(transactionalId, producerId, count, gzip);
        const patched = (await produceRequest(args).encode()).buffer;
        expect(patched.equals(await shippedEncoding(args))).toBe(true);
      }
  });

  it('computes CRC-32C (Castagnoli) as kafkajs', () => {
    const { crc32c } = require('kafkajs/src/protocol/requests/produce/v3/uncompressedPartition.js') as {
      crc32c: (b: Buffer) => number;
    };
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const data = Buffer.from(Array.from({ length: 1_000 }, (_, i) => (i * 31) % 256));
    const crc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    for (const n of [1, 7, 8, 9, 63, 1_000]) expect(crc32c(data.subarray(0, n))).toBe(crc(data.subarray(0, n)));
  });
});

describe('kafkajs patch 4: marker-only batches', () => {
  const Runner = require('kafkajs/src/consumer/runner.js') as new (o: object) => {
    running: boolean;
    handleBatch(b: unknown): Promise<void>;
  };
  const Batch = require('kafkajs/src/consumer/batch.js') as new (t: string, o: string, d: object) => object;
  const Emitter = require('kafkajs/src/instrumentation/emitter.js') as new () => object;
  const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
    createLogger: (o: object) => object;
    LEVELS: { NOTHING: number };
  };
  // A fetched batch holding only a transaction's COMMIT marker (control key: version 0, type 1).
  const markerOnly = () =>
    new Batch('t', '4', {
      partition: 0,
      highWatermark: '5',
      abortedTransactions: [],
      messages: [
        {
          offset: '4',
          key: Buffer.from([0, 0, 0, 1]),
          value: Buffer.from([0, 0, 0, 0, 0, 0]),
          timestamp: '1',
          headers: {},
          isControlRecord: true,
          batchContext: { producerId: '9', inTransaction: true },
        },
      ],
    });
  const runner = (handlers: object) => {
    const resolved: unknown[] = [];
    const r = new Runner({
      logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
      consumerGroup: {
        resolveOffset: (o: unknown) => resolved.push(o),
        commitOffsetsIfNecessary: async () => {},
        heartbeat: async () => {},
        isLeader: () => false,
        uncommittedOffsets: () => ({ topics: [] }),
        hasSeekOffset: () => false,
      },
      instrumentationEmitter: new Emitter(),
      onCrash: () => {},
      autoCommit: false,
      ...handlers,
    });
    r.running = true;
    return { r, resolved };
  };

  it('hands an eachBatch consumer a batch holding only a transaction marker, and resolves past it', async () => {
    const seen: unknown[] = [];
    const { r, resolved } = runner({ eachBatch: async ({ batch }: { batch: unknown }) => void seen.push(batch) });
    const batch = markerOnly();
    await r.handleBatch(batch);
    expect(seen).toEqual([batch]);
    expect(resolved).toContainEqual({ topic: 't', partition: 0, offset: '4' });
  });

  it('still skips it for an eachMessage consumer (as shipped)', async () => {
    const seen: unknown[] = [];
    const { r, resolved } = runner({ eachMessage: async (p: unknown) => void seen.push(p) });
    await r.handleBatch(markerOnly());
    expect(seen).toEqual([]);
    expect(resolved).toContainEqual({ topic: 't', partition: 0, offset: '4' });
  });
});

describe('kafkajs patch 10: Batch keeps the messages at or after the fetched offset without a Long each', () => {
  const Batch = require('kafkajs/src/consumer/batch.js') as new (
    t: string,
    o: string,
    d: object,
  ) => { messagesWithinOffset: Array<{ offset: string }> };
  const batch = (fetchedOffset: string, offsets: string[]) =>
    new Batch('t', fetchedOffset, {
      partition: 0,
      highWatermark: '1000',
      abortedTransactions: [],
      messages: offsets.map((offset) => ({ offset, key: null, value: null, timestamp: '1', headers: {} })),
    }).messagesWithinOffset.map((m) => m.offset);

  it('compares offsets as numbers would, across digit counts', () => {
    const offsets = ['7', '8', '9', '10', '11', '99', '100', '9007199254740993'];
    expect(batch('9', offsets)).toEqual(['9', '10', '11', '99', '100', '9007199254740993']);
    expect(batch('10', offsets)).toEqual(['10', '11', '99', '100', '9007199254740993']);
    expect(batch('100', offsets)).toEqual(['100', '9007199254740993']);
    expect(batch('9007199254740992', offsets)).toEqual(['9007199254740993']);
    expect(batch('0', offsets)).toEqual(offsets);
  });
});
