/**
 * The consumer loop every action connector shares: reads `jo.commands.<connector>` in a consumer group, hands
 * each command to the connector's handler (bounded concurrency), and writes exactly one result per command to
 * `jo.action-results` — or the original bytes to `jo.dlq` when the command cannot be parsed — in a Kafka
 * transaction together with the consumed offsets. A crash before the commit repeats the calls of the open chunk
 * (endpoints can drop repeats by `Idempotency-Key`); after it, the chunk is never processed or written again.
 *
 * Back-pressure: `eachBatch` does not return until its chunks are committed, so the consumer stops fetching a
 * partition while its commands wait for a rate limit or a slow endpoint; nothing is buffered beyond one fetch.
 */
import { hostname } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import {
  noopMetrics,
  type Consumer,
  type EachBatchPayload,
  type KafkaClient,
  type KafkaMessage,
  type Message,
  type Metrics,
  type Producer,
} from '../topology/index.js';
import { ActionCommand, DlqHeaders, topicNames, type ActionResult } from '../schemas/index.js';
import { ConnectorCodes } from './errors.js';

/** Turns one valid command into its result. Must not throw (a throw becomes a `CONNECTOR_INTERNAL` result). */
export type CommandHandler = (cmd: ActionCommand) => Promise<ActionResult>;

export interface CommandConsumerOptions {
  readonly kafka: KafkaClient;
  /** Connector type: the command topic is `<prefix>commands.<connector>`. */
  readonly connector: string;
  readonly handle: CommandHandler;
  readonly topicPrefix?: string;
  /** Default `<prefix>connector-<connector>`. */
  readonly groupId?: string;
  /**
   * Must be stable across restarts of one instance (it fences the previous incarnation's open transaction) and
   * unique per running instance. Default `<groupId>-<hostname>`.
   */
  readonly transactionalId?: string;
  readonly metrics?: Metrics;
  /** Commands of one partition in flight at once, and per transaction; default 64. */
  readonly maxInFlight?: number;
  /** Partitions processed in parallel; default 4. */
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
}

type Out = { readonly topic: string; readonly message: Message };

/** Parses a command or returns why it cannot be one. */
export function parseCommand(value: Buffer | null): ActionCommand | string {
  if (value === null) return 'empty value';
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (!Value.Check(ActionCommand, json)) {
    const first = Value.Errors(ActionCommand, json).First();
    return `not a command: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}`;
  }
  if (Number.isNaN(Date.parse(json.deadline))) return `not a command: /deadline is not a date`;
  return json;
}

