/**
 * A broker-less driver for unit tests of processors (like Kafka Streams' `TopologyTestDriver`). It runs the real
 * topology — the same `StreamTask` code as the Kafka runtime — with in-memory stores and a `ManualClock`: one task
 * per (sub-topology, partition), repartition topics and outputs to the topology's own input topics routed back in
 * process, global stores fed by piping their topic, every changelog write captured so `restart()` can rebuild the
 * stores from it. Everything piped is processed (and "committed") before `pipeInput` resolves.
 */
import { defaultRuntimeNames, type RuntimeNames } from '../api/runtime-names.js';
import { ManualClock } from '../api/clock.js';
import { changelogTopicOf, type Topology } from '../api/builder.js';
import { GlobalStoreUpdater } from '../runtime/global-store.js';
import { ChangeLoggingKeyValueStore } from '../state/change-logging-store.js';
import { InMemoryMetrics } from '../api/metrics.js';
import { partitionForKey } from '../kafka/murmur2.js';
import { planTasks, type TaskPlan } from '../runtime/plan.js';
import type { Deserializer, Headers, RawRecord } from '../api/record.js';
import { InMemoryKeyValueStore, type KeyValueStore } from '../api/store.js';
import {
  StreamTask,
  changelogWriter,
  taskIdOf,
  type ErrorPolicy,
  type OutgoingRecord,
  type RecordCollector,
  type TaskErrorInfo,
} from '../runtime/task.js';

export interface TestDriverOptions {
  /** Default `test-app`; prefixes internal topic names. */
  readonly applicationId?: string;
  /** Default: a `ManualClock` at 2026-01-01T00:00:00Z. */
  readonly clock?: ManualClock;
  /** Partition count of every external topic not in `topicPartitions` (default 1). */
  readonly partitions?: number;
  readonly topicPartitions?: Readonly<Record<string, number>>;
  readonly errorPolicy?: ErrorPolicy;
  /** Default `dlq`. */
  readonly dlqTopic?: string;
  /** Dead-letter header names and metric prefix (default: `defaultRuntimeNames`, neutral). */
  readonly names?: RuntimeNames;
  readonly metrics?: InMemoryMetrics;
  readonly onError?: (err: unknown, info: TaskErrorInfo) => void;
}

export interface PipeOptions {
  /** Record timestamp; default the clock's now. */
  readonly timestamp?: number;
  readonly headers?: Headers;
  /** Input partition; default murmur2 of the key bytes (partition 0 for a null key). */
  readonly partition?: number;
}

/** An output record: decoded `key`/`value` plus the raw bytes. */
export interface TestOutputRecord<K = string | null, V = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: K;
  readonly value: V;
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  readonly headers: Headers;
  readonly timestamp: number;
}

export interface ReadOptions<K, V> {
  /** Default: UTF-8 string (null stays null). */
  readonly keyDeserializer?: Deserializer<K>;
  /** Default: JSON if it parses, else the UTF-8 string (null stays null). */
  readonly valueDeserializer?: Deserializer<V>;
}

/** Captured changelog entry of one store partition, in write order. */
export interface ChangelogEntry {
  readonly key: string;
  readonly value: Buffer | null;
}

/** Key or value given to `pipeInput`: bytes as-is, strings as UTF-8, anything else as JSON. */
export type PipeValue = Buffer | string | null | undefined | object | number | boolean;

function encode(v: PipeValue): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.from(JSON.stringify(v), 'utf8');
}

const defaultKey: Deserializer<string | null> = (b) => (b === null ? null : b.toString('utf8'));
const defaultValue: Deserializer<unknown> = (b) => {
  if (b === null) return null;
  const s = b.toString('utf8');
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
};

