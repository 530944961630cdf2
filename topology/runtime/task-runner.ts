/**
 * Runs one `StreamTask` against Kafka: fences the previous owner (transactional producer per task), restores
 * the task's stores, seeks its input partitions to the committed offsets, then processes its own queue in its
 * own loop (so a slow task never stalls another) and commits outputs + changelog writes + input offsets in one
 * transaction every commit interval. Any failure closes the task dirty; the app decides whether to recreate it.
 */
import type { Clock } from '../api/clock.js';
import { RetryLaterError, TerminalError } from '../api/errors.js';
import type { Topology } from '../api/builder.js';
import type { StreamsDiagnostics, TaskState } from '../api/diagnostics.js';
import type { Admin, Producer, TopicMessages } from '../kafka/kafka-client.js';
import type { ProduceResult, TransactionalProducer, TransactionalProducerFactory } from '../kafka/port.js';
import { noopMetrics, type Metrics } from '../api/metrics.js';
import type { RawRecord } from '../api/record.js';
import type { StateBackend, TaskStateHandle } from '../state/state-backend.js';
import {
  PunctuationError,
  StreamTask,
  changelogWriter,
  taskIdOf,
  type ErrorPolicy,
  type OutgoingRecord,
} from './task.js';
import { changelogTopicOf } from '../api/builder.js';
import { canPrefetch, type KeyValueStore, type Prefetchable } from '../api/store.js';
import type { Timer } from '../api/timer.js';
import { MAX_REQUEST_BYTES, TransactionCommitter, outRecordBytes, splitBySize } from './transaction-committer.js';

/**
 * Processing time shared by all tasks of a process between two turns of the event loop. Each task used to get
 * its own slice, so a commit's broker round trip waited for every task's slice (12 tasks × 10 ms) before its
 * response was read, and a commit of 4–5 round trips took half a second under load. With one shared slice the
 * network is polled at least every `ms` of processing, whichever task does it.
 */
export class CpuSlice {
  private start = Number.NEGATIVE_INFINITY;
  private turn: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timer: Timer,
    readonly ms = 10,
  ) {}

  /** True when this turn's processing time is used up. */
  spent(): boolean {
    return this.clock.now() - this.start >= this.ms;
  }

  /** Resolves at the next turn of the event loop (pending I/O runs first); the first task back opens the slice. */
  next(): Promise<void> {
    this.turn ??= this.timer.yield().then(() => {
      this.turn = undefined;
      this.start = this.clock.now();
    });
    return this.turn;
  }
}

/** Default largest output record: under the broker's default `max.message.bytes` (1,048,588) with room to spare. */
export const MAX_OUTPUT_RECORD_BYTES = 1_000_000;

/** Abort reason of an idle task's sleep (woken by new records, a settled commit or stop). */
const WAKE = 'wake';

/** What a task needs from the app's consumer. */
export interface ConsumerPort {
  seek(topic: string, partition: number, offset: string): void;
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** At-least-once only: commits input offsets through the group. */
  commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void>;
}

export interface TaskRunnerOptions {
  readonly applicationId: string;
  /** Exactly-once: makes the task's own transactional producer (through the Kafka port). */
  readonly producers?: TransactionalProducerFactory;
  readonly admin: Admin;
  readonly topology: Topology;
  readonly subTopology: number;
  readonly partition: number;
  readonly exactlyOnce: boolean;
  /** At-least-once: the app's shared idempotent producer. */
  readonly sharedProducer?: Producer;
  readonly commitIntervalMs: number;
  /** Processing time shared with the process's other tasks between event-loop turns (default: one of its own). */
  readonly slice?: CpuSlice;
  /** Commit as soon as the queue is empty (one commit in flight at a time) rather than only every interval. */
  readonly eagerCommit: boolean;
  /** Queue length above which the task's input partitions are paused. */
  readonly maxQueued: number;
  /** Queued key + value bytes above which the task's input partitions are paused (default: no byte limit). */
  readonly maxQueuedBytes?: number;
  /**
   * Bytes of outputs gathered while a commit is in flight above which the task waits for that commit (default: no
   * byte limit; 10,000 outputs is the limit either way).
   */
  readonly maxPendingOutputBytes?: number;
  /**
   * Largest output record (key + value + headers); a larger one is dead-lettered as `OUTPUT_TOO_LARGE` (default
   * MAX_OUTPUT_RECORD_BYTES, under the broker's default `max.message.bytes` of 1 MiB with room for batch overhead).
   */
  readonly maxOutputRecordBytes?: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly clock: Clock;
  readonly timer: Timer;
  readonly metrics?: Metrics;
  readonly events: StreamsDiagnostics;
  readonly errorPolicy: ErrorPolicy;
  readonly dlqTopic: string;
  readonly state: StateBackend;
  readonly globalStores: ReadonlyMap<string, KeyValueStore<unknown>>;
  readonly partitionsOf: (topic: string) => number | undefined;
  readonly consumer: ConsumerPort;
  /** Called once when the task fails (it is already closed dirty). */
  readonly onFailed: (runner: TaskRunner, err: unknown) => void;
}

