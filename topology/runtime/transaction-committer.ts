/**
 * The one exactly-once commit loop, shared by stream tasks and action connectors: begin a transaction, send the
 * outputs in size-bounded produce requests beside the input offsets, commit; on any failure abort and refuse every
 * later commit, so the owner rebuilds (new producer, state and positions from the last committed transaction).
 *
 * Why the refusal: commits may be pipelined (the owner goes on processing while one is in flight). If commit N
 * failed and commit N+1 went through, N+1's offsets would cover N's input while N's outputs were aborted: that
 * input's outputs would be lost and the input counted as done. A committer that failed once never commits again.
 */
import { RetryableError } from '../api/errors.js';
import type { TopologyCode } from '../codes.js';
import type {
  ConsumerGroupMetadata,
  KafkaTransaction,
  OutRecord,
  PartitionOffset,
  ProduceResult,
  TransactionalProducer,
} from '../kafka/port.js';

/**
 * Bytes of outputs per produce request. A client sends each partition's share of one request as one record batch,
 * which the broker rejects above `message.max.bytes` (1 MiB by default): a commit of many records bound for one
 * partition (a task's changelog, say) is split into several requests of the same transaction.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** Per-record overhead of the record format, roughly (lengths, deltas, attributes). */
const RECORD_OVERHEAD = 32;

/** A record's size in a produce request, roughly: key, value, headers and the format's per-record overhead. */
export function outRecordBytes(r: OutRecord): number {
  let n = RECORD_OVERHEAD + byteLength(r.key) + byteLength(r.value);
  const h = r.headers;
  if (h) for (const k in h) n += k.length + (h[k]?.length ?? 0) + 8;
  return n;
}

function byteLength(b: Buffer | string | null): number {
  if (b === null) return 0;
  return typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}

/**
 * Splits items, in order, into runs whose `sizeOf` adds up to at most `maxBytes` (a larger single item gets a run
 * of its own).
 */
export function splitBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes = MAX_REQUEST_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** A commit attempted after an earlier commit of the same committer failed: refused, nothing was sent. */
export class CommitAfterFailureError extends RetryableError {
  constructor(readonly first: unknown) {
    super(
      'COMMIT_AFTER_FAILURE' satisfies TopologyCode,
      `an earlier transaction of this producer failed (${first instanceof Error ? first.message : String(first)}); ` +
        'rebuild from the last committed transaction before committing again',
      { cause: first },
    );
  }
}

export interface TransactionCommitterOptions {
  /** Connected (fenced) already by the owner. */
  readonly producer: TransactionalProducer;
  /** Consumer group whose offsets commit with the outputs. */
  readonly groupId: string;
  readonly maxRequestBytes?: number;
}

export interface CommitInput {
  readonly records: readonly OutRecord[];
  readonly offsets: readonly PartitionOffset[];
  /** The group membership the offsets are committed under (fencing, KIP-447); none: not checked. */
  readonly membership?: ConsumerGroupMetadata;
}

/** One produce request of a commit: its records, in order, and where the broker put them. */
export interface SentRequest {
  readonly records: readonly OutRecord[];
  readonly results: readonly ProduceResult[];
}

/**
 * Bytes of one produce request over all its partitions. The broker takes requests up to `socket.request.max.bytes`
 * (100 MiB by default); the limit that matters is per partition (one record batch each, `message.max.bytes`).
 */
export const MAX_REQUEST_TOTAL_BYTES = 8 * 1024 * 1024;

/**
 * Splits records, in order, into produce requests holding at most `maxPartitionBytes` for any one partition (records
 * without a partition count together per topic) and `maxTotalBytes` in all. A transaction spanning many partitions
 * (one per process, shared-transactions.ts) goes out in one or a few round trips instead of one per
 * `maxPartitionBytes`: a transactional producer has one request in flight at a time.
 */
export function splitForRequests(
  records: readonly OutRecord[],
  maxPartitionBytes = MAX_REQUEST_BYTES,
  maxTotalBytes = Math.max(maxPartitionBytes, MAX_REQUEST_TOTAL_BYTES),
): OutRecord[][] {
  const chunks: OutRecord[][] = [];
  let current: OutRecord[] = [];
  let total = 0;
  let perPartition = new Map<string, number>();
  for (const r of records) {
    const size = outRecordBytes(r);
    const key = r.partition === undefined ? r.topic : `${r.topic}\u0000${r.partition}`;
    const inPartition = perPartition.get(key) ?? 0;
    if (current.length > 0 && (inPartition + size > maxPartitionBytes || total + size > maxTotalBytes)) {
      chunks.push(current);
      current = [];
      total = 0;
      perPartition = new Map();
    }
    current.push(r);
    total += size;
    perPartition.set(key, (perPartition.get(key) ?? 0) + size);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Sends `records` in a transaction, in order, in produce requests of at most `maxBytes` per partition (see
 * `splitForRequests`), one after the other.
 */
export async function sendInRequests(
  txn: KafkaTransaction,
  records: readonly OutRecord[],
  maxBytes?: number,
): Promise<SentRequest[]> {
  const sent: SentRequest[] = [];
  for (const chunk of splitForRequests(records, maxBytes))
    sent.push({ records: chunk, results: await txn.send(chunk) });
  return sent;
}

export class TransactionCommitter {
  private failure: { readonly err: unknown } | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: TransactionCommitterOptions) {}

  /** The first commit failure, if any: from then on every commit is refused. */
  get failed(): { readonly err: unknown } | undefined {
    return this.failure;
  }

  /**
   * Commits `records` and `offsets` in one transaction, after every commit called before it has settled. Resolves
   * with each produce request's records and results; rejects with the failure (the transaction was aborted) or with
   * `CommitAfterFailureError` when an earlier commit failed.
   */
  commit(input: CommitInput): Promise<SentRequest[]> {
    const run = this.tail.then(() => this.commitNow(input));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async commitNow(input: CommitInput): Promise<SentRequest[]> {
    if (this.failure) throw new CommitAfterFailureError(this.failure.err);
    if (input.records.length === 0 && input.offsets.length === 0) return [];
    let txn: KafkaTransaction | undefined;
    try {
      txn = await this.opts.producer.begin();
      // Outputs and offsets go out side by side: two broker round trips less per commit than one after the other.
      // Both must settle before the transaction ends.
      const [sent, offsets] = await Promise.allSettled([
        sendInRequests(txn, input.records, this.opts.maxRequestBytes),
        input.offsets.length ? txn.sendOffsets(this.opts.groupId, input.offsets, input.membership) : Promise.resolve(),
      ]);
      if (sent.status === 'rejected') throw sent.reason;
      if (offsets.status === 'rejected') throw offsets.reason;
      await txn.commit();
      return sent.value;
    } catch (err) {
      this.failure ??= { err };
      await txn?.abort().catch(() => undefined);
      throw err;
    }
  }
}
