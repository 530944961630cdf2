/**
 * Load-time replacements of kafkajs modules (see `patchKafkaJs`). Imported for its effect by kafka-client.ts before
 * kafkajs is first required.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { encodePartitionBatch, type BatchMessage } from './record-batch.js';

const require = createRequire(import.meta.url);

/**
 * Byte-for-byte the same wire format, less garbage: kafkajs 2.2.4 (pinned, unmaintained) zero-fills a new buffer
 * for every record it encodes and every time an encoder grows, builds a one-off buffer for every varint, and
 * groups a batch's messages per partition by copying the partition's array once per message (quadratic). Those
 * showed as ~10 % of the engine's CPU. The modules are replaced in the require cache before kafkajs first loads
 * them; if kafkajs was loaded already (or its files differ from what is expected), nothing is patched.
 * Uncompressed produce batches are encoded by record-batch.ts in one pass (kafkajs' path stays for compression).
 */
function patchKafkaJs(): void {
  const replace = (request: string, transform: (source: string) => string): void => {
    const file = require.resolve(request);
    if (require.cache[file]) return;
    const source = readFileSync(file, 'utf8');
    const patched = transform(source);
    if (patched === source) return;
    const m = new Module(file) as Module & { _compile(code: string, filename: string): void };
    m.filename = file;
    m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
    m._compile(patched, file);
    m.loaded = true;
    require.cache[file] = m;
  };
  replace('kafkajs/src/protocol/encoder.js', (s) => {
    const uvarint = `  writeUVarInt(value) {
    const byteArray = []
    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
      byteArray.push((value & OTHER_BITS) | MOST_SIGNIFICANT_BIT)
      value >>>= 7
    }
    byteArray.push(value & OTHER_BITS)
    this.writeBufferInternal(Buffer.from(byteArray))
    return this
  }`;
    if (!s.includes(uvarint) || s.split('Buffer.alloc(').length !== 3) return s;
    return s.replaceAll('Buffer.alloc(', 'Buffer.allocUnsafe(').replace(
      uvarint,
      `  writeUVarInt(value) {
    this.ensureAvailable(5)
    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {
      this.buf[this.offset++] = (value & OTHER_BITS) | MOST_SIGNIFICANT_BIT
      value >>>= 7
    }
    this.buf[this.offset++] = value & OTHER_BITS
    return this
  }`,
    );
  });
  const partitions = `const partitionsEncoder = compression => async ({`;
  replace('kafkajs/src/protocol/requests/produce/v3/request.js', (s) =>
    s.includes(partitions) && s.includes("const { Types } = require('../../../message/compression')")
      ? s.replace(
          partitions,
          `const partitionsEncoder = compression => {
  const slow = slowPartitionsEncoder(compression)
  const fast = compression === Types.None ? globalThis[Symbol.for('${FAST_PARTITION_ENCODER}')] : undefined
  return fast ? async data => fast(data) || slow(data) : slow
}
const slowPartitionsEncoder = compression => async ({`,
        )
      : s,
  );
  installFastPartitionEncoder();
  // eachBatch also gets batches that hold only control markers (or only aborted records): the ReadCommittedFilter
  // decides held records from those markers. kafkajs skipped them, so a transaction whose marker came in a fetch of
  // its own stayed held until the partition's next data arrived — and was then decided by the next marker.
  const skipFiltered = 'if (batch.isEmptyDueToFiltering()) {';
  const skipEmpty = 'if (batch.isEmpty()) {';
  replace('kafkajs/src/consumer/runner.js', (s) =>
    s.includes(skipFiltered) && s.includes(skipEmpty)
      ? s
          .replace(skipFiltered, 'if (batch.isEmptyDueToFiltering() && !this.eachBatch) {')
          .replace(skipEmpty, 'if (batch.isEmpty() && !(this.eachBatch && batch.isEmptyDueToFiltering())) {')
      : s,
  );
  replace('kafkajs/src/producer/groupMessagesPerPartition.js', (s) =>
    s.includes('[...current, message]')
      ? `module.exports = ({ topic, partitionMetadata, messages, partitioner }) => {
  const result = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message })
    ;(result[partition] || (result[partition] = [])).push(message)
  }
  return result
}
`
      : s,
  );
}

const FAST_PARTITION_ENCODER = 'jo.kafkajs.encodePartition';

interface PartitionData {
  readonly partition: number;
  readonly messages: readonly BatchMessage[];
  readonly transactionalId?: string | null;
  readonly firstSequence?: number;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
}

/** The hook the patched produce request calls for an uncompressed partition: an encoder holding the bytes. */
function installFastPartitionEncoder(): void {
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new (size: number) => { buf: Buffer; offset: number };
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { toString(): string } };
  (globalThis as Record<symbol, unknown>)[Symbol.for(FAST_PARTITION_ENCODER)] = (d: PartitionData) => {
    const buf = encodePartitionBatch({
      partition: d.partition,
      messages: d.messages,
      transactional: !!d.transactionalId,
      producerId: BigInt(Long.fromValue(d.producerId ?? -1).toString()),
      producerEpoch: d.producerEpoch ?? 0,
      firstSequence: d.firstSequence ?? 0,
      // kafkajs' own default for a message without a timestamp (the runtime always sets one)
      // eslint-disable-next-line no-restricted-properties
      now: Date.now(),
    });
    if (!buf) return undefined;
    const e = new Encoder(1);
    e.buf = buf;
    e.offset = buf.length;
    return e;
  };
}

patchKafkaJs();
