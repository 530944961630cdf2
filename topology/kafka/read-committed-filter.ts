/** read_committed delivery over kafkajs batches, decided from the control markers (see `ReadCommittedFilter`). */
import type { FetchedBatch as Batch, FetchedMessage as KafkaMessage } from './port-client.js';
import { compareOffsets } from './offsets.js';
import { DETACH_ABOVE } from './kafka-records.js';
import { toRecordBlocks, type RecordBlock } from './record-block.js';
import { ByteSlabs } from './byte-slabs.js';

type RawFetchedMessage = KafkaMessage & {
  readonly isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
};

/**
 * The message with its key and value copied out of the fetch response they were decoded from. kafkajs decodes them
 * as views of the whole response buffer (up to the fetch's maxBytes, megabytes), so one record held in a task's queue
 * or waiting for its transaction marker would keep the entire response alive: measured, 200 MB of fetch buffers held
 * by a few thousand queued records. Key and value share one small allocation (Node's pool for small records).
 */
export function detach<M extends KafkaMessage>(m: M): M {
  const { key, value } = m;
  const big = (b: Buffer | null | undefined) => b != null && b.buffer.byteLength > DETACH_ABOVE;
  if (!big(key) && !big(value)) return m;
  const kl = key?.length ?? 0;
  const bytes = Buffer.allocUnsafe(kl + (value?.length ?? 0));
  if (key) key.copy(bytes, 0);
  if (value) value.copy(bytes, kl);
  return {
    ...m,
    key: key ? bytes.subarray(0, kl) : key,
    value: value ? bytes.subarray(kl) : value,
  };
}

/**
 * A record held back behind its transaction's marker, copied out of the fetch response into the partition's slabs: a
 * copy of its own in Node's 8 KiB pool (`detach`) kept a whole pool slab alive per held record — measured mid-ingest
 * with 1M waits, ~3,000–6,000 held records pinned 27–49 MB of slabs.
 */
function hold(m: KafkaMessage, slabs: ByteSlabs): KafkaMessage {
  const key = m.key == null ? m.key : slabs.own(m.key);
  const value = m.value == null ? m.value : slabs.own(m.value);
  return key === m.key && value === m.value ? m : { ...m, key, value };
}

interface Pending {
  readonly message: KafkaMessage;
  decided: boolean;
  aborted: boolean;
}

interface PartitionFilterState {
  /** The last offset taken (a record at or before it is a re-delivery); undefined before the first. */
  last: string | undefined;
  /** Records held back behind an undecided transaction, in offset order (empty in the common case). */
  readonly queue: Pending[];
  readonly open: Map<string, Pending[]>;
  /** Where held-back records' keys and values are copied (see `hold`). */
  readonly slabs: ByteSlabs;
}

/**
 * Correct read_committed filtering over kafkajs batches. kafkajs 2.2.4 drops aborted records using the fetch
 * response's aborted-transaction list as if it were sorted by first offset; the broker lists aborted transactions
 * in completion order, so when several producers' transactions are aborted out of order (a crashed instance's
 * tasks fenced one by one) whole aborted transactions leak through as if committed. This filter ignores that list
 * and decides from the control markers themselves: a transactional record is delivered once its producer's next
 * marker is a COMMIT, dropped on ABORT; records stay in offset order (later records wait behind undecided ones).
 * One filter per consumer; call `reset` whenever the consumer seeks a partition.
 *
 * Per record it allocates nothing beyond the output array's slot while nothing is held back (offsets compared as
 * strings, no queue entry); held-back records are released with one splice (a `shift()` per record was quadratic:
 * a fetch of ~20k small records spent seconds in it).
 */
export class ReadCommittedFilter {
  private readonly parts = new Map<string, PartitionFilterState>();

  /**
   * The committed data records of a fetched batch that can be delivered now, in offset order, each detached from
   * the fetch response (`detach`).
   */
  accept(batch: Batch): KafkaMessage[] {
    return this.decide(batch).map(detach);
  }

  /**
   * `accept` packed for a task's queue (`RecordBlock`s, `toRecordBlocks`): the keys and values of the batch's delivered
   * records are copied into one buffer per block of at most 1 MiB, offsets and timestamps into typed arrays; record
   * objects are made when the task takes them. No block for a batch that delivers nothing.
   */
  acceptBlocks(batch: Batch): RecordBlock[] {
    return toRecordBlocks(batch.topic, batch.partition, this.decide(batch));
  }

  /**
   * The records to deliver now. Those passing straight through are still views of the fetch response (the caller
   * detaches them); records held back behind an undecided transaction are detached when held (they outlive it).
   */
  private decide(batch: Batch): KafkaMessage[] {
    const raw = batch as unknown as { rawMessages?: RawFetchedMessage[]; fetchedOffset?: string };
    const key = `${batch.topic}/${batch.partition}`;
    let st = this.parts.get(key);
    if (!st) this.parts.set(key, (st = { last: undefined, queue: [], open: new Map(), slabs: new ByteSlabs() }));
    const from = raw.fetchedOffset ?? '0';
    const messages: readonly RawFetchedMessage[] = raw.rawMessages ?? batch.messages;
    const out: KafkaMessage[] = [];
    for (const m of messages) {
      const off = m.offset;
      if (compareOffsets(off, from) < 0 || (st.last !== undefined && compareOffsets(off, st.last) <= 0)) continue;
      st.last = off;
      const ctx = m.batchContext;
      if (m.isControlRecord) {
        // Control record key: int16 version, int16 type (0 = ABORT, 1 = COMMIT).
        const aborted = m.key ? m.key.readInt16BE(2) === 0 : false;
        for (const p of (ctx && st.open.get(ctx.producerId)) ?? []) {
          p.decided = true;
          p.aborted = aborted;
        }
        if (ctx) st.open.delete(ctx.producerId);
        // released at once: records after the marker need not queue up behind decided ones
        this.release(st, out);
        continue;
      }
      const inTransaction = ctx?.inTransaction === true;
      // Nothing held back and decided already: straight out (in order, since nothing waits before it).
      if (!inTransaction && st.queue.length === 0) {
        out.push(m);
        continue;
      }
      const p: Pending = { message: hold(m, st.slabs), decided: !inTransaction, aborted: false };
      if (inTransaction && ctx) {
        const list = st.open.get(ctx.producerId);
        if (list) list.push(p);
        else st.open.set(ctx.producerId, [p]);
      }
      st.queue.push(p);
    }
    this.release(st, out);
    return out;
  }

  /** Moves the decided records at the head of the queue to `out` (aborted ones dropped), with one splice. */
  private release(st: PartitionFilterState, out: KafkaMessage[]): void {
    const q = st.queue;
    let n = 0;
    while (n < q.length && (q[n] as Pending).decided) {
      const p = q[n] as Pending;
      if (!p.aborted) out.push(p.message);
      n++;
    }
    if (n === q.length) q.length = 0;
    else if (n > 0) q.splice(0, n);
  }

  /**
   * Offset of the first record of the partition still held back (its transaction's marker not yet seen), if any.
   * Consumers need not act on it: the seam hands them marker-only batches too, so the deciding marker reaches
   * `accept` in a later batch. For diagnostics.
   */
  firstUndecided(topic: string, partition: number): string | undefined {
    return this.parts.get(`${topic}/${partition}`)?.queue[0]?.message.offset;
  }

  /** Forgets a partition's state (after a seek, the consumer re-reads from the new offset). */
  reset(topic: string, partition: number): void {
    this.parts.delete(`${topic}/${partition}`);
  }
}
