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
  systemTimer,
  TransactionCommitter,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type TransactionalProducer,
  type Timer,
  ReadCommittedFilter,
  ConsumerWatch,
} from '../topology/index.js';
import { connectorMetrics } from './metric-catalogue.js';
import { DEFAULT_TOPIC_PREFIX, topicNames } from '../schemas/index.js';
import { AttemptLog } from './attempt-log.js';
import { AttemptLoads } from './attempt-loads.js';
import { answerInChunks } from './chunk-loop.js';
import { CommandAnswers } from './command-answers.js';
import { stderrLog, type CommandConsumerOptions, type CommandConsumerState } from './command-consumer-options.js';
import { parseCommand } from './command-parse.js';
import { GroupCommit } from './group-commit.js';
import { ThrottleGate } from './throttle-gate.js';
import { QueueDepth } from './throttle-queue-depth.js';
import { ensureQueueTopic, queuedCommands, throttledHandler, type ThrottleLookup } from './throttle-queue.js';
import {
  isFenced,
  newerOwner,
  newerOwnerWithRetry,
  newOwnerTag,
  taggedRoundRobin,
  type OwnerTag,
} from './txn-owner.js';
export { parseCommand };
export type { CommandHandler, CommandConsumerOptions, CommandConsumerState } from './command-consumer-options.js';

