/**
 * A stream task: one sub-topology bound to one partition. It owns processor instances, their contexts, stream
 * time and punctuators, and turns each input record into outputs handed to a `RecordCollector`. The same class runs
 * under the Kafka runtime (collector = the task's transaction) and under the test driver (collector = in-memory
 * topics), so processors are tested on the code that runs them in production. Calls are serialized: at most one
 * `process`/`punctuate` runs at a time per task.
 */
import { RetryLaterError, rejectWith } from '../api/errors.js';
import { DLQ_CODES, dlqHeaders } from './dlq.js';
import { UNDECODABLE_HEADER, undecodableInfo } from '../kafka/kafka-codecs.js';
import { noopMetrics, type Counter } from '../api/metrics.js';
import { topologyMetrics } from '../metric-catalogue.js';
import { prefixedMetric } from '../api/runtime-names.js';
import { partitionForKey } from '../kafka/murmur2.js';
import type { NodeDef, SourceNode } from '../api/builder.js';
import { TaskContext, forwardTo, type NodeRunner, type Punctuation } from './task-context.js';
import { SerialLock } from './serial-lock.js';
import { PunctuationError, TaskPunctuations, errorCode, errorMessage } from './task-punctuations.js';
import { taskIdOf, type OutgoingRecord, type StreamTaskOptions, type TaskErrorInfo } from './task-types.js';
import { isPlainJson, type RawRecord, type StreamRecord } from '../api/record.js';
import { hasPendingChanges, type KeyValueStore } from '../api/store.js';

export {
  changelogWriter,
  partitionOfTask,
  taskIdOf,
  type ErrorPolicy,
  type OutgoingRecord,
  type RecordCollector,
  type StreamTaskOptions,
  type TaskErrorInfo,
  type UnserializedRecord,
} from './task-types.js';
export { PunctuationError } from './task-punctuations.js';

const NEVER = new AbortController().signal;
const DONE: Promise<void> = Promise.resolve();

export class StreamTask {
  readonly id: string;
  private readonly runners = new Map<string, NodeRunner>();
  private readonly sourceByTopic = new Map<string, SourceNode>();
  private readonly punctuations: TaskPunctuations;
  private readonly deadLettered: Counter;
  private readonly punctuationErrors: Counter;
  private streamTimeMs = -1;
  private current: RawRecord | undefined;
  /** At most one call (process, punctuate, init, close) at a time, in call order. */
  private readonly lock = new SerialLock();
  private closed = false;

  constructor(private readonly opts: StreamTaskOptions) {
    this.id = taskIdOf(opts.subTopology, opts.partition);
    const m = opts.metrics ?? noopMetrics;
    const prefix = opts.names.metricPrefix;
    this.deadLettered = m.counter(prefixedMetric(prefix, topologyMetrics.deadLettered));
    this.punctuationErrors = m.counter(prefixedMetric(prefix, topologyMetrics.punctuationErrors));
    this.punctuations = new TaskPunctuations(
      () => opts.clock.now(),
      (err, code) => {
        opts.onError?.(err, { taskId: this.id, phase: 'punctuate', code });
        this.punctuationErrors.inc({ task: this.id });
        return new PunctuationError(this.id, code, err);
      },
    );
  }

  get partition(): number {
    return this.opts.partition;
  }

  get streamTime(): number {
    return this.streamTimeMs;
  }

  /** Creates and `init`s the processors (parents first). Call once before anything else. */
  init(): Promise<void> {
    return this.lock.run(async () => {
      const { topology, subTopology } = this.opts;
      const sub = topology.subTopologies[subTopology];
      if (!sub) throw new RangeError(`no sub-topology ${subTopology}`);
      for (const name of sub.nodes) {
        const def = topology.nodes.get(name);
        if (def) this.runners.set(name, this.runnerFor(def));
      }
      for (const s of sub.sources)
        for (const t of topology.topicsOf(s, this.opts.applicationId)) this.sourceByTopic.set(t, s);
      for (const name of sub.nodes) {
        const r = this.runners.get(name);
        if (r?.processor?.init && r.context) await r.processor.init(r.context);
      }
    });
  }

