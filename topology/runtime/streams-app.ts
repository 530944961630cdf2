/**
 * `StreamsApp`: runs a `Topology` on Kafka (like Kafka Streams' `KafkaStreams`). One consumer in group
 * `applicationId` with a task assigner that keeps co-partitioned partitions together; one `TaskRunner` per
 * assigned task, each with its own transactional producer (`${applicationId}-${taskId}`) under exactly-once, or all
 * committing through the app's shared transactions (`transactionScope: 'process'`, shared-transactions.ts);
 * global stores fed by a consumer of their own. The consumer only enqueues fetched records, so heartbeats keep
 * flowing however long a record takes, and tasks run concurrently. Rebalances close revoked tasks (committing
 * what they did), keep retained ones, start new ones; a failed task (fenced, commit error) is closed dirty and
 * recreated if still assigned; a processing error under the `stop` policy stops the app.
 */
import { randomUUID } from 'node:crypto';
import { SystemClock, type Clock } from '../api/clock.js';
import { StreamsDiagnostics, type AppState } from '../api/diagnostics.js';
import { GlobalRunner } from './global-runner.js';
import { prepareTopics } from './internal-topics.js';
import { createKafka, type Admin, type KafkaClient, type Producer } from '../kafka/kafka-client.js';
import { noopMetrics } from '../api/metrics.js';
import type { StateBackend } from '../state/state-backend.js';
import { TaskConsumer } from './task-consumer.js';
import type { KeyValueStore } from '../api/store.js';
import { taskAssignor } from './assignor.js';
import { TaskRunner } from './task-runner.js';
import { CpuSlice } from './cpu-slice.js';
import { TaskProcessingError } from './task-runner-options.js';
import { partitionOfTask, taskIdOf } from './task.js';
import { stateBackendOf, type StoreQuery, type StreamsAppOptions } from './streams-app-options.js';

export type { StoreQuery, StreamsAppOptions } from './streams-app-options.js';
import { SystemTimer, type Timer } from '../api/timer.js';
import { ConsumerWatch } from './consumer-watch.js';
import { RelaunchBackoff } from './relaunch-backoff.js';
import { ensureHostsTopic, HostPublisher, hostsTopic, ownedStorePartitions } from './host-directory.js';
import { bindMetrics } from './runtime-metrics.js';
import { defaultRuntimeNames, type RuntimeNames } from '../api/runtime-names.js';
import { processTransactions, type SharedTransactions } from './shared-transactions.js';

export class StreamsApp {
  /** Typed diagnostics: records processed, commits, restore progress, lag, task and app state, task errors. */
  readonly events = new StreamsDiagnostics();
  private appState: AppState = 'created';
  private readonly kafka: KafkaClient;
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly exactlyOnce: boolean;
  private admin: Admin | undefined;
  private consumer: TaskConsumer | undefined;
  /** Processing time all tasks share between event-loop turns. */
  private slice: CpuSlice | undefined;
  private producer: Producer | undefined;
  private globals: GlobalRunner | undefined;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly closing = new Map<string, Promise<void>>();
  private assigned = new Set<string>();
  private subOfTopic = new Map<string, number>();
  private partitions = new Map<string, number>();
  private failure: unknown;
  private readonly stateBackend: StateBackend;
  private readonly consumerWatch: ConsumerWatch;
  private readonly instanceId: string;
  private hosts: HostPublisher | undefined;
  private readonly relaunch: RelaunchBackoff;
  /** `transactionScope: 'process'`: the one transactional producer of all tasks. */
  private readonly shared: SharedTransactions | undefined;

  constructor(private readonly opts: StreamsAppOptions) {
    if (!opts.kafka && !opts.brokers) throw new TypeError('StreamsApp needs `kafka` or `brokers`');
    this.kafka = opts.kafka ?? createKafka({ brokers: opts.brokers ?? [], clientId: opts.applicationId });
    this.clock = opts.clock ?? new SystemClock();
    this.timer = opts.timer ?? new SystemTimer();
    this.exactlyOnce = (opts.processingGuarantee ?? 'exactly-once') === 'exactly-once';
    this.instanceId = opts.instanceId ?? randomUUID();
    this.relaunch = new RelaunchBackoff(this.clock, opts.relaunchBackoff);
    this.shared = processTransactions(opts, this.exactlyOnce, this.instanceId, this.kafka, this.timer, this.events);
    bindMetrics(this.events, opts.metrics ?? noopMetrics, this.names.metricPrefix);
    this.consumerWatch = new ConsumerWatch({
      timer: this.timer,
      restart: async () => this.consumer?.restart(),
      stopped: () => this.appState !== 'running' && this.appState !== 'rebalancing',
      log: (level, msg, extra) => this.log(level, msg, extra),
    });
    this.stateBackend = stateBackendOf(opts, this.kafka, this.clock);
  }

