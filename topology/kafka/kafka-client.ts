/**
 * The one seam over kafkajs. kafkajs 2.2.4 is unmaintained and has no KIP-447 (no consumer-group metadata on
 * transactional offset commits), so the rest of the code base talks to Kafka only through what this file
 * exports; swapping the client later means rewriting this file, not the engine.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as KafkaJs from 'kafkajs';
import type { Admin as KafkaAdmin, Batch, KafkaConfig, KafkaMessage, LogEntry } from 'kafkajs';
import { encodePartitionBatch, type BatchMessage } from './record-batch.js';
import {
  kafkaJsCodec,
  rawCodecs,
  withOutputCompression,
  CODEC_TYPES,
  type CodecName,
  type CodecOptions,
  type OutputCompression,
} from './kafka-codecs.js';
import { GroupMembers, type GroupMembersOptions } from './group-members.js';
import type { OutRecord, TransactionalProducer, TransactionalProducerOptions } from './port.js';
import { systemTimer } from '../api/timer.js';

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
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, AssignerProtocol, PartitionAssigners } =
  require('kafkajs') as typeof KafkaJs;
/**
 * Every Kafka codec on input (kafkajs ships gzip only): see kafka-codecs.ts. kafkajs keeps codecs per process, so
 * the last call's options hold for every client of the process.
 */
function registerCodecs(opts: CodecOptions = {}): void {
  const codecs = rawCodecs(opts);
  for (const [name, codec] of Object.entries(codecs) as [CodecName, (typeof codecs)[CodecName]][]) {
    const wrapped = kafkaJsCodec(name, codec, opts);
    (CompressionCodecs as Record<number, () => unknown>)[CODEC_TYPES[name]] = () => wrapped;
  }
}
registerCodecs();
type LogLevel = KafkaJs.logLevel;
type Kafka = KafkaJs.Kafka;

export type {
  Admin,
  Consumer,
  Producer,
  Transaction,
  EachBatchPayload,
  EachMessagePayload,
  KafkaMessage,
  Message,
  IHeaders,
  ITopicConfig,
  RecordMetadata,
  TopicPartitionOffsetAndMetadata,
  PartitionAssigner,
  Assigner,
  GroupMember,
  GroupMemberAssignment,
  ConsumerGroupJoinEvent,
  TopicMessages,
  EachBatchHandler,
  Batch,
} from 'kafkajs';
export { CompressionTypes, AssignerProtocol, PartitionAssigners };
export type { OutputCompression, CodecName } from './kafka-codecs.js';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own log output; `error` by default (it is chatty about rebalances that we report ourselves). */
  readonly logLevel?: KafkaLogLevel;
  /** Where kafkajs log lines go; stderr JSON lines by default. */
  readonly log?: KafkaLogSink;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Compression of every batch the client's producers send (a send's own `compression` wins); default `none`. */
  readonly compression?: OutputCompression;
  /**
   * A fetched batch that decompresses to more than this is dead-lettered as undecodable (process-wide: kafkajs
   * keeps codecs per process); default 256 MiB.
   */
  readonly maxDecompressedBatchBytes?: number;
  /** Rejoin groups with the member id a crashed predecessor had (see group-members.ts); off by default. */
  readonly groupMembers?: GroupMembersOptions;
}

const levels: Record<KafkaLogLevel, LogLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

function toOurLevel(level: LogLevel): KafkaLogLevel {
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

/** Where kafkajs log lines go. */
export type KafkaLogSink = (level: KafkaLogLevel, message: string, extra: Record<string, unknown>) => void;

let defaultLog: KafkaLogSink | undefined;

/**
 * Where clients built without their own `log` send kafkajs' lines (stderr JSON lines until this is called). The
 * composition root calls it once at start-up, so the clients that parts build for themselves (config view, report
 * view, hosts directory...) log through the process's logger like the rest.
 */
export function setDefaultKafkaLog(log: KafkaLogSink | undefined): void {
  defaultLog = log;
}

/** Builds a kafkajs client. Callers create producers, consumers and admins from it. */
export function createKafka(opts: KafkaClientOptions): Kafka {
  const sink =
    opts.log ??
    defaultLog ??
    ((level, message, extra) =>
      process.stderr.write(JSON.stringify({ level, src: 'kafkajs', msg: message, ...extra }) + '\n'));
  const config: KafkaConfig = {
    brokers: [...opts.brokers],
    clientId: opts.clientId,
    logLevel: levels[opts.logLevel ?? 'error'],
    connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        sink(toOurLevel(level), message, extra);
      },
  };
  if (opts.maxDecompressedBatchBytes !== undefined)
    registerCodecs({ maxDecompressedBytes: opts.maxDecompressedBatchBytes });
  const kafka = new Kafka(config);
  const makeProducer = kafka.producer.bind(kafka);
  const compression = opts.compression ?? 'none';
  kafka.producer = (cfg) => withOutputCompression(makeProducer(cfg), compression);
  const makeAdmin = kafka.admin.bind(kafka);
  kafka.admin = (cfg) => withCreateTopicsRetry(makeAdmin(cfg));
  if (opts.groupMembers) {
    const members = new GroupMembers(opts.groupMembers);
    const makeConsumer = kafka.consumer.bind(kafka);
    kafka.consumer = (cfg) => {
      const consumer = makeConsumer(cfg);
      consumer.on(consumer.events.GROUP_JOIN, (e) => members.remember(cfg.groupId, e.payload.memberId));
      return consumer;
    };
  }
  return kafka;
}

