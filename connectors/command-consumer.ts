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
import {
  noopMetrics,
  transactionalProducer,
  TransactionCommitter,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaClient,
  type KafkaMessage,
  type Metrics,
  type OutRecord,
  type PartitionOffset,
  type TransactionalProducer,
  type TransactionalProducerFactory,
  ReadCommittedFilter,
  ConsumerWatch,
  topologyMetrics,
} from '../topology/index.js';
import { connectorMetrics } from './metric-catalogue.js';
import { DlqHeaders, topicNames, type ActionCommand, type ActionResult } from '../schemas/index.js';
import type { AttemptContext } from './action-executor.js';
import { AttemptLog, type AttemptLoad } from './attempt-log.js';
import { parseCommand } from './command-parse.js';
import { ConnectorCodes } from './errors.js';
import { ThrottleGate } from './throttle-gate.js';
import {
  ensureQueueTopic,
  queueRecord,
  queuedCommands,
  throttledHandler,
  type ThrottleLookup,
} from './throttle-queue.js';
import { systemTimer, type Timer } from '../topology/index.js';
import { isFenced, newerOwner, newOwnerTag, taggedRoundRobin, type OwnerTag } from './txn-owner.js';

export { parseCommand };

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
  /** Each batch's records not yet answered, when they are handed out (the throttle queue counts its depth). */
  readonly onFetched?: (messages: readonly KafkaMessage[]) => void;
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

/** Answers kept for re-delivery after a failed transaction. */
const MAX_ANSWERED = 20_000;
/** Clock skew allowed between the producer of a command and this connector when reading attempts back. */
const ATTEMPT_CLOCK_SKEW_MS = 60_000;

type Out = OutRecord;

interface PendingCommit {
  readonly outs: readonly Out[];
  readonly topic: string;
  readonly partition: number;
  /** Offset to commit: the chunk's last offset + 1. */
  readonly next: bigint;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** A running connector service; `start()` joins the group, `stop()` leaves it after the chunk in progress. */
export class CommandConsumer {
  private consumer!: Consumer;
  private producer!: TransactionalProducer;
  private committer!: TransactionCommitter;
  private ready: Promise<void> = Promise.resolve();
  private admin: Admin | undefined;
  private phase: CommandConsumerState = 'created';
  private recovery: Promise<void> | undefined;
  private readonly txId: string;
  private readonly tag: OwnerTag;
  /** Results of commands answered but not yet committed, by `topic|partition|offset`: a re-delivery reuses them. */
  private readonly answered = new Map<string, Out>();
  private readonly recoveries;
  private readonly topics: ReturnType<typeof topicNames>;
  private readonly groupId: string;
  private readonly maxInFlight: number;
  private txChain: Promise<void> = Promise.resolve();
  private readonly pending: PendingCommit[] = [];
  /** Next offset to process per `topic|partition`, as committed by this instance's own transactions. */
  private readonly committed = new Map<string, bigint>();
  private filter = new ReadCommittedFilter();
  private readonly attemptLog: AttemptLog;
  /** Command partitions assigned at the last join: a partition new to this session reads the attempt log first. */
  private owned = new Set<number>();
  private readonly loads = new Map<number, Promise<void>>();
  private loadQueue: Array<AttemptLoad & { resolve: () => void; reject: (err: unknown) => void }> = [];
  private readonly results;
  private readonly deadLetters;
  private readonly inFlightGauge;
  private inFlightNow = 0;
  private peak = 0;
  /** The throttle queue's consumer, when actions may be throttled. */
  private readonly queue: CommandConsumer | undefined;
  private readonly timer: Timer;
  private readonly watch = new ConsumerWatch({
    timer: { sleep: (ms) => this.timer.sleep(ms) },
    // kafkajs gave up on the consumer: rebuild consumer and producer as after a failed transaction
    restart: async () => {
      this.recover(new Error('consumer crashed'));
      await this.recovery;
    },
    stopped: () => this.phase === 'stopped' || this.phase === 'superseded',
    log: (level, msg, extra) => this.log(level, msg, extra),
  });

