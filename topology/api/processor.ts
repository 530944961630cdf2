/**
 * The Processor API (modelled on Kafka Streams' `org.apache.kafka.streams.processor.api`). A processor is created
 * once per task by its supplier, `init`ed with its context before the first record, gets the task's records one at
 * a time (the next `process` call waits for the previous one's promise), and is `close`d when the task closes
 * (rebalance, shutdown, restart). A processor must not keep state outside its state stores if that state has to
 * survive a restart: only stores are restored from the changelog.
 */
import type { Clock } from './clock.js';
import type { Metrics } from './metrics.js';
import type { InputMetadata, StreamRecord } from './record.js';
import type { KeyValueStore } from './store.js';

export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  /** Called once before the first record or punctuation; get stores and schedule punctuators here. */
  init?(context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  /**
   * Handles one record. Records of one partition arrive strictly in order; the next call waits for this one's
   * promise. A thrown error sends the input record to the DLQ (policy `continue`) or stops the task (`stop`).
   */
  process(record: StreamRecord<KIn, VIn>): void | Promise<void>;
  /** Called once when the task closes; release resources (stores are closed by the runtime). */
  close?(): void | Promise<void>;
}

/** Creates a fresh processor instance for each task. */
export type ProcessorSupplier<KIn, VIn, KOut = KIn, VOut = VIn> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * `wall-clock`: fires every interval of the injected clock, even with no input. `stream-time`: fires when the
 * task's stream time (largest record timestamp seen) passes the next multiple of the interval.
 */
export type PunctuationType = 'wall-clock' | 'stream-time';

export type Punctuator = (timestamp: number) => void | Promise<void>;

export interface Cancellable {
  cancel(): void;
}

/** An explicit dead letter (see `ProcessorContext.deadLetter`). */
export interface DeadLetter {
  /** Stable error code, e.g. `EVENT_NO_IDENTITY`; becomes the dead letter's code header (`RuntimeNames.deadLetterHeaders`). */
  readonly code: string;
  readonly message: string;
  /** Raw key/value to dead-letter; default: the bytes of the input record being processed. */
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
}

/** What a processor can do besides returning. One context per (processor, task). */
export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string;
  /** `${subTopology}_${partition}`, as in Kafka Streams. */
  readonly taskId: string;
  readonly partition: number;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /**
   * Aborted when the task stops (rebalance, shutdown, failure). A processor waiting on an outside service in
   * `process` ends the wait when it aborts (and throws), so that stopping is never held by a call that hangs.
   */
  readonly signal: AbortSignal;
  /** Largest record timestamp this task has seen (-1 before the first record). */
  streamTime(): number;
  /** Source topic, partition, offset and headers of the input record being processed; undefined in a punctuator. */
  recordMetadata(): InputMetadata | undefined;
  /**
   * Passes a record to every child (or only to `childName`). Resolves once the children have processed it; await
   * it so that ordering and error handling stay per record.
   */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): Promise<void>;
  /** A store connected to this processor (or a global store). Throws for a store it is not connected to. */
  getStateStore<V>(name: string): KeyValueStore<V>;
  /** Runs `callback` every `intervalMs` of wall-clock or stream time; calls are serialized with `process`. */
  schedule(intervalMs: number, type: PunctuationType, callback: Punctuator): Cancellable;
  /**
   * Sends a record to the dead-letter topic with the application's error and source headers
   * (`RuntimeNames.deadLetterHeaders`), inside the task's transaction, and counts it; processing continues. Use it
   * for bad input detected without throwing.
   */
  deadLetter(letter: DeadLetter): Promise<void>;
}
