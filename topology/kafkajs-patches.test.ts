// The kafka-client seam replaces two kafkajs modules (record encoding, per-partition grouping) with leaner copies:
// the bytes on the wire and the grouping must be exactly what the originals produce.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