  constructor(private readonly opts: CommandConsumerOptions) {
    this.timer = opts.timer ?? systemTimer;
    this.topics = topicNames(opts.topicPrefix);
    this.groupId = opts.groupId ?? `${opts.topicPrefix ?? 'jo.'}connector-${opts.connector}`;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.txId = opts.transactionalId ?? `${this.groupId}-${hostname()}`;
    this.tag = newOwnerTag(this.txId, this.timer.now());
    this.attemptLog = new AttemptLog({
      kafka: opts.kafka,
      topic: this.topics.actionAttempts,
      commandTopic: this.topics.commands(opts.connector),
      readGroupPrefix: `${this.groupId}-attempts`,
    });
    this.queue = opts.throttleOf && this.throttleQueue(opts.throttleOf);
    const m = opts.metrics ?? noopMetrics;
    this.recoveries = m.counter(connectorMetrics.recoveries);
    this.results = m.counter(connectorMetrics.results);
    this.inFlightGauge = m.gauge(connectorMetrics.inFlight);
    this.deadLetters = m.counter(topologyMetrics.deadLettered);
  }

  /** The consumer of `<prefix>action-queue.<connector>`: sends throttled commands at their action's rate. */
  private throttleQueue(throttleOf: ThrottleLookup): CommandConsumer {
    const gate = new ThrottleGate({ metrics: this.opts.metrics });
    return new CommandConsumer({
      ...this.opts,
      throttleOf: undefined,
      topic: this.topics.actionQueue(this.opts.connector),
      groupId: `${this.groupId}-queue`,
      transactionalId: `${this.txId}-queue`,
      handle: throttledHandler(gate, throttleOf, this.opts.handle),
      onFetched: (ms) => gate.queue(queuedCommands(ms)),
      onRebalance: () => gate.forget(),
      onInFlight: () => this.publishInFlight(),
      onStop: undefined,
    });
  }

  /** Commands taken from Kafka and not yet committed; bounded by maxInFlight × partitionsConsumedConcurrently. */
  get inFlight(): number {
    return this.inFlightNow;
  }

  /** The highest {@link inFlight} seen since start (what back-pressure bounds). */
  get peakInFlight(): number {
    return this.peak;
  }

  /** False from a consumer crash until the consumer has joined its group again (for `/readyz`). */
  get consumerHealthy(): boolean {
    return this.watch.healthy && (this.queue?.consumerHealthy ?? true);
  }

  get commandTopic(): string {
    return this.opts.topic ?? this.topics.commands(this.opts.connector);
  }

  get state(): CommandConsumerState {
    return this.phase;
  }

  async start(): Promise<void> {
    this.phase = 'running';
    await this.attemptLog.start();
    if (this.queue) {
      this.admin ??= this.opts.kafka.admin();
      await this.admin.connect();
      await ensureQueueTopic(this.admin, this.commandTopic, this.queue.commandTopic);
      await this.queue.start();
    }
    await this.session();
  }

  /** Leaves the group after the chunk in progress (waiting for a recovery under way to finish first). */
  async stop(): Promise<void> {
    const was = this.phase;
    if (was === 'stopped') return;
    this.phase = 'stopped';
    await this.recovery;
    if (was !== 'superseded') await this.teardown().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.attemptLog.stop();
    await this.queue?.stop();
    await this.opts.onStop?.();
  }

