/**
 * A task's input queue: the records fetched for its partitions and not yet processed, the next offset expected per
 * topic (re-deliveries after a seek or rebalance are dropped), and flow control — fetching pauses when the queue is
 * over its length or byte limit, or while a processor asked to retry a record later. Fetched batches are queued
 * packed (`RecordBlock`); a record object is made when the task takes the record.
 */
import type { RawRecord } from '../api/record.js';
import { compareOffsets, nextOffset } from '../kafka/offsets.js';
import { ArrayRun, type RecordBlock, type RecordRun } from '../kafka/record-block.js';
import type { ConsumerPort } from './task-runner-options.js';

export interface TaskInputQueueOptions {
  readonly consumer: ConsumerPort;
  readonly partition: number;
  readonly inputs: readonly string[];
  /** Queue length above which the task's input partitions are paused. */
  readonly maxQueued: number;
  /** Queued key + value bytes above which they are paused (default: no byte limit). */
  readonly maxQueuedBytes?: number | undefined;
}

/**
 * Where an input topic's partition stands: the offset it was sought to and the last offset taken since. Offsets stay
 * the decimal strings kafkajs hands out (no BigInt per record).
 */
interface InputPosition {
  readonly from: string;
  last: string | undefined;
}

/** A queued run of records and the index of its next record to take. */
interface Queued {
  readonly run: RecordRun;
  next: number;
}

/**
 * What a drained run's slot holds until the slots before `head` are dropped in bulk: the run's block must not stay
 * reachable from there. A backlogged task's queue rarely empties, and each drained slot kept a fetched block alive
 * (~1–5 MB decompressed) until 1,024 of them piled up: measured mid-ingest with 1M waits, 180 blocks (278 MB) in
 * the tasks' queues, most of them already taken.
 */
const DRAINED: Queued = { run: new ArrayRun([]), next: 0 };

export class TaskInputQueue {
  private runs: Queued[] = [];
  /** Index of the first run in `runs` with records left (drained ones before it are dropped in bulk). */
  private head = 0;
  private count = 0;
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
    return this.count;
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

  /**
   * Queues the records of a fetched batch that were not taken yet (a re-delivered head is skipped, as is a topic that
   * has not started); false when none was queued.
   */
  offerBlock(block: RecordBlock, highWatermark?: string): boolean {
    let from = 0;
    while (from < block.length && !this.accepts(block.topic, block.offset(from), highWatermark)) from++;
    if (from === block.length) return false;
    const p = this.inputs.get(block.topic) as InputPosition;
    p.last = block.offset(block.length - 1);
    this.runs.push({ run: block, next: from });
    let bytes = 0;
    for (let i = from; i < block.length; i++) bytes += block.bytesOf(i);
    this.added(block.topic, block.length - from, bytes);
    return true;
  }

  /** Whether a record at `offset` of `topic` is new (then it is taken as the topic's last). */
  private accepts(topic: string, offset: string, highWatermark: string | undefined): boolean {
    if (highWatermark !== undefined) this.highWatermarks.set(topic, highWatermark);
    const p = this.inputs.get(topic);
    if (p === undefined) return false;
    if (p.last === undefined ? compareOffsets(offset, p.from) < 0 : compareOffsets(offset, p.last) <= 0) return false;
    p.last = offset;
    return true;
  }

  private added(topic: string, n: number, bytes: number): void {
    this.count += n;
    this.bytes += bytes;
    if (this.full() && !this.paused.has(topic)) {
      this.paused.add(topic);
      this.opts.consumer.pause(topic, this.opts.partition);
    }
  }

  /** Takes up to `max` records from the head (runs drained leave the queue in bulk, never a shift per run). */
  take(max: number): RawRecord[] {
    const out: RawRecord[] = [];
    while (out.length < max && this.head < this.runs.length) {
      const q = this.runs[this.head] as Queued;
      const end = Math.min(q.run.length, q.next + max - out.length);
      for (let i = q.next; i < end; i++) {
        out.push(q.run.record(i));
        this.bytes -= q.run.bytesOf(i);
      }
      q.next = end;
      if (end === q.run.length) this.runs[this.head++] = DRAINED;
    }
    this.count -= out.length;
    if (this.head === this.runs.length) {
      this.runs = [];
      this.head = 0;
    } else if (this.head >= 1_024) {
      this.runs.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /**
   * A processor cannot handle `rest[0]` yet: the records go back to the head and fetching pauses until a record
   * goes through (`endWait`). True when the wait starts now.
   */
  waitWith(rest: readonly RawRecord[]): boolean {
    if (rest.length > 0) {
      this.runs = [{ run: new ArrayRun([...rest]), next: 0 }, ...this.runs.slice(this.head)];
      this.head = 0;
      this.count += rest.length;
      for (const r of rest) this.bytes += queuedBytes(r);
    }
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
    this.runs = [];
    this.head = 0;
    this.count = 0;
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