  private runnerFor(def: NodeDef): NodeRunner {
    // Resolved on first use (every runner exists by then) and kept: the topology never changes while a task runs.
    let children: NodeRunner[] | undefined;
    const runner: NodeRunner = {
      name: def.name,
      children: () =>
        (children ??= (this.opts.topology.children.get(def.name) ?? [])
          .map((c) => this.runners.get(c))
          .filter((r): r is NodeRunner => r !== undefined)),
      process: async () => undefined,
    };
    // The runners return their callee's promise (no async wrapper, one promise less per node and record); a
    // synchronous throw still reaches the caller as a rejection.
    if (def.kind === 'processor') {
      const processor = def.supplier();
      const allowed = new Set(def.stores ?? []);
      runner.processor = processor;
      runner.context = new TaskContext(this.contextHost(), runner, (name) => this.storeFor(name, allowed, def.name));
      runner.process = (r) => {
        try {
          return Promise.resolve(processor.process(r));
        } catch (err) {
          return rejectWith(err);
        }
      };
    } else if (def.kind === 'sink') {
      // the sink's topic never changes while the task runs (a repartition topic's name is built once, not per record)
      const topic = this.opts.topology.sinkTopic(def, this.opts.applicationId);
      runner.process = (r) => {
        try {
          this.sink(def, topic, r);
          return DONE;
        } catch (err) {
          return rejectWith(err);
        }
      };
    } else {
      runner.process = (r) => forwardTo(runner.children(), r);
    }
    return runner;
  }

  private contextHost() {
    return {
      applicationId: this.opts.applicationId,
      taskId: this.id,
      partition: this.opts.partition,
      clock: this.opts.clock,
      metrics: this.opts.metrics ?? noopMetrics,
      signal: this.opts.signal ?? NEVER,
      streamTime: () => this.streamTimeMs,
      current: () => this.current,
      schedule: (p: Punctuation) => this.punctuations.add(p),
      deadLetter: (code: string, message: string, key?: Buffer | null, value?: Buffer | null) =>
        this.deadLetter(code, message, this.current, key, value),
    };
  }

  private storeFor(name: string, allowed: ReadonlySet<string>, node: string): KeyValueStore<unknown> {
    const g = this.opts.globalStores?.get(name);
    if (g) return g;
    const s = allowed.has(name) ? this.opts.stores.get(name) : undefined;
    if (!s) throw new RangeError(`processor "${node}" is not connected to a store named "${name}"`);
    return s;
  }

  private sink(def: Extract<NodeDef, { kind: 'sink' }>, topic: string, r: StreamRecord<unknown, unknown>): void {
    const key = def.keySerializer(r.key);
    const n = this.opts.partitionsOf(topic);
    let partition: number | undefined;
    if (def.partitioner && n !== undefined) partition = def.partitioner(r.key, r.value, key, n);
    if (partition === undefined && key !== null && n !== undefined) partition = partitionForKey(key, n);
    const collector = this.opts.collector;
    if (collector.sendValue && r.value !== null && isPlainJson(def.valueSerializer)) {
      collector.sendValue({
        topic,
        partition,
        key,
        value: r.value,
        serialize: def.valueSerializer,
        headers: r.headers,
        timestamp: r.timestamp,
      });
      return;
    }
    const value = def.valueSerializer(r.value);
    const { headers, timestamp } = r;
    // two literals rather than a spread of a temporary object per record
    collector.send(
      partition === undefined
        ? { topic, key, value, headers, timestamp }
        : { topic, partition, key, value, headers, timestamp },
    );
  }

