/**
 * The one seam over kafkajs. kafkajs 2.2.4 is unmaintained and has no KIP-447 (no consumer-group metadata on
 * transactional offset commits), so the rest of the code base talks to Kafka only through what this file
 * exports; swapping the client later means rewriting this file, not the engine.
 */
import { createRequire } from 'node:module';
import './kafkajs-fixes.js';
import type * as KafkaJs from 'kafkajs';
import type { KafkaConfig, LogEntry } from 'kafkajs';
import type { ConsumerOptions, GroupConsumer, KafkaAdmin, KafkaClient } from './port-client.js';
import type { TransactionalProducer, TransactionalProducerOptions } from './port.js';
import { asGroupConsumer, asKafkaAdmin, toKafkaJsConsumerConfig } from './kafkajs-port.js';
import { transactionalProducer } from './transactional-producer.js';
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
import { kafkaErrorType, retryKafka } from './kafka-retry.js';
import { observeConsumer } from './kafka-diagnostics.js';

const require = createRequire(import.meta.url);

const { Kafka, logLevel, CompressionTypes, CompressionCodecs, AssignerProtocol } = require('kafkajs') as typeof KafkaJs;
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

// The port's types under the names the code base used with kafkajs.
export type {
  KafkaAdmin as Admin,
  GroupConsumer as Consumer,
  KafkaProducer as Producer,
  BatchContext as EachBatchPayload,
  FetchedMessage as KafkaMessage,
  ProducerMessage as Message,
  FetchedBatch as Batch,
  GroupAssigner as PartitionAssigner,
} from './port-client.js';
export type { KafkaClient } from './port-client.js';
export { CompressionTypes, AssignerProtocol };
export { memberUserData, roundRobinAssigner } from './kafkajs-port.js';
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

/**
 * The kafkajs client extended to implement the port's `KafkaClient` (see kafkajs-port.ts). Production code holds
 * it as a `KafkaClient`; tests may still use kafkajs calls on it.
 */
/** kafkajs' own objects as the adapter hands them out (tests: raw transactions, listGroups, paused()). */
export type KafkaJsProducer = KafkaJs.Producer;
export type KafkaJsConsumer = KafkaJs.Consumer & GroupConsumer;
export type KafkaJsAdmin = KafkaJs.Admin & KafkaAdmin;

export type KafkaJsClient = Omit<Kafka, 'admin' | 'consumer'> & {
  admin(cfg?: KafkaJs.AdminConfig): KafkaJs.Admin & KafkaAdmin;
  consumer(cfg: KafkaJs.ConsumerConfig | ConsumerOptions): KafkaJs.Consumer & GroupConsumer;
  transactionalProducer(opts: TransactionalProducerOptions): TransactionalProducer;
};

/** Builds the client (the port's `KafkaClient`, on kafkajs). Callers create producers, consumers and admins from it. */
export function createKafka(opts: KafkaClientOptions): KafkaJsClient {
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
  const makeConsumer = kafka.consumer.bind(kafka);
  const members = opts.groupMembers ? new GroupMembers(opts.groupMembers) : undefined;
  const client: KafkaJsClient = Object.assign(kafka, {
    admin: (cfg?: KafkaJs.AdminConfig) => asKafkaAdmin(withCreateTopicsRetry(makeAdmin(cfg))),
    consumer: (cfg: KafkaJs.ConsumerConfig | ConsumerOptions) => {
      // `memberId`: the patched kafkajs' option (fix 8 in kafkajs-fixes.ts), the id the group's first join uses
      const memberId = members?.take(cfg.groupId);
      const config: KafkaJs.ConsumerConfig & { memberId?: string } = toKafkaJsConsumerConfig(cfg);
      const made = makeConsumer(memberId === undefined ? config : { ...config, memberId });
      const consumer = asGroupConsumer(observeConsumer(made, cfg.groupId));
      if (!members) return consumer;
      let joinedAs: string | undefined;
      consumer.onGroupJoin((e) => {
        joinedAs = e.memberId;
        members.remember(cfg.groupId, e.memberId);
      });
      const disconnect = consumer.disconnect.bind(consumer);
      consumer.disconnect = async () => {
        try {
          await disconnect();
        } finally {
          if (joinedAs !== undefined) members.release(cfg.groupId, joinedAs);
        }
      };
      return consumer;
    },
    transactionalProducer: (p: TransactionalProducerOptions) => transactionalProducer(kafka, p),
  });
  return client;
}

// The adapter implements the port: a compile-time check.
const _implementsPort = (c: KafkaJsClient): KafkaClient => c;
void _implementsPort;

/**
 * kafkajs' createTopics(waitForLeaders) retries only LEADER_NOT_AVAILABLE, but a KRaft broker under load may
 * still answer UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created. Retry the whole call (topics that now
 * exist are skipped by kafkajs) until the metadata shows them.
 */
function withCreateTopicsRetry(admin: KafkaJs.Admin): KafkaJs.Admin {
  const create = admin.createTopics.bind(admin);
  admin.createTopics = (opts) =>
    retryKafka(() => create(opts), {
      attempts: 20,
      when: (err) => kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  return admin;
}

export { ReadCommittedFilter, detach } from './read-committed-filter.js';
export { isRetriableKafkaError, kafkaErrorType, retryKafka, type KafkaRetryOptions } from './kafka-retry.js';
export { transactionalProducer } from './transactional-producer.js';
export {
  KAFKA_BATCH_CHANNEL,
  KAFKA_FETCH_CHANNEL,
  type BatchDiagnostic,
  type FetchDiagnostic,
} from './kafka-diagnostics.js';
