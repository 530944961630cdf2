/** What a `CommandConsumer` is given: the handler that answers a command, and the consumer's options. */
import type { KafkaClient, KafkaMessage, Metrics, TransactionalProducerFactory, Timer } from '../topology/index.js';
import type { ActionCommand, ActionResult } from '../schemas/index.js';
import type { AttemptContext } from './action-executor.js';
import type { ThrottleLookup } from './throttle-queue.js';

/**
 * Turns one valid command into its result; `attempts` says how many calls earlier incarnations made and records
 * each new one before it is sent. Must not throw (a throw becomes a `CONNECTOR_INTERNAL` result), except the
 * rejection of `attempts.beforeAttempt`, which fails the chunk: it is taken again from the committed offsets.
 */
export type CommandHandler = (cmd: ActionCommand, attempts: AttemptContext) => Promise<ActionResult>;

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
  /** Makes the transactional producer (default: the Kafka adapter's); tests inject failures through it. */
  readonly producers?: TransactionalProducerFactory;
  readonly metrics?: Metrics;
  /** Time and waiting (default: the process's `systemTimer`). */
  readonly timer?: Timer;
  /** Commands of one partition in flight at once, and per transaction; default 64. */
  readonly maxInFlight?: number;
  /**
   * Answer a partition's next chunk while the previous chunk's transaction commits (chunk-loop.ts); a crash then
   * repeats the calls of up to two chunks. Default false; the throttle queue's consumer sets it.
   */
  readonly pipelined?: boolean;
  /** Partitions processed in parallel; default 4. */
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * The throttle of an action (`throttle` of its config). When given, commands of throttled actions are moved to
   * the durable throttle queue and sent at the rate by a second consumer (throttle-queue.ts).
   */
  readonly throttleOf?: ThrottleLookup;
  /** The consumed topic when not `<prefix>commands.<connector>` (the throttle queue's consumer). */
  readonly topic?: string;
  /**
   * Each fetched batch, when it is handed out: its records not yet answered (possibly none: a batch of markers or
   * of records already answered) and where it ends (the throttle queue counts its depth from them).
   */
  readonly onFetched?: (messages: readonly KafkaMessage[], batch: FetchedBatch) => void;
  /** Replaces setting `jo_connector_in_flight` (the throttle queue's consumer reports through its parent). */
  readonly onInFlight?: () => void;
  /** After every rebalance of this consumer's group. */
  readonly onRebalance?: () => void;
  /** Called at the end of `stop()` (e.g. to close an HTTP client the connector created). */
  readonly onStop?: () => Promise<void>;
  /** Where recoveries and stepping aside are reported; stderr JSON lines by default. */
  readonly log?: (level: 'info' | 'warn', msg: string, extra: Record<string, unknown>) => void;
}

/**
 * `running`; `recovering` (a transaction failed: rebuilding producer and consumer); `superseded` (a newer
 * instance took the transactional id over, this one stopped); `stopped`.
 */
export type CommandConsumerState = 'created' | 'running' | 'recovering' | 'superseded' | 'stopped';

/** Where a fetched batch ends: its partition, its last offset (records or markers), the partition's high watermark. */
export interface FetchedBatch {
  readonly partition: number;
  readonly lastOffset: string;
  readonly highWatermark: string;
}

/** The connector log when none is given: JSON lines on stderr. */
export const stderrLog: NonNullable<CommandConsumerOptions['log']> = (level, msg, extra) =>
  void process.stderr.write(JSON.stringify({ level, src: 'connector', msg, ...extra }) + '\n');