/** The task's processing threw under the `stop` error policy: fatal for the app. */
export class TaskProcessingError extends TerminalError {
  constructor(taskId: string, cause: unknown) {
    super(
      'TASK_PROCESSING_STOPPED',
      `task ${taskId} stopped: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export class TaskRunner {
  readonly id: string;
  readonly inputs: readonly string[];
  private readonly changelogs: ReadonlySet<string>;
  private state: TaskState = 'created';
  private producer: Producer | undefined;
  private txProducer: TransactionalProducer | undefined;
  private committer: TransactionCommitter | undefined;
  private stateHandle: TaskStateHandle | undefined;
  private task: StreamTask | undefined;
  /** Stores warmed with the input keys of each batch (their spec's `prefetchInputKeys`). */
  private prefetchStores: Prefetchable[] = [];
  private readonly queue: RawRecord[] = [];
  /** Key and value bytes of the records in `queue`. */
  private queuedBytes = 0;
  private readonly expected = new Map<string, bigint>();
  private readonly positions = new Map<string, bigint>();
  private readonly highWatermarks = new Map<string, bigint>();
  private readonly paused = new Set<string>();
  /** A processor asked to retry a record later (RetryLaterError): the inputs stay paused until one goes through. */
  private waiting = false;
  private outputs: OutgoingRecord[] = [];
  /** `recordBytes` of `outputs`. */
  private outputBytes = 0;
  private processedSinceCommit = 0;
  private lastCommit = 0;
  private wake: (() => void) | undefined;
  private readonly stop = new AbortController();
  private readonly slice: CpuSlice;
  private loopDone: Promise<void> = Promise.resolve();
  private failed = false;
  /** The transaction being committed while the task goes on processing (at most one at a time). */
  private committing: Promise<void> | undefined;
  /** Set when the in-flight commit failed: the loop fails the task at its next step. */
  private commitFailure: { readonly err: unknown } | undefined;

  constructor(private readonly opts: TaskRunnerOptions) {
    this.slice = opts.slice ?? new CpuSlice(opts.clock, opts.timer);
    this.id = taskIdOf(opts.subTopology, opts.partition);
    this.inputs = opts.topology.sourceTopics(opts.applicationId, opts.subTopology);
    const stores = opts.topology.subTopologies[opts.subTopology]?.stores ?? [];
    this.changelogs = new Set(stores.map((s) => changelogTopicOf(opts.applicationId, s)));
  }

  get taskState(): TaskState {
    return this.state;
  }

  private setState(state: TaskState, reason?: string): void {
    this.state = state;
    this.opts.events.emit('task-state', { taskId: this.id, state, ...(reason ? { reason } : {}) });
  }

  /** Fence, restore, seek, init; then the processing loop runs until `close`. */
  async start(): Promise<void> {
    const o = this.opts;
    this.setState('created');
    if (o.exactlyOnce) {
      if (!o.producers) throw new Error(`task ${this.id}: exactly-once needs a transactional producer factory`);
      this.txProducer = o.producers({ transactionalId: `${o.applicationId}-${this.id}` });
      // Before restoring and reading committed offsets: the previous owner is fenced (its open transaction
      // aborted, a committing one completed) and cannot commit behind our back.
      await this.txProducer.connect();
      this.committer = new TransactionCommitter({ producer: this.txProducer, groupId: o.applicationId });
    } else this.producer = o.sharedProducer;
    const limit = o.maxOutputRecordBytes ?? MAX_OUTPUT_RECORD_BYTES;
    const collector = {
      send: (r: OutgoingRecord) => {
        let bytes = outRecordBytes(r);
        // Refused where it is produced, never sent: one record over the broker's limit fails every commit.
        if (bytes > limit && this.task) {
          r = this.task.oversizedOutput(r, bytes, limit);
          bytes = outRecordBytes(r);
        }
        this.outputs.push(r);
        this.outputBytes += bytes;
      },
    };
    const sub = o.topology.subTopologies[o.subTopology];
    this.stateHandle = await o.state.openTask({
      applicationId: o.applicationId,
      taskId: this.id,
      partition: o.partition,
      specs: sub?.stores ?? [],
      logger: changelogWriter(o.applicationId, o.partition, collector, o.clock, sub?.stores),
      exactlyOnce: o.exactlyOnce,
    });
    this.setState('restoring');
    const restored = await this.stateHandle.restore(
      (p) => o.events.emit('restore-progress', { taskId: this.id, ...p }),
      this.stop.signal,
    );
    o.events.emit('restore-complete', { taskId: this.id, ...restored });
    this.outputs = []; // restoring writes nothing, but be sure nothing stale is committed
    this.outputBytes = 0;
    const handle = this.stateHandle;
    this.prefetchStores = (sub?.stores ?? [])
      .filter((spec) => spec.prefetchInputKeys === true)
      .map((spec) => handle.stores.get(spec.name))
      .filter((s): s is KeyValueStore<unknown> & Prefetchable => canPrefetch(s));
    this.task = new StreamTask({
      applicationId: o.applicationId,
      topology: o.topology,
      subTopology: o.subTopology,
      partition: o.partition,
      stores: this.stateHandle.stores,
      globalStores: o.globalStores,
      collector,
      partitionsOf: o.partitionsOf,
      clock: o.clock,
      metrics: o.metrics ?? noopMetrics,
      errorPolicy: o.errorPolicy,
      dlqTopic: o.dlqTopic,
      retryLater: true,
      signal: this.stop.signal,
    });
    await this.task.init();
    this.lastCommit = o.clock.now();
    await this.seekToCommitted();
    this.setState('running');
    this.loopDone = this.loop();
  }

  private async seekToCommitted(): Promise<void> {
    const o = this.opts;
    const committed = await o.admin.fetchOffsets({ groupId: o.applicationId, topics: [...this.inputs] });
    const starts: Array<[string, string]> = [];
    for (const topic of this.inputs) {
      const c = committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === o.partition);
      let offset = c && c.offset !== '-1' ? c.offset : undefined;
      if (offset === undefined) {
        const ends = await o.admin.fetchTopicOffsets(topic);
        const e = ends.find((p) => p.partition === o.partition);
        offset = (o.autoOffsetReset === 'earliest' ? e?.low : e?.high) ?? '0';
      }
      starts.push([topic, offset]);
    }
    // Synchronously from here on: no fetched batch can slip in between the seek and the task accepting records.
    for (const [topic, offset] of starts) {
      this.expected.set(topic, BigInt(offset));
      o.consumer.seek(topic, o.partition, offset);
      o.consumer.resume(topic, o.partition);
    }
  }

  /**
   * Hands a fetched record to the task. Returns false when dropped: the task is not running yet (it will seek
   * and re-fetch) or the record was already taken (a re-delivery after a seek or rebalance).
   */
  offer(raw: RawRecord, highWatermark?: string): boolean {
    if (this.state !== 'running') return false;
    if (highWatermark !== undefined) this.highWatermarks.set(raw.topic, BigInt(highWatermark));
    const off = BigInt(raw.offset);
    const exp = this.expected.get(raw.topic);
    if (exp === undefined || off < exp) return false;
    this.expected.set(raw.topic, off + 1n);
    this.queue.push(raw);
    this.queuedBytes += queuedBytes(raw);
    if (this.queueFull() && !this.paused.has(raw.topic)) {
      this.paused.add(raw.topic);
      this.opts.consumer.pause(raw.topic, this.opts.partition);
    }
    this.wake?.();
    return true;
  }

  /** One of the task's stores, while it runs. */
  store(name: string): KeyValueStore<unknown> | undefined {
    return this.state === 'running' ? this.stateHandle?.stores.get(name) : undefined;
  }

  /** Next offset to fetch per input topic (for re-seeking after a rebalance kept this task here). */
  fetchPositions(): Array<[string, string]> {
    return [...this.expected].map(([t, o]) => [t, o.toString()]);
  }

  private async loop(): Promise<void> {
    const o = this.opts;
    try {
      while (!this.stop.signal.aborted) {
        this.throwIfCommitFailed();
        const batch = this.queue.splice(0, 1_000);
        for (const r of batch) this.queuedBytes -= queuedBytes(r);
        await this.prefetch(batch);
        await this.processBatch(batch);
        if (this.task && this.task.nextWallClockDue() <= o.clock.now()) await this.task.punctuateWallClock();
        await this.maybeCommit();
        this.resumeIfDrained();
        if (this.queue.length === 0 && !this.stop.signal.aborted) await this.idle();
        else await o.timer.yield();
      }
    } catch (err) {
      // A punctuator failed: the open transaction (its partial writes) is dropped and the task relaunched, unless
      // the app stops on errors.
      const stop = err instanceof PunctuationError && o.errorPolicy === 'stop';
      await this.fail(stop ? new TaskProcessingError(this.id, err) : err);
    }
  }

  private async processBatch(batch: readonly RawRecord[]): Promise<void> {
    const o = this.opts;
    for (const [i, r] of batch.entries()) {
      try {
        await this.task?.process(r);
      } catch (err) {
        if (err instanceof RetryLaterError) return this.waitToRetry(err, batch.slice(i));
        // a stream-time punctuator after the record: see `loop`
        if (err instanceof PunctuationError) throw err;
        throw new TaskProcessingError(this.id, err);
      }
      if (this.waiting) this.endWait();
      this.positions.set(r.topic, BigInt(r.offset) + 1n);
      this.processedSinceCommit++;
      if (this.stop.signal.aborted) break;
      // Let I/O in between (commit round trips of this and other tasks, fetches, heartbeats): a whole batch
      // without a break held every other task's commit for hundreds of milliseconds under load.
      if (this.slice.spent()) {
        await this.slice.next();
        // ...and wall-clock punctuators (timers) are not held back by a long batch either
        if (this.task && this.task.nextWallClockDue() <= o.clock.now()) await this.task.punctuateWallClock();
      }
    }
  }

  /**
   * A processor cannot handle `rest[0]` yet (RetryLaterError): the unprocessed records go back to the head of the
   * queue, fetching the task's partitions pauses until a record goes through again, and the loop waits
   * `retryAfterMs` (or until the task stops) before handing the same record again. Nothing is dead-lettered.
   */
  private async waitToRetry(err: RetryLaterError, rest: readonly RawRecord[]): Promise<void> {
    const o = this.opts;
    this.queue.unshift(...rest);
    for (const r of rest) this.queuedBytes += queuedBytes(r);
    if (!this.waiting) {
      this.waiting = true;
      for (const t of this.inputs) {
        if (this.paused.has(t)) continue;
        this.paused.add(t);
        o.consumer.pause(t, o.partition);
      }
    }
    o.events.emit('task-waiting', { taskId: this.id, waiting: true, code: err.code, retryAfterMs: err.retryAfterMs });
    await o.timer.sleep(err.retryAfterMs, this.stop.signal);
  }

  /** A record went through after a wait: fetching resumes (unless the queue itself is still over its limit). */
  private endWait(): void {
    this.waiting = false;
    this.opts.events.emit('task-waiting', { taskId: this.id, waiting: false, code: '', retryAfterMs: 0 });
    this.resumeIfDrained();
  }

  /** One batched read per prefetching store for the keys of the records about to be processed. */
  private async prefetch(batch: readonly RawRecord[]): Promise<void> {
    if (this.prefetchStores.length === 0 || batch.length === 0) return;
    const keys = new Set<string>();
    for (const r of batch) if (r.key !== null) keys.add(r.key.toString('utf8'));
    await Promise.all(this.prefetchStores.map((s) => s.prefetch(keys)));
  }

  /**
   * Starts a commit when one is due. The transaction is sent while the loop goes on processing the next
   * records (their outputs and offsets go to the next transaction): a commit's broker round trips no longer stall
   * the task. Commits stay strictly sequential; the loop waits for the one in flight only when the next is due
   * and the outputs gathered meanwhile reached the batch limit (backpressure).
   */
  private async maybeCommit(): Promise<void> {
    const o = this.opts;
    const full = this.outputs.length >= 10_000 || this.outputBytes >= (o.maxPendingOutputBytes ?? Infinity);
    // A task that has caught up commits at once instead of waiting out the interval: under light load that takes
    // up to a commit interval off every hop's latency; under load the queue is never empty and commits batch up.
    const caughtUp =
      o.eagerCommit && this.queue.length === 0 && (this.outputs.length > 0 || this.processedSinceCommit > 0);
    const due = caughtUp || o.clock.now() - this.lastCommit >= o.commitIntervalMs || full;
    if (!due) return;
    // A commit that failed while the loop was processing is handled before anything else: the next commit would
    // carry offsets covering the failed one's input without its outputs.
    this.throwIfCommitFailed();
    if (this.committing) {
      if (!full) return;
      await this.committing;
      this.throwIfCommitFailed();
    }
    const started = this.commit();
    const inFlight: Promise<void> = started.then(
      () => {
        if (this.committing === inFlight) this.committing = undefined;
        this.wake?.();
      },
      (err: unknown) => {
        if (this.committing === inFlight) this.committing = undefined;
        this.commitFailure ??= { err };
        this.wake?.();
      },
    );
    this.committing = inFlight;
  }

  private throwIfCommitFailed(): void {
    if (this.commitFailure) throw this.commitFailure.err;
  }

  /** Waits for the commit in flight, if any (its failure is reported through `commitFailure`). */
  private async settleCommit(): Promise<void> {
    while (this.committing) await this.committing;
  }

  private idle(): Promise<void> {
    const o = this.opts;
    // A commit that is due while another is in flight starts when that one settles (which wakes us).
    const commitAt = this.committing ? Infinity : this.lastCommit + o.commitIntervalMs;
    const until = Math.min(commitAt, this.task?.nextWallClockDue() ?? Infinity);
    const ac = new AbortController();
    // abort() without a reason builds a DOMException each time: measurable when records trickle in one by one.
    this.wake = () => ac.abort(WAKE);
    const onStop = () => ac.abort(WAKE);
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    return o.timer.sleep(Math.max(1, Math.min(until - o.clock.now(), 1_000)), ac.signal).finally(() => {
      this.wake = undefined;
      this.stop.signal.removeEventListener('abort', onStop);
    });
  }

  /** Over the queue's length or byte limit: fetching pauses until the queue is down to half of both. */
  private queueFull(): boolean {
    return this.queue.length > this.opts.maxQueued || this.queuedBytes > (this.opts.maxQueuedBytes ?? Infinity);
  }

  private resumeIfDrained(): void {
    if (this.waiting || this.paused.size === 0 || this.queue.length > this.opts.maxQueued / 2) return;
    if (this.queuedBytes > (this.opts.maxQueuedBytes ?? Infinity) / 2) return;
    for (const t of this.paused) this.opts.consumer.resume(t, this.opts.partition);
    this.paused.clear();
  }

  /** Commits what was processed since the last commit: one transaction under exactly-once. */
  private async commit(): Promise<void> {
    const o = this.opts;
    this.lastCommit = o.clock.now();
    // synchronous, before the outputs are taken: coalesced store changes join this transaction
    this.task?.prepareCommit();
    if (this.outputs.length === 0 && this.processedSinceCommit === 0) return;
    // synchronously with taking the outputs: store writes from here on belong to the next commit
    this.stateHandle?.beginCommit();
    const outs = this.outputs;
    this.outputs = [];
    this.outputBytes = 0;
    const processed = this.processedSinceCommit;
    this.processedSinceCommit = 0;
    const offsets = [...this.positions].map(([topic, off]) => ({
      topic,
      partition: o.partition,
      offset: off.toString(),
    }));
    const started = o.clock.now();
    await this.stateHandle?.flush();
    const ends = new Map<string, number>();
    if (this.committer) {
      const sent = await this.committer.commit({ records: outs, offsets });
      for (const [t, end] of changelogEnds(outs, sent, this.changelogs, o.partition)) ends.set(t, end);
    } else {
      const producer = this.producer;
      if (!producer) throw new Error(`task ${this.id} has no producer`);
      for (const chunk of requestChunks(outs)) {
        const res = await producer.sendBatch({ topicMessages: toTopicMessages(chunk), acks: -1 });
        const results = res.map((r) => ({ topic: r.topicName, partition: r.partition, baseOffset: r.baseOffset }));
        const sent = [{ records: chunk, results }];
        for (const [t, end] of changelogEnds(chunk, sent, this.changelogs, o.partition)) ends.set(t, end);
      }
      if (offsets.length) await o.consumer.commit(offsets);
    }
    this.stateHandle?.committed(ends);
    const latencyMs = o.clock.now() - started;
    o.events.emit('commit', { taskId: this.id, latencyMs, outputs: outs.length });
    o.events.emit('records-processed', { taskId: this.id, count: processed });
    for (const [topic, hw] of this.highWatermarks) {
      const pos = this.positions.get(topic) ?? this.expected.get(topic) ?? hw;
      o.events.emit('lag', { taskId: this.id, topic, partition: o.partition, lag: Math.max(0, Number(hw - pos)) });
    }
  }

  private async fail(err: unknown): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    this.stop.abort();
    await this.settleCommit();
    await this.shutdown(false);
    this.opts.onFailed(this, err);
  }

  /**
   * Stops the loop. `clean`: commit what was processed, close processors, checkpoint the stores. Otherwise
   * abandon the open work (it was never committed) and leave no checkpoint.
   */
  async close(clean: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.stop.abort();
    await this.loopDone;
    if ((this.state as TaskState) === 'closed') return; // the loop failed and closed it
    await this.settleCommit();
    let ok = clean && this.commitFailure === undefined;
    if (ok && this.state === 'running') {
      try {
        await this.commit();
      } catch {
        ok = false;
      }
    }
    await this.shutdown(ok);
  }

  private async shutdown(clean: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('suspended');
    this.outputs = [];
    this.outputBytes = 0;
    this.queue.length = 0;
    this.queuedBytes = 0;
    const errors: unknown[] = [];
    await this.task?.close().catch((e: unknown) => errors.push(e));
    // Dirty: the stores go back to their last committed state when they can, and are checkpointed there, so the
    // relaunch restores only the changelog's tail instead of wiping them (a broker outage used to make every task
    // rebuild its stores from scratch).
    const rolledBack = !clean && this.stateHandle !== undefined && (await this.stateHandle.rollback());
    await this.stateHandle?.close(clean || rolledBack).catch((e: unknown) => errors.push(e));
    await this.txProducer?.disconnect().catch((e: unknown) => errors.push(e));
    if (this.waiting) {
      this.waiting = false;
      this.opts.events.emit('task-waiting', { taskId: this.id, waiting: false, code: '', retryAfterMs: 0 });
    }
    for (const t of this.paused) this.opts.consumer.resume(t, this.opts.partition);
    this.paused.clear();
    this.setState('closed', clean ? 'clean' : rolledBack ? 'rolled-back' : 'dirty');
    if (errors.length) this.opts.events.emit('task-error', { taskId: this.id, error: errors[0], fatal: false });
  }
}

function toTopicMessages(outs: readonly OutgoingRecord[]): TopicMessages[] {
  const by = new Map<string, TopicMessages['messages']>();
  for (const r of outs) {
    let msgs = by.get(r.topic);
    if (!msgs) by.set(r.topic, (msgs = []));
    msgs.push({
      key: r.key,
      value: r.value,
      headers: { ...r.headers },
      timestamp: String(r.timestamp),
      ...(r.partition === undefined ? {} : { partition: r.partition }),
    });
  }
  return [...by].map(([topic, messages]) => ({ topic, messages }));
}

/** A commit's outputs in produce requests of at most `maxBytes`. */
export function requestChunks(outs: readonly OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): OutgoingRecord[][] {
  return splitBySize(outs, outRecordBytes, maxBytes);
}

/**
 * Next offset of each changelog topic (this task's partition) after a commit: per produce request, in order, the
 * request's base offset for that partition plus its count of records there; the last request wins.
 */
function changelogEnds(
  outs: readonly OutgoingRecord[],
  requests: ReadonlyArray<{ readonly records: readonly unknown[]; readonly results: readonly ProduceResult[] }>,
  changelogs: ReadonlySet<string>,
  partition: number,
): Map<string, number> {
  const ends = new Map<string, number>();
  let at = 0;
  for (const req of requests) {
    const counts = new Map<string, number>();
    for (let i = at; i < at + req.records.length; i++) {
      const r = outs[i];
      if (r && changelogs.has(r.topic)) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    }
    at += req.records.length;
    for (const res of req.results) {
      const n = counts.get(res.topic);
      if (n !== undefined && res.partition === partition && res.baseOffset !== undefined)
        ends.set(res.topic, Number(res.baseOffset) + n);
    }
  }
  return ends;
}

/** A queued record's weight for the byte limit: its key and value (what grows with the events' size). */
function queuedBytes(r: RawRecord): number {
  return (r.key?.length ?? 0) + (r.value?.length ?? 0);
}
