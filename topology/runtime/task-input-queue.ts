/**
 * A task's input queue: the records fetched for its partitions and not yet processed, the next offset expected per
 * topic (re-deliveries after a seek or rebalance are dropped), and flow control — fetching pauses when the queue is
 * over its length or byte limit, or while a processor asked to retry a record later.
 */
import type { RawRecord } from '../api/record.js';
import { compareOffsets, nextOffset } from '../kafka/offsets.js';
import type { ConsumerPort } from './task-runner-options.js';

export interface TaskInputQueueOptions {
  readonly consumer: ConsumerPort;
  readonly partition: number;
  readonly inputs: readonly string[];
  /** Queue length above which the task's input partitions are paused. */
  readonly maxQueued: number;
  /** Queued key + value bytes above which they are paused (default: no byte limit). */
  readonly maxQueuedBytes?: number;
}

/**
 * Where an input topic's partition stands: the offset it was sought to and the last offset taken since. Offsets stay
 * the decimal strings kafkajs hands out (no BigInt per record).
 */
interface InputPosition {
  readonly from: string;
  last: string | undefined;
}

export class TaskInputQueue {
  private records: RawRecord[] = [];
  /** Index of the first queued record in `records` (taken ones before it are dropped in bulk). */
  private head = 0;
  /** Key and value bytes of the queued records. */
  private bytes = 0;
  private readonly inputs = new Map<string, InputPosition>();
  /** Last high watermark seen per input topic (decimal string). */
  readonly highWatermarks = new Map<string, string>();
  private readonly paused = new Set<string>();
  /** A processor asked to retry a record later (RetryLaterError): the inputs stay paused until one goes through. */
  private waitingFlag = false;

  constructor(private readonly opts: TaskInputQueueOptions) {}

  get length(): number {
    return this.records.length - this.head;
  }

  get waiting(): boolean {
    return this.waitingFlag;
  }

  /** Starts `topic` at `offset`: the consumer seeks there and fetching resumes. */
  seek(topic: string, offset: string): void {
    this.inputs.set(topic, { from: offset, last: undefined });
    this.opts.consumer.seek(topic, this.opts.partition, offset);
    this.opts.consumer.resume(topic, this.opts.partition);
  }

  /** Next offset to accept for `topic` (undefined before its first seek). */
  expected(topic: string): string | undefined {
    const p = this.inputs.get(topic);
    return p === undefined ? undefined : p.last === undefined ? p.from : nextOffset(p.last);
  }

  /** Next offset to accept per input topic that has started. */
  expectedOffsets(): Array<[string, string]> {
    return [...this.inputs.keys()].map((t) => [t, this.expected(t) as string]);
  }

  /** Queues a fetched record; false when it was already taken (a re-delivery) or its topic has not started. */
  offer(raw: RawRecord, highWatermark?: string): boolean {
    if (highWatermark !== undefined) this.highWatermarks.set(raw.topic, highWatermark);
    const p = this.inputs.get(raw.topic);
    if (p === undefined) return false;
    if (p.last === undefined ? compareOffsets(raw.offset, p.from) < 0 : compareOffsets(raw.offset, p.last) <= 0)
      return false;
    p.last = raw.offset;
    this.records.push(raw);
    this.bytes += queuedBytes(raw);
    if (this.full() && !this.paused.has(raw.topic)) {
      this.paused.add(raw.topic);
      this.opts.consumer.pause(raw.topic, this.opts.partition);
    }
    return true;
  }

  /**
   * Takes up to `max` records from the head. Taken records leave the queue's array in bulk (by index, with a splice
   * now and then), never a shift per record.
   */
  take(max: number): RawRecord[] {
    const end = Math.min(this.records.length, this.head + max);
    const batch = this.records.slice(this.head, end);
    for (const r of batch) this.bytes -= queuedBytes(r);
    this.head = end;
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    } else if (this.head >= 4_096) {
      this.records.splice(0, this.head);
      this.head = 0;
    }
    return batch;
  }

  /**
   * A processor cannot handle `rest[0]` yet: the records go back to the head and fetching pauses until a record
   * goes through (`endWait`). True when the wait starts now.
   */
  waitWith(rest: readonly RawRecord[]): boolean {
    this.records = [...rest, ...this.records.slice(this.head)];
    this.head = 0;
    for (const r of rest) this.bytes += queuedBytes(r);
    if (this.waitingFlag) return false;
    this.waitingFlag = true;
    for (const t of this.opts.inputs) {
      if (this.paused.has(t)) continue;
      this.paused.add(t);
      this.opts.consumer.pause(t, this.opts.partition);
    }
    return true;
  }

  /** A record went through after a wait: fetching resumes (unless the queue itself is still over its limit). */
  endWait(): void {
    this.waitingFlag = false;
    this.resumeIfDrained();
  }

  /** Over the queue's length or byte limit: fetching pauses until the queue is down to half of both. */
  private full(): boolean {
    return this.length > this.opts.maxQueued || this.bytes > (this.opts.maxQueuedBytes ?? Infinity);
  }

  resumeIfDrained(): void {
    if (this.waitingFlag || this.paused.size === 0 || this.length > this.opts.maxQueued / 2) return;
    if (this.bytes > (this.opts.maxQueuedBytes ?? Infinity) / 2) return;
    this.resumeAll();
  }

  /** Drops the queued records and resumes every paused partition; true when a wait was in progress. */
  clear(): boolean {
    this.records = [];
    this.head = 0;
    this.bytes = 0;
    const wasWaiting = this.waitingFlag;
    this.waitingFlag = false;
    this.resumeAll();
    return wasWaiting;
  }

  private resumeAll(): void {
    for (const t of this.paused) this.opts.consumer.resume(t, this.opts.partition);
    this.paused.clear();
  }
}

/** A queued record's weight for the byte limit: its key and value (what grows with the events' size). */
function queuedBytes(r: RawRecord): number {
  return (r.key?.length ?? 0) + (r.value?.length ?? 0);
}
