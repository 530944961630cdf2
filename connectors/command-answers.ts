/**
 * Turns one consumed command record into the record to write: its result on `jo.action-results`, the original
 * bytes on `jo.dlq` when it cannot be parsed, or its place in the throttle queue. Answers are kept until their
 * transaction commits, so a re-delivery after a failed transaction reuses them instead of calling again.
 */
import {
  noopMetrics,
  prefixedMetric,
  topologyMetrics,
  type KafkaMessage,
  type Metrics,
  type OutRecord,
} from '../topology/index.js';
import { DlqHeaders, METRIC_PREFIX, resultOf, type ActionResult, type topicNames } from '../schemas/index.js';
import type { AttemptContext } from './action-executor.js';
import type { AttemptLog } from './attempt-log.js';
import { parseCommand } from './command-parse.js';
import type { CommandHandler } from './command-consumer-options.js';
import { ConnectorCodes } from './errors.js';
import { connectorMetrics } from './metric-catalogue.js';
import { queueRecord, type ThrottleLookup } from './throttle-queue.js';

/** Answers kept for re-delivery after a failed transaction. */
const MAX_ANSWERED = 20_000;

export interface CommandAnswersOptions {
  readonly connector: string;
  readonly handle: CommandHandler;
  readonly topics: ReturnType<typeof topicNames>;
  readonly attemptLog: AttemptLog;
  readonly metrics?: Metrics;
  /** When actions may be throttled: which are, and the queue topic their commands move to. */
  readonly throttle?: { readonly of: ThrottleLookup; readonly queueTopic: string };
}

export class CommandAnswers {
  /** Results of commands answered but not yet committed, by `topic|partition|offset`: a re-delivery reuses them. */
  private readonly answered = new Map<string, OutRecord>();
  private readonly results;
  private readonly deadLetters;

  constructor(private readonly opts: CommandAnswersOptions) {
    const m = opts.metrics ?? noopMetrics;
    this.results = m.counter(connectorMetrics.results);
    this.deadLetters = m.counter(prefixedMetric(METRIC_PREFIX, topologyMetrics.deadLettered));
  }

  /** The key an answer is kept under until {@link committed}. */
  key(topic: string, partition: number, m: KafkaMessage): string {
    return `${topic}|${partition}|${m.offset}`;
  }

  /** The cached answer of a command answered before a failed transaction, or a fresh one. */
  async answer(topic: string, partition: number, m: KafkaMessage): Promise<OutRecord> {
    const key = this.key(topic, partition, m);
    const cached = this.answered.get(key);
    if (cached) return cached;
    const out = await this.processOne(topic, partition, m);
    this.answered.set(key, out);
    // Bounded: answers of partitions that moved to another instance are never re-delivered here.
    for (const k of this.answered.keys()) {
      if (this.answered.size <= MAX_ANSWERED) break;
      this.answered.delete(k);
    }
    return out;
  }

  /** The transaction carrying these answers committed: they are never needed again. */
  committed(keys: readonly string[]): void {
    keys.forEach((k) => this.answered.delete(k));
  }

  private async processOne(topic: string, partition: number, m: KafkaMessage): Promise<OutRecord> {
    const { topics, throttle } = this.opts;
    const cmd = parseCommand(m.value);
    if (typeof cmd === 'string') {
      this.deadLetters.inc({ topic, code: ConnectorCodes.commandInvalid });
      return {
        topic: topics.dlq,
        key: m.key,
        value: m.value,
        headers: {
          [DlqHeaders.code]: ConnectorCodes.commandInvalid,
          [DlqHeaders.message]: cmd.slice(0, 1000),
          [DlqHeaders.sourceTopic]: topic,
          [DlqHeaders.sourcePartition]: String(partition),
          [DlqHeaders.sourceOffset]: m.offset,
        },
      };
    }
    if (throttle?.of(cmd.action)) return queueRecord(throttle.queueTopic, cmd, m);
    let result: ActionResult;
    const attempts: AttemptContext = {
      priorAttempts: this.opts.attemptLog.attempts(cmd.commandId),
      beforeAttempt: (n) => this.opts.attemptLog.record(partition, cmd.commandId, n),
    };
    try {
      result = await this.opts.handle(cmd, attempts);
    } catch (err) {
      // not recorded, not sent: the chunk fails and is taken again from the committed offsets
      if ((err as { code?: unknown }).code === ConnectorCodes.attemptLogFailed) throw err;
      result = {
        ...resultOf(cmd),
        status: 'error',
        attempts: 0,
        error: `${ConnectorCodes.connectorInternal}: ${String(err)}`,
      };
    }
    this.results.inc({ connector: this.opts.connector, status: result.status });
    return { topic: topics.actionResults, key: cmd.profileKey, value: JSON.stringify(result) };
  }
}
