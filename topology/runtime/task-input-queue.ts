/**
 * A task's input queue: the records fetched for its partitions and not yet processed, the next offset expected per
 * topic (re-deliveries after a seek or rebalance are dropped), and flow control — fetching pauses when the queue is
 * over its length or byte limit, or while a processor asked to retry a record later.
 */
import type { RawRecord } from '../api/record.js';
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

export class TaskInputQueue {
  private readonly records: RawRecord[] = [];
  /** Key and value bytes of the records in `records`. */
  private bytes = 0;
  /** Next offset to accept per input topic. */
  readonly expected = new Map<string, bigint>();
  readonly highWatermarks = new Map<string, bigint>();
  private readonly paused = new Set<string>();
  /** A processor asked to retry a record later (RetryLaterError): the inputs stay paused until one goes through. */
  private waitingFlag = false;

  constructor(private readonly opts: TaskInputQueueOptions) {}

  get length(): number {
    return this.records.length;
  }

  get waiting(): boolean {
    return this.waitingFlag;
  }

  /** Starts `topic` at `offset`: the consumer seeks there and fetching resumes. */
  seek(topic: string, offset: string): void {
    this.expected.set(topic, BigInt(offset));
    this.opts.consumer.seek(topic, this.opts.partition, offset);
    this.opts.consumer.resume(topic, this.opts.partition);
  }

  /** Queues a fetched record; false when it was already taken (a re-delivery) or its topic has not started. */
  offer(raw: RawRecord, highWatermark?: string): boolean {
    if (highWatermark !== undefined) this.highWatermarks.set(raw.topic, BigInt(highWatermark));
    const off = BigInt(raw.offset);
    const exp = this.expected.get(raw.topic);
    if (exp === undefined || off < exp) return false;
    this.expected.set(raw.topic, off + 1n);
    this.records.push(raw);
    this.bytes += queuedBytes(raw);
    if (this.full() && !this.paused.has(raw.topic)) {
      this.paused.add(raw.topic);
      this.opts.consumer.pause(raw.topic, this.opts.partition);
    }
    return true;
  }

  /** Takes up to `max` records from the head. */
  take(max: number): RawRecord[] {
    const batch = this.records.splice(0, max);
    for (const r of batch) this.bytes -= queuedBytes(r);
    return batch;
  }

  /**
   * A processor cannot handle `rest[0]` yet: the records go back to the head and fetching pauses until a record
   * goes through (`endWait`). True when the wait starts now.
   */
  waitWith(rest: readonly RawRecord[]): boolean {
    this.records.unshift(...rest);
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
    return this.records.length > this.opts.maxQueued || this.bytes > (this.opts.maxQueuedBytes ?? Infinity);
  }

  resumeIfDrained(): void {
    if (this.waitingFlag || this.paused.size === 0 || this.records.length > this.opts.maxQueued / 2) return;
    if (this.bytes > (this.opts.maxQueuedBytes ?? Infinity) / 2) return;
    this.resumeAll();
  }

  /** Drops the queued records and resumes every paused partition; true when a wait was in progress. */
  clear(): boolean {
    this.records.length = 0;
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