  /**
   * An output over the size limit, replaced by its dead letter: the broker would refuse it (over
   * `max.message.bytes`) and every commit of the task would fail on it, blocking its partitions. The dead letter
   * carries the output's key (when it fits), no value, the source record's headers and position, and the code
   * `OUTPUT_TOO_LARGE`; a dead letter that is itself too large keeps its code and reason, without its value. Called
   * by the task's owner for each output (processor outputs and changelog writes).
   */
  oversizedOutput(r: OutgoingRecord, bytes: number, limit: number): OutgoingRecord {
    const code = DLQ_CODES.outputTooLarge;
    const source = this.current;
    const key = r.key !== null && r.key.length <= limit / 2 ? r.key : null;
    if (r.topic === this.opts.dlqTopic) {
      // A dead letter carrying a large input (an event over `maxEventBytes` is always one): it keeps its own code
      // and reason, and was counted when it was made; only its value goes.
      const names = this.opts.names.deadLetterHeaders;
      const why = r.headers[names.message] ?? '';
      const dropped = `its value of ${bytes} bytes was dropped: over the limit of ${limit} bytes`;
      return {
        ...r,
        key,
        value: null,
        headers: { ...r.headers, [names.message]: why ? `${why} (${dropped})` : dropped },
      };
    }
    this.deadLettered.inc({ code, topic: source?.topic ?? '' });
    return {
      topic: this.opts.dlqTopic,
      key,
      value: null,
      headers: dlqHeaders(
        this.opts.names.deadLetterHeaders,
        code,
        `an output to ${r.topic} of ${bytes} bytes is over the limit of ${limit} bytes`,
        source,
      ),
      timestamp: source?.timestamp ?? this.opts.clock.now(),
    };
  }

  private deadLetter(
    code: string,
    message: string,
    source: RawRecord | undefined,
    key?: Buffer | null,
    value?: Buffer | null,
  ): Promise<void> {
    this.opts.collector.send({
      topic: this.opts.dlqTopic,
      key: key === undefined ? (source?.key ?? null) : key,
      value: value === undefined ? (source?.value ?? null) : value,
      headers: dlqHeaders(this.opts.names.deadLetterHeaders, code, message, source),
      timestamp: source?.timestamp ?? this.opts.clock.now(),
    });
    this.deadLettered.inc({ code, topic: source?.topic ?? '' });
    return Promise.resolve();
  }

  /**
   * Deserializes and processes one input record, then fires due stream-time punctuators. `decoded`: the record's
   * value as a plain JSON value that an in-process owner already holds (see `RecordCollector.sendValue`); used
   * instead of deserializing `raw.value` when the source's deserializer is plain JSON too.
   */
  process(raw: RawRecord, decoded?: { readonly value: unknown }): Promise<void> {
    // serialized like `lock.run`, without its closure and promises per record
    const turn = this.lock.acquire();
    return turn ? turn.then(() => this.processHeld(raw, decoded)) : this.processHeld(raw, decoded);
  }

  /**
   * `process` with the lock held; releases it when the record and its punctuators are done. Not an async function:
   * per record one promise (the processor's, continued by the handlers bound once below) instead of an async
   * function's promise, its await and a failure closure with a promise of its own.
   */
  private processHeld(raw: RawRecord, decoded: { readonly value: unknown } | undefined): Promise<void> {
    try {
      if (this.closed) throw new Error(`task ${this.id} is closed`);
      const source = this.sourceByTopic.get(raw.topic);
      if (!source) throw new RangeError(`task ${this.id} does not read topic "${raw.topic}"`);
      this.current = raw;
      if (this.undecodable(raw)) return this.recordDone() ?? DONE;
      return this.processRecord(source, raw, decoded);
    } catch (err) {
      this.current = undefined;
      this.lock.release();
      return rejectWith(err);
    }
  }

  /**
   * Deserializes `raw` and hands it to its source node; a failure is dead-lettered (or rethrown: `failed`). Returns
   * the record's whole course, ending in `recordDone` or `recordAborted`.
   */
  private processRecord(source: SourceNode, raw: RawRecord, decoded?: { readonly value: unknown }): Promise<void> {
    let record: StreamRecord<unknown, unknown>;
    try {
      // the raw record is the deserializers' context (its topic and headers): no context object per record
      record = {
        key: source.keyDeserializer(raw.key, raw),
        value:
          decoded !== undefined && isPlainJson(source.valueDeserializer)
            ? decoded.value
            : source.valueDeserializer(raw.value, raw),
        timestamp: raw.timestamp,
        headers: raw.headers,
      };
    } catch (err) {
      return this.failed(err, 'deserialize', DLQ_CODES.deserialization, raw).then(this.recordDone, this.recordAborted);
    }
    if (raw.timestamp > this.streamTimeMs) this.streamTimeMs = raw.timestamp;
    const runner = this.runners.get(source.name);
    if (!runner) return this.recordDone() ?? DONE;
    // runners never throw synchronously (they return rejections)
    return runner.process(record).then(this.recordDone, this.recordFailed);
  }