  get state(): AppState {
    return this.appState;
  }

  /** The error that stopped the app (state `failed`), if any. */
  get error(): unknown {
    return this.failure;
  }

  private setState(s: AppState): void {
    this.appState = s;
    this.events.emit('app-state', { state: s });
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, extra);
  }

  /**
   * Checks topics (missing topics and co-partition mismatches reject here), creates internal topics, loads
   * global stores, joins the group. Tasks then start as partitions are assigned.
   */
  async start(): Promise<void> {
    const o = this.opts;
    if (this.appState !== 'created') throw new Error(`cannot start a StreamsApp in state ${this.appState}`);
    this.setState('starting');
    try {
      this.admin = this.kafka.admin();
      await this.admin.connect();
      const prepared = await prepareTopics(
        this.admin,
        o.topology,
        o.applicationId,
        o.replicationFactor ?? 1,
        this.dlq,
        this.timer,
      );
      this.partitions = prepared.partitions;
      for (const sub of o.topology.subTopologies)
        for (const t of o.topology.sourceTopics(o.applicationId, sub.id)) this.subOfTopic.set(t, sub.id);
      this.globals = new GlobalRunner({
        applicationId: o.applicationId,
        instanceId: this.instanceId,
        kafka: this.kafka,
        admin: this.admin,
        globals: o.topology.globalStores,
        clock: this.clock,
        timer: this.timer,
        ...(o.metrics ? { metrics: o.metrics } : {}),
        metricPrefix: this.names.metricPrefix,
        sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
        onError: (err) => this.log('warn', 'global store record skipped', { err: String(err) }),
      });
      await this.globals.start();
      if (o.applicationServer) {
        await ensureHostsTopic(this.admin, o.applicationId, o.replicationFactor ?? 1);
        this.hosts = new HostPublisher(
          this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
          hostsTopic(o.applicationId),
          (err) => this.log('warn', 'could not publish this member to the hosts topic', { err: String(err) }),
        );
      }
      if (!this.exactlyOnce) {
        this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await this.producer.connect();
      }
      await this.startConsumer();
      this.setState('running');
    } catch (err) {
      this.failure = err;
      await this.shutdown();
      this.setState('failed');
      throw err;
    }
  }

  private get dlq(): string {
    return this.opts.dlqTopic;
  }

  private get names(): RuntimeNames {
    return this.opts.names ?? defaultRuntimeNames;
  }

  private async startConsumer(): Promise<void> {
    const o = this.opts;
    this.consumer = new TaskConsumer({
      kafka: this.kafka,
      groupId: o.applicationId,
      assigner: taskAssignor({ subOf: (t) => this.subOfTopic.get(t), owned: () => [...this.runners.keys()] }),
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1_000,
      topics: () => [...this.subOfTopic.keys()],
      watch: this.consumerWatch,
      route: (topic, partition) => {
        const sub = this.subOfTopic.get(topic);
        return sub === undefined ? undefined : this.runners.get(taskIdOf(sub, partition));
      },
      onAssignment: (assignment) => this.reconcile(assignment),
      onRebalancing: () => {
        // not while closing: that assignment is never applied, and the held last commits would wait forever
        if (this.appState === 'closing' || this.appState === 'closed') return;
        this.shared?.rebalancing();
        this.setState('rebalancing');
      },
    });
    // Before any task starts: initialising the shared transactional id aborts whatever this instance's previous
    // incarnation left open (it would hold back the restores and the reads of its partitions until it timed out).
    await this.shared?.connect();
    await this.consumer.start();
  }

  /**
   * False while the group consumer is down (crashed, being restarted by kafkajs or by this app): `/readyz`
   * reports it.
   */
  get consumerHealthy(): boolean {
    return this.consumerWatch.healthy;
  }

  /** Applies a new assignment: close revoked tasks, re-seek kept ones, start new ones. */
  private reconcile(assignment: Readonly<Record<string, number[]>>): void {
    if (this.appState === 'closing' || this.appState === 'closed') return;
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) {
      const sub = this.subOfTopic.get(topic);
      if (sub !== undefined) for (const p of parts) next.add(taskIdOf(sub, p));
    }
    this.assigned = next;
    this.shared?.assigned(this.consumer?.groupMetadata(), next);
    this.log('info', 'assignment', { tasks: [...next].sort() });
    // A revoked task commits what it processed, except on shared transactions: another member may own it already
    // (and have read its offsets), so it closes without committing and the new owner redoes the rest.
    for (const [id, r] of this.runners) if (!next.has(id)) this.retire(id, r, !this.shared);
    for (const id of next) {
      const r = this.runners.get(id);
      if (r) for (const [topic, off] of r.fetchPositions()) this.consumer?.seek(topic, partitionOfTask(id), off);
      else this.launch(id);
    }
    if (this.appState === 'rebalancing') this.setState('running');
    void this.publishHosts();
  }

  private async publishHosts(): Promise<void> {
    const server = this.opts.applicationServer?.();
    if (!this.hosts || !server) return;
    const o = this.opts;
    const stores = ownedStorePartitions(o.topology, o.applicationId, this.partitions, this.assigned);
    await this.hosts.publish(this.instanceId, {
      instanceId: this.instanceId,
      server,
      stores,
      updatedAt: this.clock.now(),
    });
  }

  /**
   * A state store partition for an interactive query, or why there is none to read here: this member is not
   * running or is in a rebalance (`rebalancing`), does not own the partition (`notOwner`), or is still restoring
   * it (`restoring`). Reads see what the task has processed, committed or not (as Kafka Streams' queries do).
   */
  queryStore<V>(name: string, partition: number): StoreQuery<V> {
    if (this.appState !== 'running' || !this.consumerHealthy) return { status: 'unavailable', reason: 'rebalancing' };
    const sub = this.opts.topology.subTopologies.find((s) => s.stores.some((x) => x.name === name));
    if (!sub) return { status: 'unavailable', reason: 'notOwner' };
    const id = taskIdOf(sub.id, partition);
    if (!this.assigned.has(id)) return { status: 'unavailable', reason: 'notOwner' };
    const r = this.runners.get(id);
    const store = r?.taskState === 'running' ? r.store(name) : undefined;
    return store ? { status: 'ok', store: store as KeyValueStore<V> } : { status: 'unavailable', reason: 'restoring' };
  }

  /** Partition count of the tasks holding store `name` (undefined before `start` or for an unknown store). */
  storePartitions(name: string): number | undefined {
    const sub = this.opts.topology.subTopologies.find((s) => s.stores.some((x) => x.name === name));
    const source = sub && this.opts.topology.sourceTopics(this.opts.applicationId, sub.id)[0];
    return source === undefined ? undefined : this.partitions.get(source);
  }

  private retire(id: string, r: TaskRunner, clean: boolean): void {
    this.runners.delete(id);
    const prev = this.closing.get(id) ?? Promise.resolve();
    const done = prev
      .then(() => r.close(clean))
      .catch((err: unknown) => this.log('warn', 'task close failed', { task: id, err: String(err) }))
      .finally(() => {
        if (this.closing.get(id) === done) this.closing.delete(id);
      });
    this.closing.set(id, done);
  }

  private launch(id: string): void {
    const o = this.opts;
    const [sub, partition] = id.split('_').map(Number) as [number, number];
    const inputs = o.topology.sourceTopics(o.applicationId, sub);
    for (const t of inputs) {
      try {
        this.consumer?.pause(t, partition);
      } catch (err) {
        // A consumer being rebuilt (not running yet) refuses pause/seek: the task's start then fails on its seek and
        // it is relaunched after its pause, or started by the assignment the new consumer gets.
        this.log('warn', 'could not pause a partition of a task being launched', { task: id, err: String(err) });
      }
    }
    this.slice ??= new CpuSlice(this.clock, this.timer);
    this.relaunch.launched(id);
    const runner = new TaskRunner({
      slice: this.slice,
      applicationId: o.applicationId,
      producers: o.producers ?? ((p) => this.kafka.transactionalProducer(p)),
      admin: this.admin as Admin,
      topology: o.topology,
      subTopology: sub,
      partition,
      exactlyOnce: this.exactlyOnce,
      ...(this.producer ? { sharedProducer: this.producer } : {}),
      commitIntervalMs: o.commitIntervalMs ?? (this.exactlyOnce ? 100 : 1_000),
      eagerCommit: o.eagerCommit ?? this.exactlyOnce,
      ...(o.hopCommitDelayMs === undefined ? {} : { hopCommitDelayMs: o.hopCommitDelayMs }),
      pipelinedCommits: o.pipelinedCommits ?? true,
      ...(this.shared ? { sharedTransactions: this.shared } : {}),
      maxQueued: o.maxQueuedPerTask ?? 5_000,
      maxQueuedBytes: o.maxQueuedBytesPerTask ?? 4 * 1024 * 1024,
      maxPendingOutputBytes: o.maxPendingOutputBytesPerTask ?? 4 * 1024 * 1024,
      ...(o.maxOutputRecordBytes === undefined ? {} : { maxOutputRecordBytes: o.maxOutputRecordBytes }),
      autoOffsetReset: o.autoOffsetReset ?? 'earliest',
      clock: this.clock,
      timer: this.timer,
      metrics: o.metrics ?? noopMetrics,
      events: this.events,
      errorPolicy: o.errorPolicy ?? 'continue',
      dlqTopic: this.dlq,
      names: this.names,
      state: this.stateBackend,
      globalStores: this.globals?.stores() ?? new Map(),
      partitionsOf: (t) => this.partitions.get(t),
      consumer: this.consumer as TaskConsumer,
      onFailed: (r, err) => this.taskFailed(r, err),
    });
    this.runners.set(id, runner);
    const prev = this.closing.get(id) ?? Promise.resolve();
    void prev
      .then(() => runner.start())
      .catch(async (err: unknown) => {
        await runner.close(false).catch(() => undefined);
        // retired (revoked, or the app is closing) while it was still starting: its start was aborted on purpose
        if (this.runners.get(id) !== runner) return this.log('info', 'task revoked while starting', { task: id });
        this.taskFailed(runner, err);
      });
  }

  private taskFailed(r: TaskRunner, err: unknown): void {
    const fatal = err instanceof TaskProcessingError;
    this.events.emit('task-error', { taskId: r.id, error: err, fatal });
    const pauseMs = fatal ? 0 : this.relaunch.failed(r.id);
    this.log(fatal ? 'error' : 'warn', 'task failed', { task: r.id, err: String(err), relaunchInMs: pauseMs });
    if (this.runners.get(r.id) === r) this.runners.delete(r.id);
    if (fatal) {
      this.failure = err;
      void this.close().then(() => this.setState('failed'));
      return;
    }
    // Fenced, a commit failed, the broker is away: if the task is still ours, relaunch it after a growing pause
    // (its stores rolled back to the last commit, so only the changelog's tail is restored).
    void this.timer
      .sleep(pauseMs)
      .then(() => {
        if (this.assigned.has(r.id) && !this.runners.has(r.id) && this.appState === 'running') this.launch(r.id);
      })
      .catch((e: unknown) => this.log('warn', 'task relaunch failed', { task: r.id, err: String(e) }));
  }

  /** Task ids running on this instance. */
  runningTasks(): string[] {
    return [...this.runners].filter(([, r]) => r.taskState === 'running').map(([id]) => id);
  }

  /** A store of a task running here (read it only while the task runs), or a global store. */
  getStore<V>(name: string, partition?: number): KeyValueStore<V> | undefined {
    const g = this.globals?.stores().get(name);
    if (g) return g as KeyValueStore<V>;
    for (const r of this.runners.values())
      if (partition === undefined || partitionOfTask(r.id) === partition) {
        const s = r.store(name);
        if (s) return s as KeyValueStore<V>;
      }
    return undefined;
  }

  /**
   * Graceful stop: no more fetching, every task commits what it processed (or aborts), closes its processors
   * and checkpoints its stores, then the consumer leaves the group. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.appState === 'closed' || this.appState === 'closing' || this.appState === 'failed') return;
    this.setState('closing');
    await this.shutdown();
    this.setState(this.failure ? 'failed' : 'closed');
  }

  private async shutdown(): Promise<void> {
    // leave the hosts topic first: callers stop asking this member while its tasks close
    await this.hosts?.publish(this.instanceId, null);
    // Shared transactions carry the group membership (KIP-447): their tasks commit before the consumer leaves.
    if (!this.shared) await this.consumer?.stop();
    this.shared?.release();
    for (const [id, r] of [...this.runners]) this.retire(id, r, true);
    await Promise.all([...this.closing.values()]);
    await this.shared?.close();
    if (this.shared) await this.consumer?.stop();
    await this.consumer?.disconnect();
    await this.globals?.close().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.hosts?.close();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