/** A running connector service; `start()` joins the group, `stop()` leaves it after the chunk in progress. */
export class CommandConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly topics: ReturnType<typeof topicNames>;
  private readonly groupId: string;
  private readonly maxInFlight: number;
  private txChain: Promise<void> = Promise.resolve();
  /** Next offset to process per `topic|partition`, as committed by this instance's own transactions. */
  private readonly committed = new Map<string, bigint>();
  private readonly results;
  private readonly deadLetters;

  constructor(private readonly opts: CommandConsumerOptions) {
    this.topics = topicNames(opts.topicPrefix);
    this.groupId = opts.groupId ?? `${opts.topicPrefix ?? 'jo.'}connector-${opts.connector}`;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.consumer = opts.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      readUncommitted: false,
    });
    this.producer = opts.kafka.producer({
      transactionalId: opts.transactionalId ?? `${this.groupId}-${hostname()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const m = opts.metrics ?? noopMetrics;
    this.results = m.counter({
      name: 'jo_connector_results_total',
      help: 'Results written by action connectors',
      labelNames: ['connector', 'status'],
    });
    this.deadLetters = m.counter({
      name: 'jo_events_dead_lettered_total',
      help: 'Records written to the DLQ, by code and source topic',
      labelNames: ['topic', 'code'],
    });
  }

  get commandTopic(): string {
    return this.topics.commands(this.opts.connector);
  }

  async start(): Promise<void> {
    await Promise.all([this.consumer.connect(), this.producer.connect()]);
    await this.consumer.subscribe({ topic: this.commandTopic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 4,
      eachBatch: (p) => this.eachBatch(p),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.txChain.catch(() => undefined);
    await this.producer.disconnect();
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    // kafkajs cannot ask for stable offsets (KIP-447), so right after a transaction commits, a rebalance may read
    // the previous committed offset and redeliver records this instance already answered: skip those.
    const done = this.committed.get(`${batch.topic}|${batch.partition}`) ?? -1n;
    const messages = batch.messages.filter((m) => BigInt(m.offset) >= done);
    if (messages.length === 0) {
      if (batch.messages.length > 0) p.resolveOffset(batch.lastOffset());
      return;
    }
    // Heartbeats keep the group membership while a chunk waits on slow endpoints or rate limits.
    const beat = setInterval(() => void p.heartbeat().catch(() => undefined), 3_000);
    try {
      for (let i = 0; i < messages.length; i += this.maxInFlight) {
        if (!p.isRunning() || p.isStale()) return;
        const chunk = messages.slice(i, i + this.maxInFlight);
        const outs = await Promise.all(chunk.map((m) => this.processOne(batch.topic, batch.partition, m)));
        const last = chunk[chunk.length - 1];
        if (!last) continue;
        await this.commit(outs, batch.topic, batch.partition, last.offset);
        p.resolveOffset(last.offset);
        await p.heartbeat();
      }
    } finally {
      clearInterval(beat);
    }
  }

  private async processOne(topic: string, partition: number, m: KafkaMessage): Promise<Out> {
    const cmd = parseCommand(m.value);
    if (typeof cmd === 'string') {
      this.deadLetters.inc({ topic, code: ConnectorCodes.commandInvalid });
      return {
        topic: this.topics.dlq,
        message: {
          key: m.key,
          value: m.value,
          headers: {
            [DlqHeaders.code]: ConnectorCodes.commandInvalid,
            [DlqHeaders.message]: cmd.slice(0, 1000),
            [DlqHeaders.sourceTopic]: topic,
            [DlqHeaders.sourcePartition]: String(partition),
            [DlqHeaders.sourceOffset]: m.offset,
          },
        },
      };
    }
    let result: ActionResult;
    try {
      result = await this.opts.handle(cmd);
    } catch (err) {
      result = {
        commandId: cmd.commandId,
        instanceId: cmd.instanceId,
        nodeId: cmd.nodeId,
        journeyId: cmd.journeyId,
        journeyVersion: cmd.journeyVersion,
        profileKey: cmd.profileKey,
        status: 'error',
        attempts: 0,
        error: `${ConnectorCodes.connectorInternal}: ${String(err)}`,
      };
    }
    this.results.inc({ connector: this.opts.connector, status: result.status });
    return { topic: this.topics.actionResults, message: { key: cmd.profileKey, value: JSON.stringify(result) } };
  }

  /** One transaction at a time per producer: chunks of concurrently consumed partitions queue up here. */
  private commit(outs: readonly Out[], topic: string, partition: number, lastOffset: string): Promise<void> {
    const run = async (): Promise<void> => {
      const tx = await this.producer.transaction();
      try {
        const byTopic = new Map<string, Message[]>();
        for (const o of outs) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.message]);
        await tx.sendBatch({ topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })) });
        await tx.sendOffsets({
          consumerGroupId: this.groupId,
          topics: [{ topic, partitions: [{ partition, offset: String(BigInt(lastOffset) + 1n) }] }],
        });
        await tx.commit();
        this.committed.set(`${topic}|${partition}`, BigInt(lastOffset) + 1n);
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
    };
    const next = this.txChain.then(run);
    this.txChain = next.catch(() => undefined);
    return next;
  }
}