  /** The current record's processor failed: dead-lettered (or rethrown), then the record is done. */
  private readonly recordFailed = (err: unknown): Promise<void> => {
    // The record had no effect and waits: the runner pauses the partition and hands it again.
    if (err instanceof RetryLaterError && this.opts.retryLater) return this.recordAborted(err);
    const raw = this.current as RawRecord;
    return this.failed(err, 'process', DLQ_CODES.processing, raw).then(this.recordDone, this.recordAborted);
  };

  /**
   * The current record is done: stream-time punctuators due after it fire, then the lock is released. Returns
   * undefined when nothing is left to do (a promise returned from a `then` handler would cost two more ticks).
   */
  private readonly recordDone = (): Promise<void> | undefined => {
    this.current = undefined;
    if (this.closed || !this.punctuations.due('stream-time', this.streamTimeMs)) {
      this.lock.release();
      return undefined;
    }
    return this.punctuations.fire('stream-time', this.streamTimeMs).then(this.released, this.recordAborted);
  };

  private readonly released = (): void => this.lock.release();

  /** The current record (or its punctuators) failed with `err`: the lock is released and `err` rethrown. */
  private readonly recordAborted = (err: unknown): never => {
    this.current = undefined;
    this.lock.release();
    throw err;
  };

  /**
   * Stand-ins for a batch the seam could not decompress (kafka-codecs.ts): the first goes to the DLQ with the
   * batch's compressed bytes, the others are skipped. True when the record was one.
   */
  private undecodable(raw: RawRecord): boolean {
    const info = undecodableInfo(raw.headers);
    if (!info) return false;
    if (!info.first) return true;
    const { [UNDECODABLE_HEADER]: _, ...headers } = raw.headers;
    const message = `${info.codec} batch of ${info.records} records could not be decoded: ${info.error}`;
    this.opts.onError?.(new Error(message), {
      taskId: this.id,
      phase: 'deserialize',
      code: DLQ_CODES.undecodableBatch,
      source: raw,
    });
    void this.deadLetter(DLQ_CODES.undecodableBatch, message, { ...raw, headers });
    return true;
  }

  private async failed(err: unknown, phase: TaskErrorInfo['phase'], fallback: string, raw: RawRecord): Promise<void> {
    const code = errorCode(err, fallback);
    this.opts.onError?.(err, { taskId: this.id, phase, code, source: raw });
    if ((this.opts.errorPolicy ?? 'continue') === 'stop') throw err;
    await this.deadLetter(code, errorMessage(err), raw);
  }

  /**
   * Before a commit: stores that coalesce their changelog (`StoreSpec.coalesceChangelog`) hand their pending
   * changes to the collector, so they join the outputs of the records that made them. Synchronous; call between
   * records (the owner's commit, the drivers after each input), never while a record or punctuation is running.
   */
  prepareCommit(): void {
    for (const s of this.opts.stores.values()) if (hasPendingChanges(s)) s.logPending();
  }

  /** Fires the wall-clock punctuators that are due at the clock's current time; rejects with `PunctuationError`. */
  punctuateWallClock(): Promise<void> {
    return this.lock.run(() => this.punctuations.fire('wall-clock', this.opts.clock.now()));
  }

  /** Earliest due time of a wall-clock punctuator (Infinity if none). */
  nextWallClockDue(): number {
    return this.punctuations.nextWallClockDue();
  }

  /** Closes the processors (children after parents' close is not guaranteed). Stores are closed by their owner. */
  close(): Promise<void> {
    return this.lock.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.punctuations.cancelAll();
      const errors: unknown[] = [];
      for (const r of this.runners.values()) {
        try {
          await r.processor?.close?.();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length)
        throw new AggregateError(errors, `task ${this.id}: ${errors.length} processor(s) failed to close`);
    });
  }
}