  /**
   * Joins the group, then initialises the transactional producer: a newer instance is visible in the group
   * before it fences this one (see txn-owner.ts). Batches arriving in between wait for the producer in `flush`.
   */
  private async session(): Promise<void> {
    const o = this.opts;
    this.filter = new ReadCommittedFilter();
    this.owned = new Set();
    this.loads.clear();
    this.consumer = o.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      readUncommitted: false,
      partitionAssigners: [taggedRoundRobin(this.tag)],
    });
    const producers = o.producers ?? ((p) => transactionalProducer(o.kafka, p));
    this.producer = producers({ transactionalId: this.txId });
    // A new committer per session: after a failed transaction the old one refuses every commit.
    this.committer = new TransactionCommitter({ producer: this.producer, groupId: this.groupId });
    let producerReady!: () => void;
    let producerFailed!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => ((producerReady = resolve), (producerFailed = reject)));
    this.ready.catch(() => undefined);
    this.watch.watch(this.consumer);
    await this.consumer.connect();
    // After a rebalance kafkajs re-fetches from the committed offsets; the filter must see those records again.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.filter = new ReadCommittedFilter();
      const assigned = new Set(e.payload.memberAssignment[this.commandTopic] ?? []);
      for (const p of assigned) if (!this.owned.has(p)) this.loads.delete(p);
      this.owned = assigned;
      this.opts.onRebalance?.();
      void this.checkOwner().catch((err: unknown) => this.log('warn', 'group lookup failed', { err: String(err) }));
    });
    await this.consumer.subscribe({ topic: this.commandTopic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
      eachBatch: (p) => this.eachBatch(p),
    });
    await this.producer.connect().then(producerReady, (err: unknown) => {
      producerFailed(err);
      throw err;
    });
  }

  private async teardown(): Promise<void> {
    await this.consumer.disconnect();
    await this.txChain.catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  /**
   * A transaction failed (fenced, or the producer is in an unusable state). Rebuild producer and consumer and
   * carry on from the committed offsets — answers of the failed transaction are reused, not re-called — unless a
   * newer instance now owns the transactional id: then step aside instead of fencing it back.
   */
  private recover(err: unknown): void {
    if (this.phase !== 'running' || this.recovery) return;
    this.phase = 'recovering';
    this.recovery = this.rebuild(err)
      .catch((e: unknown) => {
        if (this.stopRequested()) return;
        // The broker may be away: try again shortly rather than giving up for good.
        this.log('warn', 'connector recovery failed; retrying', { err: String(e) });
        this.phase = 'running';
        this.timer.after(1_000, () => this.recover(e));
      })
      .finally(() => (this.recovery = undefined));
  }

  private async rebuild(err: unknown): Promise<void> {
    const fenced = isFenced(err);
    await this.teardown();
    if (this.stopRequested()) return;
    const owner = await this.newerOwnerWithRetry();
    if (owner) return this.superseded(owner);
    this.recoveries.inc({ connector: this.opts.connector, reason: fenced ? 'fenced' : 'transaction_failed' });
    this.log('warn', 'connector transaction failed; re-initialising and resuming from the committed offsets', {
      transactionalId: this.txId,
      fenced,
      err: String(err),
    });
    if (this.stopRequested()) return;
    this.phase = 'running';
    await this.session();
  }

  private superseded(owner: OwnerTag): void {
    this.recoveries.inc({ connector: this.opts.connector, reason: 'superseded' });
    this.log('warn', 'a newer instance owns this transactional id; this connector stops', {
      transactionalId: this.txId,
      newerStartedAt: new Date(owner.startedAt).toISOString(),
    });
    if (!this.stopRequested()) this.phase = 'superseded';
  }

  /**
   * After every rebalance: a newer instance with this transactional id joined the group (it is about to fence
   * this one, or already did). Step aside at once, even when this instance holds no partition to fail on.
   */
  private async checkOwner(): Promise<void> {
    if (this.phase !== 'running' || this.recovery) return;
    this.admin ??= this.opts.kafka.admin();
    await this.admin.connect();
    const owner = await newerOwner(this.admin, this.groupId, this.tag);
    if (!owner || this.phase !== 'running' || this.recovery) return;
    this.phase = 'recovering';
    this.recovery = this.teardown()
      .then(() => this.superseded(owner))
      .finally(() => (this.recovery = undefined));
  }

  /** A method, not a field read, so TypeScript does not narrow `phase` across the awaits that may change it. */
  private stopRequested(): boolean {
    return this.phase === 'stopped';
  }

  private async newerOwnerWithRetry(): Promise<OwnerTag | undefined> {
    this.admin ??= this.opts.kafka.admin();
    await this.admin.connect();
    // Right after this instance left, the group may be rebalancing; look a few times before deciding.
    for (let i = 0; i < 3; i++) {
      const owner = await newerOwner(this.admin, this.groupId, this.tag);
      if (owner) return owner;
      await this.timer.sleep(500);
    }
    return undefined;
  }

  private log(level: 'info' | 'warn', msg: string, extra: Record<string, unknown>): void {
    const sink =
      this.opts.log ??
      ((l, m, x) => process.stderr.write(JSON.stringify({ level: l, src: 'connector', msg: m, ...x }) + '\n'));
    sink(level, msg, { connector: this.opts.connector, ...extra });
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const { topic, partition } = batch;
    // Decide commit/abort from the control markers ourselves: kafkajs' own read_committed filtering lets aborted
    // transactions through when several producers' transactions interleave (see ReadCommittedFilter).
    const decided = this.filter.accept(batch);
    // kafkajs cannot ask for stable offsets (KIP-447), so right after a transaction commits, a rebalance may read
    // the previous committed offset and redeliver records this instance already answered: skip those.
    const done = this.committed.get(`${topic}|${partition}`) ?? -1n;
    const messages = decided.filter((m) => BigInt(m.offset) >= done);
    if (messages.length > 0) this.opts.onFetched?.(messages);
    let complete = false;
    try {
      complete = messages.length === 0 || (await this.processChunks(p, messages));
    } finally {
      // Records handed out but not answered must be handed out again when the partition is re-fetched.
      if (!complete) this.filter.reset(topic, partition);
    }
    if (!complete) return;
    // Records still waiting for their transaction's marker stay in the filter: the batch carrying that marker
    // reaches eachBatch even when it holds nothing else (the kafka seam passes marker-only batches through).
    p.resolveOffset(batch.lastOffset());
  }

  /** Answers and commits `messages` chunk by chunk; false when the batch went stale or the consumer is stopping. */
  private async processChunks(p: EachBatchPayload, messages: readonly KafkaMessage[]): Promise<boolean> {
    const { topic, partition } = p.batch;
    // Heartbeats keep the group membership while a chunk waits on slow endpoints or rate limits.
    let cancelBeat = () => {};
    const beat = () => {
      void p.heartbeat().catch(() => undefined);
      cancelBeat = this.timer.after(3_000, beat);
    };
    cancelBeat = this.timer.after(3_000, beat);
    try {
      try {
        await this.attemptsLoaded(partition, messages);
      } catch (err) {
        this.recover(err);
        return false;
      }
      for (let i = 0; i < messages.length; i += this.maxInFlight) {
        if (!p.isRunning() || p.isStale() || this.phase !== 'running') return false;
        const chunk = messages.slice(i, i + this.maxInFlight);
        const last = chunk[chunk.length - 1];
        if (!last) continue;
        const keys = chunk.map((m) => `${topic}|${partition}|${m.offset}`);
        this.track(chunk.length);
        try {
          const outs = await Promise.all(chunk.map((m, j) => this.answer(topic, partition, m, keys[j] ?? '')));
          await this.commit(outs, topic, partition, last.offset);
          keys.forEach((k) => this.answered.delete(k));
        } catch (err) {
          this.recover(err);
          return false;
        } finally {
          this.track(-chunk.length);
        }
        p.resolveOffset(last.offset);
        await p.heartbeat();
      }
      return true;
    } finally {
      cancelBeat();
    }
  }

  /**
   * Resolves once the attempt log has been read for a partition new to this session, from the produce time of
   * its oldest uncommitted command (the first fetched). Partitions arriving together share one read.
   */
  private attemptsLoaded(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    const have = this.loads.get(partition);
    if (have) return have;
    const oldest = messages.reduce((t, m) => Math.min(t, Number(m.timestamp)), this.timer.now());
    const load = new Promise<void>((resolve, reject) => {
      this.loadQueue.push({ partition, fromTimestamp: oldest - ATTEMPT_CLOCK_SKEW_MS, resolve, reject });
      if (this.loadQueue.length === 1) void this.timer.sleep(20).then(() => this.runLoads());
    });
    this.loads.set(partition, load);
    load.catch(() => {
      if (this.loads.get(partition) === load) this.loads.delete(partition);
    });
    return load;
  }

  private async runLoads(): Promise<void> {
    const batch = this.loadQueue.splice(0);
    try {
      await this.attemptLog.load(batch);
      batch.forEach((b) => b.resolve());
    } catch (err) {
      batch.forEach((b) => b.reject(err));
    }
  }

  private track(delta: number): void {
    this.inFlightNow += delta;
    this.peak = Math.max(this.peak, this.inFlightNow);
    if (this.opts.onInFlight) this.opts.onInFlight();
    else this.publishInFlight();
  }

  /** One gauge per connector: the commands in flight of its command consumer and of its throttle queue's. */
  private publishInFlight(): void {
    this.inFlightGauge.set({ connector: this.opts.connector }, this.inFlightNow + (this.queue?.inFlight ?? 0));
  }

  /** The cached answer of a command answered before a failed transaction, or a fresh one. */
  private async answer(topic: string, partition: number, m: KafkaMessage, key: string): Promise<Out> {
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

  private async processOne(topic: string, partition: number, m: KafkaMessage): Promise<Out> {
    const cmd = parseCommand(m.value);
    if (typeof cmd === 'string') {
      this.deadLetters.inc({ topic, code: ConnectorCodes.commandInvalid });
      return {
        topic: this.topics.dlq,
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
    if (this.queue && this.opts.throttleOf?.(cmd.action)) return queueRecord(this.queue.commandTopic, cmd, m);
    let result: ActionResult;
    const attempts: AttemptContext = {
      priorAttempts: this.attemptLog.attempts(cmd.commandId),
      beforeAttempt: (n) => this.attemptLog.record(partition, cmd.commandId, n),
    };
    try {
      result = await this.opts.handle(cmd, attempts);
    } catch (err) {
      // not recorded, not sent: the chunk fails and is taken again from the committed offsets
      if ((err as { code?: unknown }).code === ConnectorCodes.attemptLogFailed) throw err;
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
    return { topic: this.topics.actionResults, key: cmd.profileKey, value: JSON.stringify(result) };
  }

  /**
   * One transaction at a time per producer. Chunks finished while a transaction is running wait here and go
   * together in the next one (group commit), so partitions consumed in parallel share transactions.
   */
  private commit(outs: readonly Out[], topic: string, partition: number, lastOffset: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ outs, topic, partition, next: BigInt(lastOffset) + 1n, resolve, reject });
      if (this.pending.length === 1) this.txChain = this.txChain.then(() => this.flush());
    });
  }

  /** One transaction through the shared exactly-once committer (size-bounded requests, offsets, abort on failure). */
  private async flush(): Promise<void> {
    const group = this.pending.splice(0);
    if (group.length === 0) return;
    const offsets = new Map<string, PartitionOffset>();
    for (const g of group) {
      const k = `${g.topic}|${g.partition}`;
      const have = offsets.get(k);
      if (!have || BigInt(have.offset) < g.next)
        offsets.set(k, { topic: g.topic, partition: g.partition, offset: String(g.next) });
    }
    try {
      await this.ready;
      await this.committer.commit({ records: group.flatMap((g) => g.outs), offsets: [...offsets.values()] });
    } catch (err) {
      group.forEach((g) => g.reject(err));
      return;
    }
    for (const o of group) {
      const k = `${o.topic}|${o.partition}`;
      if ((this.committed.get(k) ?? -1n) < o.next) this.committed.set(k, o.next);
      o.resolve();
    }
  }
}
