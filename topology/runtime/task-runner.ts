/**
 * Runs one `StreamTask` against Kafka: fences the previous owner (transactional producer per task), restores
 * the task's stores, seeks its input partitions to the committed offsets, then processes its own queue in its
 * own loop (so a slow task never stalls another) and commits outputs + changelog writes + input offsets in one
 * transaction every commit interval. Any failure closes the task dirty; the app decides whether to recreate it.
 */
import { RetryLaterError } from '../api/errors.js';
import type { TaskState } from '../api/diagnostics.js';
import type { Producer } from '../kafka/kafka-client.js';
import type { TransactionalProducer } from '../kafka/port.js';
import { noopMetrics } from '../api/metrics.js';
import type { RawRecord } from '../api/record.js';
import type { RecordBlock } from '../kafka/record-block.js';
import type { TaskStateHandle } from '../state/state-backend.js';
import { PunctuationError, StreamTask, changelogWriter, taskIdOf } from './task.js';
import { changelogTopicOf } from '../api/builder.js';
import type { KeyValueStore } from '../api/store.js';
import { InputPrefetch } from './input-prefetch.js';
import type { Committer } from './transaction-pipeline.js';
import { CommitTiming, taskCommitTiming } from './commit-timing.js';
import { CommitsInFlight } from './commits-in-flight.js';
import { CpuSlice } from './cpu-slice.js';
import { MAX_OUTPUT_RECORD_BYTES, TaskProcessingError, type TaskRunnerOptions } from './task-runner-options.js';
import { changelogEnds, committedStarts, openTaskCommitter, sendAtLeastOnce } from './task-commit.js';
import { TaskInputQueue } from './task-input-queue.js';
import { TaskOutputBuffer } from './task-output-buffer.js';
import { nextOffset, offsetLag } from '../kafka/offsets.js';

/** Abort reason of an idle task's sleep (woken by new records, a settled commit or stop). */
const WAKE = 'wake';

export class TaskRunner {
  readonly id: string;
  readonly inputs: readonly string[];
  private readonly changelogs: ReadonlySet<string>;
  private state: TaskState = 'created';
  private producer: Producer | undefined;
  private txProducers: TransactionalProducer[] = [];
  private committer: Committer | undefined;
  private stateHandle: TaskStateHandle | undefined;
  private task: StreamTask | undefined;
  /** Stores warmed with the keys each batch will read (their spec's `prefetchInputKeys`). */
  private prefetch: InputPrefetch | undefined;
  private readonly queue: TaskInputQueue;
  /** Per input topic, the offset of the last record processed (the next commit's input offset is the one after). */
  private readonly positions = new Map<string, string>();
  private readonly outputs: TaskOutputBuffer;
  private processedSinceCommit = 0;
  private lastCommit = 0;
  private wake: (() => void) | undefined;
  private readonly stop = new AbortController();
  private readonly slice: CpuSlice;
  private loopDone: Promise<void> = Promise.resolve();
  private failing: Promise<void> | undefined;
  private shuttingDown: Promise<void> | undefined;
  /** The transactions being committed while the task goes on processing (the committer's depth at most). */
  private commits = new CommitsInFlight(1, () => this.wake?.());
  private readonly timing: CommitTiming;