export class TopologyTestDriver {
  readonly clock: ManualClock;
  readonly metrics: InMemoryMetrics;
  readonly applicationId: string;
  private readonly plan: TaskPlan;
  private readonly tasks = new Map<string, StreamTask>();
  private readonly stores = new Map<string, Map<string, KeyValueStore<unknown>>>();
  private readonly globals = new Map<string, GlobalStoreUpdater>();
  private readonly globalLog = new Map<string, RawRecord[]>();
  private readonly changelog = new Map<string, ChangelogEntry[]>();
  private readonly changelogTopics = new Map<string, string>();
  /** Changelogs that are topics of their own (`StoreSpec.changelogTopic`), readable with `readOutput`. */
  private readonly productChangelogs = new Set<string>();
  private readonly outputs = new Map<string, RawRecord[]>();
  private readonly offsets = new Map<string, number>();
  private readonly subOfTopic = new Map<string, number>();
  private readonly queue: RawRecord[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly topology: Topology,
    private readonly opts: TestDriverOptions,
  ) {
    this.clock = opts.clock ?? new ManualClock();
    this.metrics = opts.metrics ?? new InMemoryMetrics();
    this.applicationId = opts.applicationId ?? 'test-app';
    this.plan = planTasks(topology, this.applicationId, (t) => this.externalPartitions(t));
    for (const sub of topology.subTopologies) {
      for (const t of topology.sourceTopics(this.applicationId, sub.id)) this.subOfTopic.set(t, sub.id);
      for (const s of sub.stores) {
        this.changelogTopics.set(changelogTopicOf(this.applicationId, s), s.name);
        if (s.changelogTopic !== undefined) this.productChangelogs.add(s.changelogTopic);
      }
    }
  }

  /** Builds the driver and `init`s every task (so wall-clock punctuators run without any input). */
  static async create(topology: Topology, opts: TestDriverOptions = {}): Promise<TopologyTestDriver> {
    const d = new TopologyTestDriver(topology, opts);
    await d.start();
    return d;
  }

  private externalPartitions(topic: string): number {
    return this.opts.topicPartitions?.[topic] ?? this.opts.partitions ?? 1;
  }

  /** Partition count of any topic the driver knows (repartition topics included). */
  partitionsOf(topic: string): number {
    return this.plan.repartitionTopics.get(topic) ?? this.externalPartitions(topic);
  }

  private readonly collector: RecordCollector = { send: (r) => this.collect(r) };

  private collect(r: OutgoingRecord): void {
    const partition = r.partition ?? (r.key === null ? 0 : partitionForKey(r.key, this.partitionsOf(r.topic)));
    const store = this.changelogTopics.get(r.topic);
    if (store !== undefined) {
      const k = `${store}/${partition}`;
      const log = this.changelog.get(k) ?? [];
      log.push({ key: r.key?.toString('utf8') ?? '', value: r.value });
      this.changelog.set(k, log);
      // A changelog that is a topic of the product (a spec's `changelogTopic`) is output users can read too.
      if (this.productChangelogs.has(r.topic)) this.append(r.topic, partition, r.key, r.value, r.timestamp, r.headers);
      return;
    }
    const raw = this.append(r.topic, partition, r.key, r.value, r.timestamp, r.headers);
    if (this.subOfTopic.has(r.topic) || this.globalTopic(r.topic)) this.queue.push(raw);
  }

  private append(topic: string, partition: number, key: Buffer | null, value: Buffer | null, ts: number, h: Headers) {
    const k = `${topic}/${partition}`;
    const offset = this.offsets.get(k) ?? 0;
    this.offsets.set(k, offset + 1);
    const raw: RawRecord = { topic, partition, offset: String(offset), key, value, timestamp: ts, headers: h };
    const out = this.outputs.get(topic) ?? [];
    out.push(raw);
    this.outputs.set(topic, out);
    return raw;
  }

