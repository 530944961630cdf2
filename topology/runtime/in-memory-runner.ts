/**
 * `InMemoryRunner`: runs a topology inside the calling process with no broker — the same `StreamTask` code as the
 * Kafka runtime, in-memory stores, and a `ManualClock` the caller moves. Records sent to a source topic are
 * processed with everything they lead to (repartition hops and outputs to the topology's own inputs are routed back
 * in process) before `send` resolves. Every other output (sinks, DLQ, and changelogs — store writes) goes to the
 * caller's `onOutput` and is kept nowhere, so a long run holds only its stores.
 *
 * This is a production piece (journey test mode and replay run on it); the unit-test driver is a different kit.
 * Nothing here touches the network, a file or the system clock.
 */
import { defaultRuntimeNames, type RuntimeNames } from '../api/runtime-names.js';
import type { ManualClock } from '../api/clock.js';
import { changelogTopicOf, type Topology } from '../api/builder.js';
import type { Metrics } from '../api/metrics.js';
import type { Headers, RawRecord } from '../api/record.js';
import { InMemoryKeyValueStore, type ChangeLogger, type KeyValueStore, type StoreSpec } from '../api/store.js';
import { partitionForKey } from '../kafka/murmur2.js';
import { ChangeLoggingKeyValueStore } from '../state/change-logging-store.js';
import { GlobalStoreUpdater } from './global-store.js';
import { planTasks, type TaskPlan } from './plan.js';
import {
  PunctuationError,
  StreamTask,
  changelogWriter,
  taskIdOf,
  type OutgoingRecord,
  type TaskErrorInfo,
  type UnserializedRecord,
} from './task.js';

/** One record the topology wrote: `store` is set when `topic` is the changelog of that state store. */
export interface RunnerOutput {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  /** The bytes a consumer of the topic would read (made on first read when `decoded` is set). */
  readonly value: Buffer | null;
  /**
   * Set when a sink with a plain JSON serializer wrote it: the value as the sink got it — what parsing `value`
   * would give, without serializing and parsing it. For a store change (`store` set): the value put (null: deleted),
   * which `value` holds serialized by the store's serde.
   */
  readonly decoded?: { readonly value: unknown };
  readonly timestamp: number;
  readonly headers: Headers;
  readonly store?: string;
  /** For a store change: the key as the store has it (what `key` holds as UTF-8). */
  readonly storeKey?: string;
}

/**
 * A record kept in the process: a queued input of a task, or an output handed to `onOutput`. Its bytes are made
 * from `decoded` on first read of `value` only (a hop between tasks never reads them unless the record is
 * dead-lettered).
 */
class InProcessRecord implements RawRecord, RunnerOutput {
  private bytes: Buffer | null | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly offsetNumber: number,
    readonly key: Buffer | null,
    readonly timestamp: number,
    readonly headers: Headers,
    value: Buffer | null | undefined,
    readonly decoded?: { readonly value: unknown },
    private readonly serialize?: (value: unknown) => Buffer | null,
    readonly store?: string,
  ) {
    this.bytes = value;
  }

  get value(): Buffer | null {
    if (this.bytes === undefined)
      this.bytes = this.serialize && this.decoded ? this.serialize(this.decoded.value) : null;
    return this.bytes;
  }

  /** Made on read only (a dead letter's headers): no string per record. */
  get offset(): string {
    return String(this.offsetNumber);
  }
}

/** What the runner knows of a topic written to, found with one map read per record. */
interface TopicRoute {
  /** The store whose changelog it is. */
  readonly store: string | undefined;
  /** Read back in: a source topic of a task (not a changelog) or a global store's topic. */
  readonly queued: boolean;
  readonly partitions: number;
  /** Next offset per partition. */
  readonly offsets: number[];
}

const jsonBytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const NO_HEADERS: Headers = Object.freeze({});

