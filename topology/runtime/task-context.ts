/** The `ProcessorContext` implementation handed to each processor of a `StreamTask`. */
import type { Clock } from '../api/clock.js';
import type { Metrics } from '../api/metrics.js';
import type {
  Cancellable,
  DeadLetter,
  Processor,
  ProcessorContext,
  PunctuationType,
  Punctuator,
} from '../api/processor.js';
import type { RawRecord, InputMetadata, StreamRecord } from '../api/record.js';
import type { KeyValueStore } from '../api/store.js';

/** A node of a running task. */
export interface NodeRunner {
  readonly name: string;
  children(): NodeRunner[];
  process(record: StreamRecord<unknown, unknown>): Promise<void>;
  processor?: Processor<unknown, unknown, unknown, unknown>;
  context?: TaskContext;
}

/**
 * Hands `r` to each of `children` in order. With one child (the common case) its own promise is returned: no async
 * wrapper per node and record. Runners never throw synchronously (they return rejections).
 */
export function forwardTo(children: readonly NodeRunner[], r: StreamRecord<unknown, unknown>): Promise<void> {
  if (children.length === 1) return (children[0] as NodeRunner).process(r);
  return (async () => {
    for (const c of children) await c.process(r);
  })();
}

export interface Punctuation {
  readonly type: PunctuationType;
  readonly interval: number;
  readonly callback: Punctuator;
  next: number;
  cancelled: boolean;
}

/** What a context needs from its task. */
export interface ContextHost {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly signal: AbortSignal;
  streamTime(): number;
  current(): RawRecord | undefined;
  schedule(p: Punctuation): void;
  deadLetter(code: string, message: string, key?: Buffer | null, value?: Buffer | null): Promise<void>;
}

export class TaskContext implements ProcessorContext<unknown, unknown> {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly signal: AbortSignal;

  constructor(
    private readonly host: ContextHost,
    private readonly node: NodeRunner,
    private readonly stores: (name: string) => KeyValueStore<unknown>,
  ) {
    this.applicationId = host.applicationId;
    this.taskId = host.taskId;
    this.partition = host.partition;
    this.clock = host.clock;
    this.metrics = host.metrics;
    this.signal = host.signal;
  }

  streamTime(): number {
    return this.host.streamTime();
  }

  recordMetadata(): InputMetadata | undefined {
    const c = this.host.current();
    return c && { topic: c.topic, partition: c.partition, offset: c.offset, headers: c.headers };
  }

  forward(record: StreamRecord<unknown, unknown>, childName?: string): Promise<void> {
    const children = this.node.children();
    if (childName === undefined) return forwardTo(children, record);
    const child = children.find((c) => c.name === childName);
    if (!child) return Promise.reject(new RangeError(`"${childName}" is not a child of "${this.node.name}"`));
    return child.process(record);
  }

  getStateStore<V>(name: string): KeyValueStore<V> {
    return this.stores(name) as KeyValueStore<V>;
  }

  schedule(intervalMs: number, type: PunctuationType, callback: Punctuator): Cancellable {
    if (!(intervalMs > 0)) throw new RangeError(`punctuation interval must be > 0 ms, got ${intervalMs}`);
    const p: Punctuation = { type, interval: intervalMs, callback, next: 0, cancelled: false };
    this.host.schedule(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  deadLetter(letter: DeadLetter): Promise<void> {
    return this.host.deadLetter(letter.code, letter.message, letter.key, letter.value);
  }
}