  private globalTopic(topic: string): GlobalStoreUpdater | undefined {
    return this.globals.get(topic);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the test driver is closed'));
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The dead-letter topic (`dlq` unless given). */
  get dlqTopic(): string {
    return this.opts.dlqTopic ?? 'dlq';
  }

  /** The names the tasks write dead-letter headers and metrics with. */
  get names(): RuntimeNames {
    return this.opts.names ?? defaultRuntimeNames;
  }

  private async start(): Promise<void> {
    for (const g of this.topology.globalStores) {
      const store = new InMemoryKeyValueStore<unknown>(g.store.name);
      const u = new GlobalStoreUpdater(g, store, {
        applicationId: this.applicationId,
        clock: this.clock,
        metrics: this.metrics,
        metricPrefix: this.names.metricPrefix,
      });
      await u.init();
      for (const raw of this.globalLog.get(g.topic) ?? []) await u.update(raw);
      this.globals.set(g.topic, u);
    }
    const globalStores = new Map([...this.globals.values()].map((u) => [u.store.name, u.store]));
    for (const sub of this.topology.subTopologies) {
      const n = this.plan.partitions.get(sub.id) ?? 0;
      for (let p = 0; p < n; p++) {
        const id = taskIdOf(sub.id, p);
        const stores = new Map<string, KeyValueStore<unknown>>();
        const logger = changelogWriter(this.applicationId, p, this.collector, this.clock, sub.stores);
        for (const spec of sub.stores) {
          const inner = new InMemoryKeyValueStore<unknown>(spec.name);
          for (const e of this.compacted(spec.name, p)) await inner.put(e.key, spec.serde.deserialize(e.value));
          stores.set(
            spec.name,
            spec.changelog === false
              ? inner
              : new ChangeLoggingKeyValueStore(inner, spec.serde, logger, {
                  coalesce: spec.coalesceChangelog === true,
                }),
          );
        }
        this.stores.set(id, stores);
        const task = new StreamTask({
          applicationId: this.applicationId,
          topology: this.topology,
          subTopology: sub.id,
          partition: p,
          stores,
          globalStores,
          collector: this.collector,
          partitionsOf: (t) => this.partitionsOf(t),
          clock: this.clock,
          metrics: this.metrics,
          errorPolicy: this.opts.errorPolicy ?? 'continue',
          dlqTopic: this.dlqTopic,
          names: this.names,
          ...(this.opts.onError ? { onError: this.opts.onError } : {}),
        });
        await task.init();
        this.tasks.set(id, task);
      }
    }
    await this.drain();
  }

  /** Latest value per key of a store partition's changelog, in first-write order. */
  private compacted(store: string, partition: number): Array<{ key: string; value: Buffer }> {
    const latest = new Map<string, Buffer | null>();
    for (const e of this.changelog.get(`${store}/${partition}`) ?? []) latest.set(e.key, e.value);
    return [...latest].filter((e): e is [string, Buffer] => e[1] !== null).map(([key, value]) => ({ key, value }));
  }

  private async drain(): Promise<void> {
    for (let raw = this.queue.shift(); raw; raw = this.queue.shift()) {
      const g = this.globalTopic(raw.topic);
      if (g) {
        const log = this.globalLog.get(raw.topic) ?? [];
        log.push(raw);
        this.globalLog.set(raw.topic, log);
        await g.update(raw);
        continue;
      }
      const sub = this.subOfTopic.get(raw.topic);
      if (sub === undefined) continue;
      const task = this.tasks.get(taskIdOf(sub, raw.partition));
      if (!task) throw new RangeError(`no task for ${raw.topic} partition ${raw.partition}`);
      await task.process(raw);
    }
    // every input is committed once it and what it led to are processed
    for (const t of this.tasks.values()) t.prepareCommit();
  }

  /**
   * Produces one record to `topic` (a source topic or a global store's topic) and processes it and everything it
   * leads to (repartition hops included). Rejects when the error policy is `stop` and processing throws.
   */
  pipeInput(topic: string, key: PipeValue, value: PipeValue, opts: PipeOptions = {}): Promise<void> {
    return this.serial(async () => {
      if (!this.subOfTopic.has(topic) && !this.globalTopic(topic))
        throw new RangeError(`"${topic}" is not an input topic of this topology`);
      const k = encode(key);
      const n = this.partitionsOf(topic);
      const partition = opts.partition ?? (k === null ? 0 : partitionForKey(k, n));
      if (partition < 0 || partition >= n) throw new RangeError(`${topic} has ${n} partition(s), not ${partition}`);
      const raw = this.append(
        topic,
        partition,
        k,
        encode(value),
        opts.timestamp ?? this.clock.now(),
        opts.headers ?? {},
      );
      this.queue.push(raw);
      await this.drain();
    });
  }

  /**
   * Moves the manual clock forward and fires every due wall-clock punctuator once (earliest due first; intervals
   * missed in one jump fire once, as in Kafka Streams), processing whatever they forward.
   */
  advanceWallClockTime(ms: number): Promise<void> {
    return this.serial(async () => {
      this.clock.advance(ms);
      const now = this.clock.now();
      const due = [...this.tasks.values()]
        .filter((t) => t.nextWallClockDue() <= now)
        .sort((a, b) => a.nextWallClockDue() - b.nextWallClockDue());
      for (const t of due) {
        await t.punctuateWallClock();
        await this.drain();
      }
    });
  }

  /** Removes and returns every record written to `topic` so far (sinks, DLQ, repartition, inputs piped). */
  readOutput<K = string | null, V = unknown>(topic: string, opts: ReadOptions<K, V> = {}): TestOutputRecord<K, V>[] {
    const raws = this.outputs.get(topic) ?? [];
    this.outputs.set(topic, []);
    const kd = (opts.keyDeserializer ?? defaultKey) as Deserializer<K>;
    const vd = (opts.valueDeserializer ?? defaultValue) as Deserializer<V>;
    return raws.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: kd(r.key, { topic, headers: r.headers }),
      value: vd(r.value, { topic, headers: r.headers }),
      rawKey: r.key,
      rawValue: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
    }));
  }

  /** A task's store (by partition of its sub-topology) or a global store (partition ignored). */
  getStore<V>(name: string, partition = 0): KeyValueStore<V> {
    for (const u of this.globals.values()) if (u.store.name === name) return u.store as KeyValueStore<V>;
    const sub = this.topology.subTopologies.find((s) => s.stores.some((x) => x.name === name));
    const s = sub && this.stores.get(taskIdOf(sub.id, partition))?.get(name);
    if (!s) throw new RangeError(`no store "${name}" for partition ${partition}`);
    return s as KeyValueStore<V>;
  }

  /** Every change written to a store partition's changelog so far (restart rebuilds the store from this). */
  changelogOf(store: string, partition = 0): readonly ChangelogEntry[] {
    return this.changelog.get(`${store}/${partition}`) ?? [];
  }

  /** Task ids, e.g. `0_0`, `1_3`. */
  taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  private async stop(): Promise<void> {
    for (const t of this.tasks.values()) await t.close();
    for (const u of this.globals.values()) await u.close();
    for (const m of this.stores.values()) for (const s of m.values()) await s.close();
    for (const u of this.globals.values()) await u.store.close();
    this.tasks.clear();
    this.stores.clear();
    this.globals.clear();
  }

  /**
   * Simulates a process restart: closes every processor and drops every store, then rebuilds the stores from the
   * captured changelogs (global stores from their topic) and `init`s fresh processors. Outputs not read stay.
   * `freshMetrics`: the metrics start from zero too, as a new process's registry does.
   */
  restart(opts: { readonly freshMetrics?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      await this.stop();
      if (opts.freshMetrics) this.metrics.reset();
      await this.start();
    });
  }

  /** Closes processors and stores; the driver cannot be used afterwards. */
  async close(): Promise<void> {
    await this.serial(() => this.stop());
    this.closed = true;
  }
}