/** A change of a watched store as its changelog record would read; key and value bytes are made on first read. */
class StoreChange implements RunnerOutput {
  private keyBytes: Buffer | undefined;
  private valueBytes: Buffer | null | undefined;
  readonly headers = NO_HEADERS;
  readonly decoded: { readonly value: unknown };

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly store: string,
    readonly storeKey: string,
    value: unknown,
    readonly timestamp: number,
    private readonly serde: StoreSpec['serde'],
  ) {
    this.decoded = { value };
  }

  get key(): Buffer {
    return (this.keyBytes ??= Buffer.from(this.storeKey, 'utf8'));
  }

  get value(): Buffer | null {
    const v = this.decoded.value;
    if (this.valueBytes === undefined) this.valueBytes = v === null ? null : this.serde.serialize(v);
    return this.valueBytes;
  }
}

/** An in-memory store that reports every change (the value itself; null for a delete) to `onChange`. */
class WatchedStore<V> extends InMemoryKeyValueStore<V> {
  constructor(
    name: string,
    private readonly onChange: (key: string, value: V | null) => void,
  ) {
    super(name);
  }

  // The in-memory store applies a change before it returns (its promise is already resolved): reported at once,
  // without an async frame per write.
  override put(key: string, value: V): Promise<void> {
    const done = super.put(key, value);
    this.onChange(key, value);
    return done;
  }

  /** Reported even when the key is absent, as a changelog tombstone is. */
  override delete(key: string): Promise<void> {
    const done = super.delete(key);
    this.onChange(key, null);
    return done;
  }
}

export interface InMemoryRunnerOptions {
  readonly applicationId: string;
  readonly clock: ManualClock;
  readonly metrics: Metrics;
  /** Partitions of every topic (default 1: a simulation needs no parallelism, and one task keeps order global). */
  readonly partitions?: number;
  /** Processing failures are dead-lettered there (policy `continue`), i.e. handed to `onOutput`. */
  readonly dlqTopic: string;
  /** Dead-letter header names and metric prefix (default: `defaultRuntimeNames`, neutral). */
  readonly names?: RuntimeNames;
  /** Every record written that is not routed back in (sinks, DLQ, changelogs), in write order. Must not throw. */
  readonly onOutput: (out: RunnerOutput) => void;
  readonly onError?: (err: unknown, info: TaskErrorInfo) => void;
  /**
   * Stores whose changes reach `onOutput` (default: every change-logged store). A caller that watches one store
   * (a simulation watching timers) spares the serializing of every other write.
   */
  readonly loggedStores?: ReadonlySet<string>;
}

export class InMemoryRunner {
  private readonly plan: TaskPlan;
  private readonly tasks = new Map<string, StreamTask>();
  private readonly stores: KeyValueStore<unknown>[] = [];
  private readonly globals = new Map<string, GlobalStoreUpdater>();
  private readonly storeOfChangelog = new Map<string, string>();
  private readonly subOfTopic = new Map<string, number>();
  private readonly routes = new Map<string, TopicRoute>();
  /** Tasks of each source topic by partition. */
  private readonly tasksOfTopic = new Map<string, Array<StreamTask | undefined>>();
  private readonly queue: InProcessRecord[] = [];
  private closed = false;

  private constructor(
    private readonly topology: Topology,
    private readonly opts: InMemoryRunnerOptions,
  ) {
    this.plan = planTasks(topology, opts.applicationId, () => opts.partitions ?? 1);
    for (const sub of topology.subTopologies) {
      for (const t of topology.sourceTopics(opts.applicationId, sub.id)) this.subOfTopic.set(t, sub.id);
      for (const s of sub.stores) this.storeOfChangelog.set(changelogTopicOf(opts.applicationId, s), s.name);
    }
  }

  /** Builds the runner and `init`s every task and global store. */
  static async create(topology: Topology, opts: InMemoryRunnerOptions): Promise<InMemoryRunner> {
    const r = new InMemoryRunner(topology, opts);
    await r.start();
    return r;
  }

  private partitionsOf(topic: string): number {
    return this.plan.repartitionTopics.get(topic) ?? this.opts.partitions ?? 1;
  }