  constructor(private readonly opts: TaskRunnerOptions) {
    this.slice = opts.slice ?? new CpuSlice(opts.clock, opts.timer);
    this.id = taskIdOf(opts.subTopology, opts.partition);
    this.inputs = opts.topology.sourceTopics(opts.applicationId, opts.subTopology);
    const stores = opts.topology.subTopologies[opts.subTopology]?.stores ?? [];
    this.changelogs = new Set(stores.map((s) => changelogTopicOf(opts.applicationId, s)));
    this.timing = taskCommitTiming(opts);
    this.outputs = new TaskOutputBuffer(opts.maxOutputRecordBytes ?? MAX_OUTPUT_RECORD_BYTES, (r, bytes, limit) =>
      this.task?.oversizedOutput(r, bytes, limit),
    );
    const { consumer, partition, maxQueued, maxQueuedBytes } = opts;
    this.queue = new TaskInputQueue({ consumer, partition, inputs: this.inputs, maxQueued, maxQueuedBytes });
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
    // closed before its start ran (revoked while the previous owner of the task was still closing)
    this.throwIfClosing();
    this.setState('created');
    await this.fence();
    const collector = this.outputs;
    const sub = o.topology.subTopologies[o.subTopology];
    const handle = await o.state.openTask({
      applicationId: o.applicationId,
      taskId: this.id,
      partition: o.partition,
      specs: sub?.stores ?? [],
      logger: changelogWriter(o.applicationId, o.partition, collector, o.clock, sub?.stores),
      exactlyOnce: o.exactlyOnce,
    });
    if (this.stop.signal.aborted) {
      // Closed while the stores were opening: that shutdown did not see them, so they are closed here (left open,
      // their RocksDB locks made every relaunch of the task fail with STORE_OPEN_FAILED). Nothing was written to
      // them, so they are checkpointed where they opened: the next owner restores only the tail, not everything.
      await handle.close(true).catch(() => undefined);
      this.throwIfClosing();
    }
    this.stateHandle = handle;
    this.setState('restoring');
    const restored = await this.stateHandle.restore(
      (p) => o.events.emit('restore-progress', { taskId: this.id, ...p }),
      this.stop.signal,
    );
    this.throwIfClosing();
    o.events.emit('restore-complete', { taskId: this.id, ...restored });
    this.outputs.take(); // restoring writes nothing, but be sure nothing stale is committed
    this.prefetch = InputPrefetch.of(sub?.stores ?? [], this.stateHandle.stores);
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
      names: o.names,
      retryLater: true,
      signal: this.stop.signal,
    });
    await this.task.init();
    this.lastCommit = o.clock.now();
    await this.seekToCommitted();
    // Closed (revoked, the app stopping) while starting: the stores may be closed already; the loop must not run.
    this.throwIfClosing();
    this.setState('running');
    this.loopDone = this.loop();
  }

  private throwIfClosing(): void {
    if (this.stop.signal.aborted) throw new Error(`task ${this.id} was closed while starting`, { cause: 'closed' });
  }

  /**
   * Exactly-once: before restoring and reading committed offsets, the previous owner is fenced (its open transaction
   * aborted, a committing one completed) and cannot commit behind our back.
   */
  private async fence(): Promise<void> {
    const o = this.opts;
    if (!o.exactlyOnce) {
      this.producer = o.sharedProducer;
      return;
    }
    const { committer, producers } = await openTaskCommitter(o, this.id);
    this.txProducers = producers;
    this.committer = committer;
    this.commits = new CommitsInFlight(this.committer.depth, () => this.wake?.());
  }

  private async seekToCommitted(): Promise<void> {
    const o = this.opts;
    const stable = o.sharedTransactions !== undefined;
    const starts = await committedStarts(o.admin, o.applicationId, this.inputs, o.partition, o.autoOffsetReset, stable);
    // Synchronously from here on: no fetched batch can slip in between the seek and the task accepting records.
    for (const [topic, offset] of starts) this.queue.seek(topic, offset);
  }

  /**
   * Hands a fetched batch's records to the task (queued packed, see `RecordBlock`). Returns false when dropped: the
   * task is not running yet (it will seek and re-fetch) or the records were already taken (a re-delivery after a
   * seek or rebalance).
   */
  offerBlock(block: RecordBlock, highWatermark?: string): boolean {
    if (this.state !== 'running' || !this.queue.offerBlock(block, highWatermark)) return false;
    this.wake?.();
    return true;
  }

  /** One of the task's stores, while it runs. */
  store(name: string): KeyValueStore<unknown> | undefined {
    return this.state === 'running' ? this.stateHandle?.stores.get(name) : undefined;
  }

  /** Next offset to fetch per input topic (for re-seeking after a rebalance kept this task here). */
  fetchPositions(): Array<[string, string]> {
    return this.queue.expectedOffsets();
  }

  private async loop(): Promise<void> {
    const o = this.opts;
    try {
      while (!this.stop.signal.aborted) {
        this.commits.throwIfFailed();
        const batch = this.queue.take(1_000);
        await this.prefetch?.run(batch);
        await this.processBatch(batch);
        if (this.task && this.task.nextWallClockDue() <= o.clock.now()) await this.task.punctuateWallClock();
        await this.maybeCommit();
        this.queue.resumeIfDrained();
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
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i] as RawRecord;
      try {
        await this.task?.process(r);
      } catch (err) {
        if (err instanceof RetryLaterError) return this.waitToRetry(err, batch.slice(i));
        // a stream-time punctuator after the record: see `loop`
        if (err instanceof PunctuationError) throw err;
        throw new TaskProcessingError(this.id, err);
      }
      if (this.queue.waiting) this.endWait();
      this.positions.set(r.topic, r.offset);
      this.timing.processed(r.topic, o.clock);
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
    this.queue.waitWith(rest);
    o.events.emit('task-waiting', { taskId: this.id, waiting: true, code: err.code, retryAfterMs: err.retryAfterMs });
    await o.timer.sleep(err.retryAfterMs, this.stop.signal);
  }

  /** A record went through after a wait: fetching resumes (unless the queue itself is still over its limit). */
  private endWait(): void {
    this.queue.endWait();
    this.opts.events.emit('task-waiting', { taskId: this.id, waiting: false, code: '', retryAfterMs: 0 });
  }

  /**
   * Starts a commit when one is due. The transaction is sent while the loop goes on processing the next
   * records (their outputs and offsets go to the next transaction): a commit's broker round trips no longer stall
   * the task. At most the committer's depth of commits is in flight (1, or 2 when pipelined); the loop waits for
   * room only when the next is due and the outputs gathered meanwhile reached the batch limit (backpressure).
   */
  private async maybeCommit(): Promise<void> {
    const o = this.opts;
    const full = this.outputs.length >= 10_000 || this.outputs.bytes >= (o.maxPendingOutputBytes ?? Infinity);
    const caughtUp = this.queue.length === 0 && (this.outputs.length > 0 || this.processedSinceCommit > 0);
    const due = full || this.timing.due(o.clock.now(), this.lastCommit, caughtUp);
    if (!due) return;
    // A commit that failed while the loop was processing is handled before anything else: the next commit would
    // carry offsets covering the failed one's input without its outputs.
    this.commits.throwIfFailed();
    if (this.commits.full) {
      if (!full) return;
      await this.commits.waitForRoom();
      this.commits.throwIfFailed();
    }
    this.commits.track(this.commit());
  }

  private idle(): Promise<void> {
    const o = this.opts;
    // A commit that is due while another is in flight starts when that one settles (which wakes us).
    const commitAt = this.commits.full ? Infinity : this.timing.nextDue(this.lastCommit);
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

  /** Commits what was processed since the last commit: one transaction under exactly-once. */
  private async commit(): Promise<void> {
    const o = this.opts;
    this.lastCommit = o.clock.now();
    this.timing.started();
    // synchronous, before the outputs are taken: coalesced store changes join this transaction
    this.task?.prepareCommit();
    if (this.outputs.length === 0 && this.processedSinceCommit === 0) return;
    // synchronously with taking the outputs: store writes from here on belong to the next commit
    this.stateHandle?.beginCommit();
    const outs = this.outputs.take();
    const processed = this.processedSinceCommit;
    this.processedSinceCommit = 0;
    const offsets = [...this.positions].map(([topic, last]) => ({
      topic,
      partition: o.partition,
      offset: nextOffset(last),
    }));
    const started = o.clock.now();
    await this.stateHandle?.flush();
    const ends = new Map<string, number>();
    if (this.committer) {
      const sent = await this.committer.commit({ records: outs, offsets });
      for (const [t, end] of changelogEnds(outs, sent, this.changelogs, o.partition)) ends.set(t, end);
    } else {
      if (!this.producer) throw new Error(`task ${this.id} has no producer`);
      for (const [t, end] of await sendAtLeastOnce(this.producer, outs, this.changelogs, o.partition)) ends.set(t, end);
      if (offsets.length) await o.consumer.commit(offsets);
    }
    this.stateHandle?.committed(ends);
    const latencyMs = o.clock.now() - started;
    o.events.emit('commit', { taskId: this.id, latencyMs, outputs: outs.length });
    o.events.emit('records-processed', { taskId: this.id, count: processed });
    for (const [topic, hw] of this.queue.highWatermarks) {
      const last = this.positions.get(topic);
      const pos = last !== undefined ? nextOffset(last) : (this.queue.expected(topic) ?? hw);
      o.events.emit('lag', { taskId: this.id, topic, partition: o.partition, lag: offsetLag(hw, pos) });
    }
  }

  private fail(err: unknown): Promise<void> {
    if (this.failing) return this.failing;
    this.failing = (async () => {
      this.stop.abort();
      await this.commits.settle();
      await this.shutdown(false);
      this.opts.onFailed(this, err);
    })();
    return this.failing;
  }

  /**
   * Stops the loop. `clean`: commit what was processed, close processors, checkpoint the stores. Otherwise
   * abandon the open work (it was never committed) and leave no checkpoint.
   */
  async close(clean: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.stop.abort();
    await this.loopDone;
    // The loop (or a pipelined commit) failed: that path closes the task; a second close of its stores would fail.
    if (this.failing) return this.failing;
    if ((this.state as TaskState) === 'closed') return;
    await this.commits.settle();
    let ok = clean && !this.commits.failed;
    if (ok && this.state === 'running') {
      try {
        await this.commit();
      } catch {
        ok = false;
      }
    }
    await this.shutdown(ok);
  }

  /** Once: a close racing a failure waits for the first shutdown instead of closing the stores twice. */
  private shutdown(clean: boolean): Promise<void> {
    this.shuttingDown ??= this.shutdownOnce(clean);
    return this.shuttingDown;
  }

  private async shutdownOnce(clean: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('suspended');
    this.outputs.take();
    const errors: unknown[] = [];
    await this.task?.close().catch((e: unknown) => errors.push(e));
    // Dirty: the stores go back to their last committed state when they can, and are checkpointed there, so the
    // relaunch restores only the changelog's tail instead of wiping them (a broker outage used to make every task
    // rebuild its stores from scratch).
    const rolledBack = !clean && this.stateHandle !== undefined && (await this.stateHandle.rollback());
    await this.stateHandle?.close(clean || rolledBack).catch((e: unknown) => errors.push(e));
    for (const p of this.txProducers) await p.disconnect().catch((e: unknown) => errors.push(e));
    if (this.queue.clear())
      this.opts.events.emit('task-waiting', { taskId: this.id, waiting: false, code: '', retryAfterMs: 0 });
    this.setState('closed', clean ? 'clean' : rolledBack ? 'rolled-back' : 'dirty');
    if (errors.length) this.opts.events.emit('task-error', { taskId: this.id, error: errors[0], fatal: false });
  }
}
