/**
 * Fixes to kafkajs 2.2.4 (pinned; unmaintained upstream), made by the adapter at run time: kafkajs' modules load as
 * shipped, then a class is subclassed, a prototype method wrapped, or a module's export replaced by our own function
 * or by a wrapper around the shipped one. No dependency source is read or rewritten.
 *
 * 1. Encoder (wire bytes unchanged, less garbage): no zero-filled buffer per encoder and per growth, no one-off
 *    buffer per unsigned varint.
 * 2. Per-partition grouping of a send in linear time (kafkajs copies a partition's list once per message).
 * 3. Produce requests without compression: each partition's record batch encoded by record-batch.ts in one pass
 *    (kafkajs builds an encoder per record and copies every record four times); compressed requests stay kafkajs'.
 * 4. eachBatch also gets batches that hold only control markers (or only aborted records): the ReadCommittedFilter
 *    decides held records from those markers. kafkajs skips such batches, so a transaction whose marker came in a
 *    fetch of its own stayed held until the partition's next data arrived.
 * 1–3 showed as ~10 % of the engine's CPU. Imported for its effect by kafka-client.ts before kafkajs loads; it
 * throws if the installed kafkajs is another version, or if kafkajs was loaded first (its modules would keep the
 * shipped encoder and grouping).
 */
import { createRequire } from 'node:module';
import { encodePartitionBatch, type BatchMessage } from './record-batch.js';

const require = createRequire(import.meta.url);

const FIXED_VERSION = '2.2.4';

interface KafkaJsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  ensureAvailable(length: number): void;
  writeString(s: string | null): KafkaJsEncoder;
  writeInt16(v: number): KafkaJsEncoder;
  writeInt32(v: number): KafkaJsEncoder;
  writeArray(items: readonly KafkaJsEncoder[]): KafkaJsEncoder;
}
type EncoderClass = (new (initialSize?: number) => KafkaJsEncoder) & {
  readonly prototype: object;
  nextPowerOfTwo(n: number): number;
};

export interface GroupArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly unknown[];
  readonly partitioner: (a: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}
export type GroupMessages = (a: GroupArgs) => Record<number, unknown[]>;

interface PartitionData {
  readonly partition: number;
  readonly messages: readonly BatchMessage[];
  readonly firstSequence?: number;
}
export interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly PartitionData[] }>;
}
interface ProduceRequest {
  encode(): Promise<KafkaJsEncoder>;
}
export type ProduceRequestFactory = (a: ProduceArgs) => ProduceRequest;

interface RunnerLike {
  eachBatch?: unknown;
  handleBatch: (this: RunnerLike, batch: BatchLike) => Promise<void>;
}
interface BatchLike {
  isEmpty(): boolean;
  isEmptyDueToFiltering(): boolean;
}
type HandleBatch = RunnerLike['handleBatch'];

/** The shipped kafkajs pieces the fixes replace or wrap (tests compare against them). */
export interface ShippedKafkaJs {
  readonly Encoder: EncoderClass;
  readonly groupMessagesPerPartition: GroupMessages;
  readonly produceRequestV3: ProduceRequestFactory;
  readonly handleBatch: HandleBatch;
}

const INSTALLED = Symbol.for('journey-engine.kafkajs-fixes');

/** Makes `require(request)` return `make(shipped)` for every module that requires it from now on. */
function replaceExport<T>(request: string, make: (shipped: T) => T): T {
  const shipped = require(request) as T;
  const entry = require.cache[require.resolve(request)];
  if (!entry) throw new Error(`kafkajs fixes: ${request} is not in the require cache`);
  entry.exports = make(shipped);
  return shipped;
}

