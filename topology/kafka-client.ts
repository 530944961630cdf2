/**
 * The one seam over kafkajs. kafkajs 2.2.4 is unmaintained and has no KIP-447 (no consumer-group metadata on
 * transactional offset commits), so the rest of the code base talks to Kafka only through what this file
 * exports; swapping the client later means rewriting this file, not the engine.
 */
import { Kafka, logLevel, CompressionTypes, AssignerProtocol, type KafkaConfig, type LogEntry } from 'kafkajs';

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
export { CompressionTypes, AssignerProtocol };

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own log output; `error` by default (it is chatty about rebalances that we report ourselves). */
  readonly logLevel?: KafkaLogLevel;
  /** Where kafkajs log lines go; stderr JSON lines by default. */
  readonly log?: (level: KafkaLogLevel, message: string, extra: Record<string, unknown>) => void;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

const levels: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

function toOurLevel(level: logLevel): KafkaLogLevel {
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}

/** Builds a kafkajs client. Callers create producers, consumers and admins from it. */
export function createKafka(opts: KafkaClientOptions): Kafka {
  const sink =
    opts.log ??
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
  return new Kafka(config);
}

export type KafkaClient = Kafka;

/** True for broker errors that a retry can fix (leader moves, coordinator loading, metadata not yet propagated). */
export function isRetriableKafkaError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
