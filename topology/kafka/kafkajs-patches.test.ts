// The kafka-client seam replaces two kafkajs modules (record encoding, per-partition grouping) with leaner copies:
// the bytes on the wire and the grouping must be exactly what the originals produce.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { crc32c } from './record-batch.js';
import './kafka-client.js';

const require = createRequire(import.meta.url);

/** Loads a kafkajs file as shipped, outside the require cache. */
function original<T>(request: string): T {
  const file = require.resolve(request);
  const m = new Module(file) as Module & { _compile(code: string, filename: string): void };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  m._compile(readFileSync(file, 'utf8'), file);
  return m.exports as T;
}

interface EncoderLike {
  writeVarInt(v: number): EncoderLike;
  writeUVarInt(v: number): EncoderLike;
  writeVarIntBytes(b: Buffer | null): EncoderLike;
  writeVarLong(v: number): EncoderLike;
  writeInt32(v: number): EncoderLike;
  writeString(s: string): EncoderLike;
  readonly buffer: Buffer;
}
type EncoderClass = new (size?: number) => EncoderLike;

describe('kafkajs patches', () => {
  it('the encoder writes the same bytes as kafkajs 2.2.4 (varints, growth past the initial buffer)', () => {
    const Patched = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
    const Original = original<EncoderClass>('kafkajs/src/protocol/encoder.js');
    expect(Patched).not.toBe(Original);
    // the seam's copy is the one kafkajs uses (no one-off buffer per varint)
    const source = Object.getOwnPropertyDescriptor(Patched.prototype, 'writeUVarInt')?.value as unknown;
    expect(String(source)).not.toContain('byteArray');
    const write = (E: EncoderClass) => {
      const e = new E(8);
      for (const v of [0, 1, -1, 63, 64, -65, 127, 128, 300, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, -(2 ** 31)])
        e.writeVarInt(v).writeUVarInt(Math.abs(v) >>> 0);
      e.writeVarIntBytes(Buffer.alloc(3_000, 7)).writeVarIntBytes(null).writeVarLong(1_733_000_000_000);
      e.writeInt32(-5).writeString('héllo');
      return e.buffer;
    };
    expect(write(Patched).equals(write(Original))).toBe(true);
  });

  it('groups messages per partition like kafkajs, in order, in linear time', () => {
    type Group = (a: {
      topic: string;
      partitionMetadata: unknown[];
      messages: Array<{ partition: number; n: number }>;
      partitioner: (a: { message: { partition: number } }) => number;
    }) => Record<string, unknown[]>;
    const patched = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
    const shipped = original<Group>('kafkajs/src/producer/groupMessagesPerPartition.js');
    const messages = Array.from({ length: 500 }, (_, n) => ({ partition: (n * 7) % 5, n }));
    const args = {
      topic: 't',
      partitionMetadata: [{}],
      messages,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    };
    expect(patched(args)).toEqual(shipped(args));
    expect(patched({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('encodes produce requests byte for byte as kafkajs does (keys, headers, timestamps, transactions)', async () => {
    type Request = (a: Record<string, unknown>) => { encode(): Promise<{ buffer: Buffer }> };
    const patched = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Request;
    const shipped = original<Request>('kafkajs/src/protocol/requests/produce/v3/request.js');
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown };
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
    const hooks = globalThis as unknown as Record<symbol, (d: unknown) => unknown>;
    const hook = Symbol.for('jo.kafkajs.encodePartition');
    const fastEncoder = hooks[hook];
    expect(typeof fastEncoder).toBe('function');
    let fastCalls = 0;
    hooks[hook] = (d) => (fastCalls++, fastEncoder?.(d));
    try {
      let seed = 7;
      const rnd = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
      const text = (n: number) => 'é✓x'.repeat(n);
      const message = (i: number) => ({
        ...(rnd(4) === 0 ? {} : { key: rnd(2) ? Buffer.from(text(rnd(50))) : rnd(3) ? `k${i}` : null }),
        value: rnd(5) === 0 ? null : rnd(2) ? Buffer.alloc(rnd(3_000), i) : text(rnd(400)),
        ...(rnd(3) === 0 ? {} : { headers: { a: `h${i}`, b: [Buffer.from('x'), 'yy'], ...(rnd(2) ? { c: '' } : {}) } }),
        ...(rnd(3) === 0
          ? {}
          : { timestamp: rnd(2) ? String(1_764_000_000_000 - rnd(100_000)) : 1_764_000_000_000 + rnd(99) }),
      });
      for (const [transactionalId, producerId] of [
        [null, -1],
        ['app-1_3', 123_456_789_012],
      ] as const)
        for (const count of [1, 3, 40, 400]) {
          const args = {
            acks: -1,
            timeout: 30_000,
            transactionalId,
            producerId: Long.fromValue(producerId),
            producerEpoch: 4,
            topicData: [
              {
                topic: 't-1',
                partitions: [
                  { partition: 0, firstSequence: 17, messages: Array.from({ length: count }, (_, i) => message(i)) },
                ],
              },
              { topic: 'other', partitions: [{ partition: 5, firstSequence: 0, messages: [message(9), message(10)] }] },
            ],
          };
          const fast = (await patched(args).encode()).buffer;
          const slow = (await shipped(args).encode()).buffer;
          expect(fast.equals(slow)).toBe(true);
        }
      expect(fastCalls).toBe(16); // every partition of every request went through record-batch.ts
    } finally {
      if (fastEncoder) hooks[hook] = fastEncoder;
      now.mockRestore();
    }
  });

  it('computes CRC-32C (Castagnoli)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const data = Buffer.from(Array.from({ length: 1_000 }, (_, i) => (i * 31) % 256));
    const crc = original<(b: Buffer) => number>('kafkajs/src/protocol/recordBatch/crc32C/index.js');
    for (const n of [1, 7, 8, 9, 63, 1_000]) expect(crc32c(data.subarray(0, n))).toBe(crc(data.subarray(0, n)));
  });
});