/** 1: the encoder with unfilled buffers and in-place unsigned varints (bytes unchanged). */
function fixedEncoder(Shipped: EncoderClass): EncoderClass {
  const MORE = 0x80;
  const LOW_BITS = 0x7f;
  // A subclass whose constructor does not run the shipped one (which zero-fills its buffer): the prototype chain
  // is set by hand, so instances and statics are the shipped class's.
  class Encoder {
    buf: Buffer;
    offset = 0;
    constructor(initialSize = 511) {
      this.buf = Buffer.allocUnsafe(Shipped.nextPowerOfTwo(initialSize));
    }
    ensureAvailable(length: number): void {
      if (this.offset + length <= this.buf.length) return;
      const grown = Buffer.allocUnsafe(Shipped.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
    writeUVarInt(value: number): this {
      this.ensureAvailable(5);
      while ((value & 0xffffff80) !== 0) {
        this.buf[this.offset++] = (value & LOW_BITS) | MORE;
        value >>>= 7;
      }
      this.buf[this.offset++] = value & LOW_BITS;
      return this;
    }
  }
  Object.setPrototypeOf(Encoder.prototype, Shipped.prototype);
  Object.setPrototypeOf(Encoder, Shipped);
  return Encoder as unknown as EncoderClass;
}

/** 2: messages grouped per partition, in order, in linear time. */
const groupMessagesPerPartition: GroupMessages = ({ topic, partitionMetadata, messages, partitioner }) => {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
};

/** 3: the Produce request (v3, reused by v4–v7) with uncompressed partitions encoded by record-batch.ts. */
function fixedProduceRequest(shipped: ProduceRequestFactory, Encoder: EncoderClass): ProduceRequestFactory {
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { toString(): string } };
  const { Types } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number } };
  const holding = (buf: Buffer): KafkaJsEncoder => {
    const e = new Encoder(1);
    e.buf = buf;
    e.offset = buf.length;
    return e;
  };
  /** The request as kafkajs encodes it, or undefined when a partition has no messages (left to kafkajs). */
  const encode = (a: ProduceArgs): KafkaJsEncoder | undefined => {
    const producerId = BigInt(Long.fromValue(a.producerId ?? -1).toString());
    const topics: KafkaJsEncoder[] = [];
    for (const { topic, partitions } of a.topicData) {
      const encoded: KafkaJsEncoder[] = [];
      for (const p of partitions) {
        const buf = encodePartitionBatch({
          partition: p.partition,
          messages: p.messages,
          transactional: !!a.transactionalId,
          producerId,
          producerEpoch: a.producerEpoch ?? 0,
          firstSequence: p.firstSequence ?? 0,
          // kafkajs' own default for a message without a timestamp (the runtime always sets one)
          // eslint-disable-next-line no-restricted-properties
          now: Date.now(),
        });
        if (!buf) return undefined;
        encoded.push(holding(buf));
      }
      topics.push(new Encoder().writeString(topic).writeArray(encoded));
    }
    const txn = a.transactionalId ?? null;
    return new Encoder().writeString(txn).writeInt16(a.acks).writeInt32(a.timeout).writeArray(topics);
  };
  return (a) => {
    const request = shipped(a);
    if ((a.compression ?? Types.None) !== Types.None) return request;
    return { ...request, encode: async () => encode(a) ?? (await request.encode()) };
  };
}

/** 4: eachBatch consumers get marker-only batches (eachMessage consumers as shipped). */
function fixedHandleBatch(shipped: HandleBatch): HandleBatch {
  return function (this: RunnerLike, batch: BatchLike) {
    if (this.eachBatch && batch.isEmptyDueToFiltering()) {
      // kafkajs skips a batch for which either says true; this one carries markers the filter needs
      batch.isEmpty = () => false;
      batch.isEmptyDueToFiltering = () => false;
    }
    return shipped.call(this, batch);
  };
}

function installKafkaJsFixes(): ShippedKafkaJs {
  const g = globalThis as { [INSTALLED]?: ShippedKafkaJs };
  const installed = g[INSTALLED];
  if (installed) return installed;
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== FIXED_VERSION)
    throw new Error(`topology/kafka/kafkajs-fixes.ts fixes kafkajs ${FIXED_VERSION}; installed is ${version}`);
  for (const dependent of ['kafkajs', 'kafkajs/src/producer/sendMessages.js', 'kafkajs/src/protocol/encoder.js'])
    if (require.cache[require.resolve(dependent)])
      throw new Error(`kafkajs was loaded before topology/kafka/kafkajs-fixes.ts (${dependent}): import it first`);
  let fixed: EncoderClass | undefined;
  const Encoder = replaceExport<EncoderClass>('kafkajs/src/protocol/encoder.js', (e) => (fixed = fixedEncoder(e)));
  const group = replaceExport<GroupMessages>(
    'kafkajs/src/producer/groupMessagesPerPartition.js',
    () => groupMessagesPerPartition,
  );
  const produce = replaceExport<ProduceRequestFactory>('kafkajs/src/protocol/requests/produce/v3/request.js', (r) =>
    fixedProduceRequest(r, fixed as EncoderClass),
  );
  const Runner = require('kafkajs/src/consumer/runner.js') as { prototype: RunnerLike };
  const handleBatch = Runner.prototype.handleBatch;
  Runner.prototype.handleBatch = fixedHandleBatch(handleBatch);
  return (g[INSTALLED] = { Encoder, groupMessagesPerPartition: group, produceRequestV3: produce, handleBatch });
}

/** The shipped pieces (for tests); the fixes are installed on import. */
export const shippedKafkaJs: ShippedKafkaJs = installKafkaJsFixes();
