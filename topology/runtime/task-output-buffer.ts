/** The outputs a task gathered since its last commit (processor outputs, changelog writes, dead letters). */
import { outRecordBytes } from './transaction-committer.js';
import type { OutgoingRecord, RecordCollector } from './task.js';

/** Replaces an output over the limit (by its dead letter); undefined keeps it (no task to dead-letter it yet). */
export type OversizedOutput = (r: OutgoingRecord, bytes: number, limit: number) => OutgoingRecord | undefined;

/** Keys and values up to this size that are views of a larger allocation are copied into the buffer's slabs. */
const SLAB_VALUE_MAX = 4 * 1024;
const SLAB_BYTES = 64 * 1024;

export class TaskOutputBuffer implements RecordCollector {
  private records: OutgoingRecord[] = [];
  /** `outRecordBytes` of `records`. */
  private size = 0;
  /**
   * Where small keys and values are copied, and the next free byte. Serialized keys and values are mostly views of
   * Node's shared 8 KiB allocation pool, and an output lives until its commit is sent — while the rest of the pool
   * slab is garbage: measured mid-ingest with 1M waits, ~18,000 outputs (in the buffers, the shared transaction's
   * queue and the produce requests) held ~330 MB of 8 KiB slabs for a few MB of records. Copied, the outputs of a
   * commit share a few slabs of their own, which go when the commit's records do. Slabs are append-only, so a view
   * handed out stays valid.
   */
  private slab: Buffer | undefined;
  private slabAt = 0;

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
    const key = this.owned(r.key);
    const value = this.owned(r.value);
    if (key !== r.key || value !== r.value) r = { ...r, key, value };
    this.records.push(r);
    this.size += bytes;
  }

  /**
   * `b` itself when it is (about) all of its allocation; else a copy: in the buffer's current slab when small, of its
   * own when large (a view of a fetched block, forwarded as it came, would keep the whole block).
   */
  private owned(b: Buffer | null): Buffer | null {
    if (b === null || b.buffer.byteLength <= 2 * b.length) return b;
    if (b.length > SLAB_VALUE_MAX) {
      const own = Buffer.allocUnsafeSlow(b.length);
      b.copy(own);
      return own;
    }
    if (this.slab === undefined || this.slabAt + b.length > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabAt = 0;
    }
    const at = this.slabAt;
    b.copy(this.slab, at);
    this.slabAt = at + b.length;
    return this.slab.subarray(at, this.slabAt);
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
