/** The outputs a task gathered since its last commit (processor outputs, changelog writes, dead letters). */
import { outRecordBytes } from './transaction-committer.js';
import type { OutgoingRecord, RecordCollector } from './task.js';

/** Replaces an output over the limit (by its dead letter); undefined keeps it (no task to dead-letter it yet). */
export type OversizedOutput = (r: OutgoingRecord, bytes: number, limit: number) => OutgoingRecord | undefined;

export class TaskOutputBuffer implements RecordCollector {
  private records: OutgoingRecord[] = [];
  /** `outRecordBytes` of `records`. */
  private size = 0;

  /** `limit`: largest output record; a larger one is refused where it is produced, never sent. */
  constructor(
    private readonly limit: number,
    private readonly oversized: OversizedOutput,
  ) {}

  send(r: OutgoingRecord): void {
    let bytes = outRecordBytes(r);
    // one record over the broker's limit would fail every commit
    if (bytes > this.limit) {
      const replaced = this.oversized(r, bytes, this.limit);
      if (replaced) {
        r = replaced;
        bytes = outRecordBytes(r);
      }
    }
    this.records.push(r);
    this.size += bytes;
  }

  get length(): number {
    return this.records.length;
  }

  get bytes(): number {
    return this.size;
  }

  /** Takes every gathered output (they belong to the commit being made). */
  take(): OutgoingRecord[] {
    const outs = this.records;
    this.records = [];
    this.size = 0;
    return outs;
  }
}