  /**
   * An output: queued when the topology reads its topic (a repartition hop, an own input), else handed to
   * `onOutput`. A value handed over unserialized (`sendValue`) stays so: the next task gets the value itself.
   */
  private collect(r: OutgoingRecord | UnserializedRecord, unserialized: boolean): void {
    const route = this.routes.get(r.topic) ?? this.routeOf(r.topic);
    const n = route.partitions;
    const partition = r.partition ?? (r.key === null || n === 1 ? 0 : partitionForKey(r.key, n));
    const offset = route.offsets[partition] ?? 0;
    route.offsets[partition] = offset + 1;
    // three conditionals rather than a destructured array per record
    const bytes = unserialized ? undefined : (r.value as Buffer | null);
    const decoded = unserialized ? { value: r.value } : undefined;
    const serialize = unserialized ? (r as UnserializedRecord).serialize : undefined;
    const rec = new InProcessRecord(
      r.topic,
      partition,
      offset,
      r.key,
      r.timestamp,
      r.headers,
      bytes,
      decoded,
      serialize,
      route.store,
    );
    if (route.queued) this.queue.push(rec);
    else this.opts.onOutput(rec);
  }

  private routeOf(topic: string): TopicRoute {
    const store = this.storeOfChangelog.get(topic);
    const queued = store === undefined && (this.subOfTopic.has(topic) || this.globals.has(topic));
    const route = { store, queued, partitions: this.partitionsOf(topic), offsets: [] };
    this.routes.set(topic, route);
    return route;
  }

  /**
   * A change of a watched store, handed to `onOutput` as its changelog record would read, with the value itself in
   * `decoded` (its bytes are made only if read: a simulation watching timers never serializes them).
   */
  private storeChange(spec: StoreSpec, topic: string, partition: number, key: string, value: unknown): void {
    // no offset: nothing reads a store change back (only queued records need one)
    this.opts.onOutput(new StoreChange(topic, partition, spec.name, key, value, this.opts.clock.now(), spec.serde));
  }

  /**
   * A task's store: in memory; a logged one reports each change to `onOutput` as it happens, except that a
   * coalescing one logs once per key when the input is done (prepareCommit), as the Kafka runtime does.
   */
  private taskStore(spec: StoreSpec, partition: number, logger: ChangeLogger): KeyValueStore<unknown> {
    const watched = this.logged(spec) && spec.coalesceChangelog !== true;
    const topic = changelogTopicOf(this.opts.applicationId, spec);
    const inner = watched
      ? new WatchedStore<unknown>(spec.name, (key, value) => this.storeChange(spec, topic, partition, key, value))
      : new InMemoryKeyValueStore<unknown>(spec.name);
    this.stores.push(inner);
    if (watched || !this.logged(spec)) return inner;
    return new ChangeLoggingKeyValueStore(inner, spec.serde, logger, { coalesce: true });
  }

  private logged(spec: { readonly name: string; readonly changelog?: boolean }): boolean {
    return spec.changelog !== false && (this.opts.loggedStores?.has(spec.name) ?? true);
  }