/** A running connector service; `start()` joins the group, `stop()` leaves it after the chunk in progress. */
export class CommandConsumer {
  private consumer!: Consumer;
  private producer!: TransactionalProducer;
  private admin: Admin | undefined;
  private phase: CommandConsumerState = 'created';
  private recovery: Promise<void> | undefined;
  private readonly txId: string;
  private readonly tag: OwnerTag;
  private readonly recoveries;
  private readonly topics: ReturnType<typeof topicNames>;
  private readonly groupId: string;
  private readonly maxInFlight: number;
  private readonly commits = new GroupCommit();
  private filter = new ReadCommittedFilter();
  private readonly attemptLog: AttemptLog;
  /** Command partitions assigned at the last join: a partition new to this session reads the attempt log first. */
  private owned = new Set<number>();
  private readonly loads: AttemptLoads;
  private readonly answers: CommandAnswers;
  private readonly inFlightGauge;
  private inFlightNow = 0;
  private peak = 0;
  /** The throttle queue's consumer, when actions may be throttled. */
  private readonly queue: CommandConsumer | undefined;
  /** The throttle queue's depth sampling, with the queue. */
  private depth: QueueDepth | undefined;
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
    this.groupId = opts.groupId ?? `${opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX}connector-${opts.connector}`;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.txId = opts.transactionalId ?? `${this.groupId}-${hostname()}`;
    this.tag = newOwnerTag(this.txId, this.timer.now());
    this.attemptLog = new AttemptLog({
      kafka: opts.kafka,
      topic: this.topics.actionAttempts,
      commandTopic: this.topics.commands(opts.connector),
      readGroupPrefix: `${this.groupId}-attempts`,
    });
    this.loads = new AttemptLoads(this.attemptLog, this.timer);
    this.queue = opts.throttleOf && this.throttleQueue(opts.throttleOf);
    const throttle = opts.throttleOf && this.queue && { of: opts.throttleOf, queueTopic: this.queue.commandTopic };
    this.answers = new CommandAnswers({ ...opts, topics: this.topics, attemptLog: this.attemptLog, throttle });
    const m = opts.metrics ?? noopMetrics;
    this.recoveries = m.counter(connectorMetrics.recoveries);
    this.inFlightGauge = m.gauge(connectorMetrics.inFlight);
  }

  /** The consumer of `<prefix>action-queue.<connector>`: sends throttled commands at their action's rate. */
  private throttleQueue(throttleOf: ThrottleLookup): CommandConsumer {
    const gate = new ThrottleGate({ metrics: this.opts.metrics, timer: this.timer });
    const topic = this.topics.actionQueue(this.opts.connector);
    this.depth = new QueueDepth({
      admin: () => this.connectedAdmin(),
      topic,
      timer: this.timer,
      onUnread: (unread) => gate.setUnread(unread),
    });
    const depth = this.depth;
    return new CommandConsumer({
      ...this.opts,
      throttleOf: undefined,
      topic,
      groupId: `${this.groupId}-queue`,
      transactionalId: `${this.txId}-queue`,
      // the next chunk's calls go while the previous chunk commits: the rate does not pause for commits
      pipelined: true,
      handle: throttledHandler(gate, throttleOf, this.opts.handle),
      onFetched: (ms, b) => {
        const cmds = queuedCommands(ms);
        gate.queue(cmds);
        depth.fetched(
          b.partition,
          cmds.map((c) => c.action),
          b.lastOffset,
          b.highWatermark,
        );
      },
      onRebalance: () => {
        gate.forget();
        depth.forget();
      },
      onInFlight: () => this.publishInFlight(),
      onStop: undefined,
    });
  }

  /**
   * Commands taken from Kafka and not yet committed; bounded by maxInFlight × partitionsConsumedConcurrently (× 2
   * when pipelined).
   */
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
      await ensureQueueTopic(await this.connectedAdmin(), this.commandTopic, this.queue.commandTopic);
      await this.queue.start();
      this.depth?.start();
    }
    await this.session();
  }

  private async connectedAdmin(): Promise<Admin> {
    this.admin ??= this.opts.kafka.admin();
    await this.admin.connect();
    return this.admin;
  }

  /** Leaves the group after the chunk in progress (waiting for a recovery under way to finish first). */
  async stop(): Promise<void> {
    const was = this.phase;
    if (was === 'stopped') return;
    this.phase = 'stopped';
    this.depth?.stop();
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
      maxWaitTimeInMs: 500, // stop() waits for the fetch in flight: kafkajs' 5 s default on an idle topic
      readUncommitted: false,
      partitionAssigners: [taggedRoundRobin(this.tag)],
    });
    const producers = o.producers ?? ((p) => o.kafka.transactionalProducer(p));
    this.producer = producers({ transactionalId: this.txId });
    // A new committer per session: after a failed transaction the old one refuses every commit.
    let producerReady!: () => void;
    let producerFailed!: (err: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => ((producerReady = resolve), (producerFailed = reject)));
    ready.catch(() => undefined);
    this.commits.session(new TransactionCommitter({ producer: this.producer, groupId: this.groupId }), ready);
    this.watch.watch(this.consumer);
    await this.consumer.connect();
    // After a rebalance kafkajs re-fetches from the committed offsets; the filter must see those records again.
    this.consumer.onGroupJoin((e) => {
      this.filter = new ReadCommittedFilter();
      const assigned = new Set(e.memberAssignment[this.commandTopic] ?? []);
      for (const p of assigned) if (!this.owned.has(p)) this.loads.forget(p);
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
    await this.commits.settled();
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
    const owner = await newerOwnerWithRetry(await this.connectedAdmin(), this.groupId, this.tag, this.timer);
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
    const owner = await newerOwner(await this.connectedAdmin(), this.groupId, this.tag);
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

  private log(level: 'info' | 'warn', msg: string, extra: Record<string, unknown>): void {
    (this.opts.log ?? stderrLog)(level, msg, { connector: this.opts.connector, ...extra });
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const { topic, partition } = batch;
    // Decide commit/abort from the control markers ourselves: kafkajs' own read_committed filtering lets aborted
    // transactions through when several producers' transactions interleave (see ReadCommittedFilter).
    const decided = this.filter.accept(batch);
    // kafkajs cannot ask for stable offsets (KIP-447), so right after a transaction commits, a rebalance may read
    // the previous committed offset and redeliver records this instance already answered: skip those.
    const done = this.commits.committedOffset(topic, partition);
    const messages = decided.filter((m) => BigInt(m.offset) >= done);
    this.opts.onFetched?.(messages, { partition, lastOffset: batch.lastOffset(), highWatermark: batch.highWatermark });
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

  /** Answers and commits `messages` chunk by chunk (chunk-loop.ts); false when the batch went stale or failed. */
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
        await this.loads.loaded(partition, messages);
      } catch (err) {
        this.recover(err);
        return false;
      }
      return await answerInChunks(messages, {
        maxInFlight: this.maxInFlight,
        pipelined: this.opts.pipelined ?? false,
        running: () => p.isRunning() && !p.isStale() && this.phase === 'running',
        answer: (m) => this.answers.answer(topic, partition, m),
        commit: async (chunk, outs) => {
          await this.commits.commit(outs, topic, partition, chunk[chunk.length - 1]?.offset ?? '-1');
          this.answers.committed(chunk.map((m) => this.answers.key(topic, partition, m)));
        },
        committed: async (last) => {
          p.resolveOffset(last.offset);
          await p.heartbeat();
        },
        track: (delta) => this.track(delta),
        failed: (err) => this.recover(err),
      });
    } finally {
      cancelBeat();
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
}