/**
 * kafkajs' createTopics(waitForLeaders) retries only LEADER_NOT_AVAILABLE, but a KRaft broker under load may
 * still answer UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created. Retry the whole call (topics that now
 * exist are skipped by kafkajs) until the metadata shows them.
 */
function withCreateTopicsRetry(admin: KafkaAdmin): KafkaAdmin {
  const create = admin.createTopics.bind(admin);
  admin.createTopics = (opts) =>
    retryKafka(() => create(opts), {
      attempts: 20,
      when: (err) => kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  return admin;
}

/** The kafkajs protocol error name (`CONCURRENT_TRANSACTIONS`, `UNKNOWN_TOPIC_OR_PARTITION`...), if any. */
export function kafkaErrorType(err: unknown): string | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

export interface KafkaRetryOptions {
  /** Calls in all, the first included (default 10). */
  readonly attempts?: number;
  /** Which errors are worth another call (default: those kafkajs marks retriable). */
  readonly when?: (err: unknown) => boolean;
  /** Wait before call `attempt + 1` (default 200 ms × attempt). */
  readonly delayMs?: (attempt: number) => number;
  /** How to wait (topology passes its injected Timer's sleep). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs `fn`, calling it again after transient broker errors; other errors, and the last transient one, are thrown. */
export async function retryKafka<T>(fn: () => Promise<T>, opts: KafkaRetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 10;
  const when = opts.when ?? isRetriableKafkaError;
  const delayMs = opts.delayMs ?? ((attempt: number) => 200 * attempt);
  const sleep = opts.sleep ?? ((ms: number) => systemTimer.sleep(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !when(err)) throw err;
      await sleep(delayMs(attempt));
    }
  }
}

export type KafkaClient = Kafka;

type RawFetchedMessage = KafkaMessage & {
  readonly isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
};

/**
 * Buffers up to this size under a record's bytes are used in place, not copied: at least Node's allocation pool
 * (8 KiB on Node 20, 64 KiB on Node 24), whose slabs small buffers share anyway.
 */
const DETACH_ABOVE = Math.max(16 * 1024, Buffer.poolSize);

/**
 * The message with its key and value copied out of the fetch response they were decoded from. kafkajs decodes them
 * as views of the whole response buffer (up to the fetch's maxBytes, megabytes), so one record held in a task's queue
 * or waiting for its transaction marker would keep the entire response alive: measured, 200 MB of fetch buffers held
 * by a few thousand queued records. Key and value share one small allocation (Node's pool for small records).
 */
export function detach<M extends KafkaMessage>(m: M): M {
  const { key, value } = m;
  const big = (b: Buffer | null | undefined) => b != null && b.buffer.byteLength > DETACH_ABOVE;
  if (!big(key) && !big(value)) return m;
  const kl = key?.length ?? 0;
  const bytes = Buffer.allocUnsafe(kl + (value?.length ?? 0));
  if (key) key.copy(bytes, 0);
  if (value) value.copy(bytes, kl);
  return {
    ...m,
    key: key ? bytes.subarray(0, kl) : key,
    value: value ? bytes.subarray(kl) : value,
  };
}

interface Pending {
  readonly message: KafkaMessage;
  decided: boolean;
  aborted: boolean;
}

interface PartitionFilterState {
  next: bigint;
  readonly queue: Pending[];
  readonly open: Map<string, Pending[]>;
}

/**
 * Correct read_committed filtering over kafkajs batches. kafkajs 2.2.4 drops aborted records using the fetch
 * response's aborted-transaction list as if it were sorted by first offset; the broker lists aborted transactions
 * in completion order, so when several producers' transactions are aborted out of order (a crashed instance's
 * tasks fenced one by one) whole aborted transactions leak through as if committed. This filter ignores that list
 * and decides from the control markers themselves: a transactional record is delivered once its producer's next
 * marker is a COMMIT, dropped on ABORT; records stay in offset order (later records wait behind undecided ones).
 * One filter per consumer; call `reset` whenever the consumer seeks a partition.
 */
export class ReadCommittedFilter {
  private readonly parts = new Map<string, PartitionFilterState>();

  /** The committed data records of a fetched batch that can be delivered now, in offset order. */
  accept(batch: Batch): KafkaMessage[] {
    const raw = batch as unknown as { rawMessages?: RawFetchedMessage[]; fetchedOffset?: string };
    const key = `${batch.topic}/${batch.partition}`;
    let st = this.parts.get(key);
    if (!st) this.parts.set(key, (st = { next: -1n, queue: [], open: new Map() }));
    const from = BigInt(raw.fetchedOffset ?? '0');
    const messages: readonly RawFetchedMessage[] = raw.rawMessages ?? batch.messages;
    for (const m of messages) {
      const off = BigInt(m.offset);
      if (off < from || off < st.next) continue;
      st.next = off + 1n;
      const ctx = m.batchContext;
      if (m.isControlRecord) {
        // Control record key: int16 version, int16 type (0 = ABORT, 1 = COMMIT).
        const aborted = m.key ? m.key.readInt16BE(2) === 0 : false;
        for (const p of (ctx && st.open.get(ctx.producerId)) ?? []) {
          p.decided = true;
          p.aborted = aborted;
        }
        if (ctx) st.open.delete(ctx.producerId);
        continue;
      }
      const p: Pending = { message: detach(m), decided: !ctx?.inTransaction, aborted: false };
      if (ctx?.inTransaction) {
        const list = st.open.get(ctx.producerId) ?? [];
        list.push(p);
        st.open.set(ctx.producerId, list);
      }
      st.queue.push(p);
    }
    const out: KafkaMessage[] = [];
    while (st.queue[0]?.decided) {
      const p = st.queue.shift();
      if (p && !p.aborted) out.push(p.message);
    }
    return out;
  }

  /**
   * Offset of the first record of the partition still held back (its transaction's marker not yet seen), if any.
   * Consumers need not act on it: the seam hands them marker-only batches too, so the deciding marker reaches
   * `accept` in a later batch. For diagnostics.
   */
  firstUndecided(topic: string, partition: number): string | undefined {
    return this.parts.get(`${topic}/${partition}`)?.queue[0]?.message.offset;
  }

  /** Forgets a partition's state (after a seek, the consumer re-reads from the new offset). */
  reset(topic: string, partition: number): void {
    this.parts.delete(`${topic}/${partition}`);
  }
}

/** True for broker errors that a retry can fix (leader moves, coordinator loading, metadata not yet propagated). */
export function isRetriableKafkaError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

/** Retries of a transactional producer: short first back-off, about 15 s in all. */
const TXN_RETRY = { initialRetryTime: 20, maxRetryTime: 1_000, retries: 20 } as const;

/**
 * The port's transactional producer on kafkajs. kafkajs fixes that live here: InitProducerId is forced at connect
 * (kafkajs runs it lazily, at the first transaction, which would leave the previous owner unfenced while state is
 * restored), and AddOffsetsToTxn is retried on CONCURRENT_TRANSACTIONS (kafkajs does not retry it; first in a
 * transaction it meets the previous transaction's markers still being written).
 */
export function transactionalProducer(kafka: Kafka, opts: TransactionalProducerOptions): TransactionalProducer {
  const producer = kafka.producer({
    transactionalId: opts.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: opts.transactionTimeoutMs ?? 60_000,
    // Until the markers of the previous commit are written the coordinator answers the next transaction's
    // AddPartitionsToTxn with CONCURRENT_TRANSACTIONS (retriable). kafkajs' default first back-off is 300 ms,
    // which made back-to-back commits take 100–500 ms; the Java producer retries that case after 20 ms.
    retry: TXN_RETRY,
  });
  return {
    transactionalId: opts.transactionalId,
    async connect() {
      await producer.connect();
      const fence = await producer.transaction();
      await fence.abort();
    },
    async begin() {
      const txn = await producer.transaction();
      return {
        send: async (records) => {
          const results = await txn.sendBatch({ topicMessages: toTopicMessages(records), acks: -1 });
          return results.map((r) => ({
            topic: r.topicName,
            partition: r.partition,
            ...(r.baseOffset === undefined ? {} : { baseOffset: r.baseOffset }),
          }));
        },
        sendOffsets: (groupId, offsets) =>
          retryKafka(
            () =>
              txn.sendOffsets({
                consumerGroupId: groupId,
                topics: [...groupBy(offsets, (o) => o.topic)].map(([topic, list]) => ({
                  topic,
                  partitions: list.map((o) => ({ partition: o.partition, offset: o.offset })),
                })),
              }),
            {
              attempts: 50,
              when: (err) => kafkaErrorType(err) === 'CONCURRENT_TRANSACTIONS',
              delayMs: (i) => Math.min(20 * 2 ** (i - 1), 500),
            },
          ),
        commit: () => txn.commit(),
        abort: () => txn.abort(),
      };
    },
    disconnect: () => producer.disconnect(),
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = by.get(k);
    if (list) list.push(item);
    else by.set(k, [item]);
  }
  return by;
}

function toTopicMessages(records: readonly OutRecord[]): KafkaJs.TopicMessages[] {
  return [...groupBy(records, (r) => r.topic)].map(([topic, list]) => ({
    topic,
    messages: list.map((r) => ({
      key: r.key,
      value: r.value,
      ...(r.headers ? { headers: { ...r.headers } } : {}),
      ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
      ...(r.partition === undefined ? {} : { partition: r.partition }),
    })),
  }));
}