  private async start(): Promise<void> {
    const { applicationId, clock, metrics } = this.opts;
    const names = this.opts.names ?? defaultRuntimeNames;
    for (const g of this.topology.globalStores) {
      const store = new InMemoryKeyValueStore<unknown>(g.store.name);
      const u = new GlobalStoreUpdater(g, store, { applicationId, clock, metrics, metricPrefix: names.metricPrefix });
      await u.init();
      this.globals.set(g.topic, u);
      this.stores.push(store);
    }
    const globalStores = new Map([...this.globals.values()].map((u) => [u.store.name, u.store]));
    const collector = {
      send: (r: OutgoingRecord) => this.collect(r, false),
      sendValue: (r: UnserializedRecord) => this.collect(r, true),
    };
    for (const sub of this.topology.subTopologies) {
      for (let p = 0; p < (this.plan.partitions.get(sub.id) ?? 0); p++) {
        const stores = new Map<string, KeyValueStore<unknown>>();
        const logger = changelogWriter(applicationId, p, collector, clock, sub.stores);
        for (const spec of sub.stores) stores.set(spec.name, this.taskStore(spec, p, logger));
        const task = new StreamTask({
          applicationId,
          topology: this.topology,
          subTopology: sub.id,
          partition: p,
          stores,
          globalStores,
          collector,
          partitionsOf: (t) => this.partitionsOf(t),
          clock,
          metrics,
          errorPolicy: 'continue',
          dlqTopic: this.opts.dlqTopic,
          names,
          ...(this.opts.onError ? { onError: this.opts.onError } : {}),
        });
        await task.init();
        this.tasks.set(taskIdOf(sub.id, p), task);
        for (const t of this.topology.sourceTopics(applicationId, sub.id)) {
          const byPartition = this.tasksOfTopic.get(t) ?? [];
          byPartition[p] = task;
          this.tasksOfTopic.set(t, byPartition);
        }
      }
    }
    await this.drain();
  }

  private async drain(): Promise<void> {
    for (let raw = this.queue.shift(); raw; raw = this.queue.shift()) {
      const g = this.globals.get(raw.topic);
      if (g) {
        await g.update(raw);
        continue;
      }
      const task = this.tasksOfTopic.get(raw.topic)?.[raw.partition];
      if (!task) throw new RangeError(`no task for ${raw.topic} partition ${raw.partition}`);
      await task.process(raw, raw.decoded);
    }
    // every input is committed once it and what it led to are processed
    for (const t of this.tasks.values()) t.prepareCommit();
  }

  /** Queues an input and processes it and what it leads to (a failure as a rejection, never a throw). */
  private input(r: OutgoingRecord | UnserializedRecord, unserialized: boolean): Promise<void> {
    try {
      this.collect(r, unserialized);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.drain();
  }

  /**
   * Writes one record to `topic` (a source topic or a global store's topic) and processes it and everything it
   * leads to. The caller serializes calls (one at a time).
   */
  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers = NO_HEADERS) {
    // (not an async function: the drain's promise is the caller's, one promise less per input)
    if (this.closed) return Promise.reject(new Error('the in-memory runner is closed'));
    if (!this.subOfTopic.has(topic) && !this.globals.has(topic))
      return Promise.reject(new RangeError(`"${topic}" is not an input topic of this topology`));
    return this.input({ topic, key, value, timestamp, headers }, false);
  }

  /**
   * Like `send`, with a plain JSON value: a source with a plain JSON deserializer gets the value itself (no bytes
   * made and parsed again); its bytes are made (`JSON.stringify`) only if something reads them.
   */
  sendJson(topic: string, key: Buffer | null, value: unknown, timestamp: number, headers: Headers = NO_HEADERS) {
    if (this.closed) return Promise.reject(new Error('the in-memory runner is closed'));
    if (!this.subOfTopic.has(topic))
      return Promise.reject(new RangeError(`"${topic}" is not a source topic of this topology`));
    return this.input({ topic, key, value, timestamp, headers, serialize: jsonBytes }, true);
  }

  /** Fires the wall-clock punctuators due at the clock's current time (earliest first) and what they forward. */
  async punctuate(): Promise<void> {
    const now = this.opts.clock.now();
    const due = [...this.tasks.values()]
      .filter((t) => t.nextWallClockDue() <= now)
      .sort((a, b) => a.nextWallClockDue() - b.nextWallClockDue());
    for (const t of due) {
      // No transaction to abort here (simulations): a failed punctuation is reported through `onError` and the
      // next one runs as usual.
      await t.punctuateWallClock().catch((err: unknown) => {
        if (!(err instanceof PunctuationError)) throw err;
      });
      await this.drain();
    }
  }

  /** Closes processors and stores; the runner cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tasks.values()) await t.close();
    for (const u of this.globals.values()) await u.close();
    for (const s of this.stores) await s.close();
  }
}
