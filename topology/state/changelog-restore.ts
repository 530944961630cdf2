/**
 * Restores state stores from their compacted changelog partitions (through kafka-client.ts only).
 *
 * kafkajs has no manual partition assignment, so a restore uses a throwaway consumer group (the caller's unique
 * `groupId`; it commits nothing and is deleted afterwards): its lone member gets every partition of the changelog
 * topics, pauses those it does not restore and seeks the others to their start offsets before the first fetch. Records are read under `read_committed` up to the partition's last stable
 * offset taken at the start (the end a Kafka Streams restore uses). Transaction markers and aborted records take
 * offsets but are never delivered as messages, so progress is tracked from kafkajs' per-batch `lastOffset`
 * (END_BATCH_PROCESS events, which also fire for batches holding only markers), never from the last message seen.
 *
 * Call it after the task's transactional producer has been initialised (which fences a zombie's open
 * transaction), and while nothing else writes the target stores.
 */
import type { Consumer, EachBatchPayload, KafkaClient } from '../kafka/kafka-client.js';
import type { Clock } from '../api/clock.js';
import type { RawEntry, RestoreTarget } from './restore-target.js';
import { StateStoreError } from './store-errors.js';
import { retryKafka } from '../kafka/kafka-retry.js';

export interface ChangelogPartition {
  readonly topic: string;
  readonly partition: number;
  /** First offset to restore (from the checkpoint); undefined = the earliest offset of the partition. */
  readonly startOffset?: number;
  readonly target: RestoreTarget;
}

export interface RestoreProgress {
  readonly topic: string;
  readonly partition: number;
  /** Changelog records applied so far for this partition. */
  readonly restored: number;
  /** Offsets left up to `endOffset` (includes transaction markers and compacted gaps). */
  readonly remaining: number;
  /** Records applied per second for this partition since the restore began. */
  readonly recordsPerSecond: number;
  readonly position: number;
  readonly endOffset: number;
  readonly done: boolean;
}

export interface PartitionRestoreSummary {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  /** Last stable offset at the start: the restored stores hold exactly the changelog below it. */
  readonly endOffset: number;
  readonly restored: number;
  /** `offset`: the position reached `endOffset`; `none`: nothing to read. Nothing else ends a restore. */
  readonly endReachedBy: 'offset' | 'none';
}

export interface RestoreSummary {
  readonly partitions: readonly PartitionRestoreSummary[];
  readonly restored: number;
  readonly durationMs: number;
  readonly recordsPerSecond: number;
  /** Problems that did not affect the restored data (e.g. the throwaway group could not be deleted). */
  readonly warnings: readonly string[];
}

export interface RestoreOptions {
  readonly kafka: KafkaClient;
  /** A consumer group id used by no one else (e.g. `<appId>-restore-<taskId>-<instance>`); deleted afterwards. */
  readonly groupId: string;
  readonly partitions: readonly ChangelogPartition[];
  readonly clock: Clock;
  /** Called at most every `progressIntervalMs` per partition, and once when a partition is done. */
  readonly onProgress?: (p: RestoreProgress) => void;
  readonly progressIntervalMs?: number;
  /** Aborting rejects with `STORE_RESTORE_ABORTED` (e.g. the task was revoked or the process is stopping). */
  readonly signal?: AbortSignal;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly target: RestoreTarget;
  readonly start: number;
  readonly end: number;
  position: number;
  restored: number;
  lastReport: number;
  done: boolean;
  endReachedBy: 'offset' | 'none';
}

/** Restores every given changelog partition to its current end; resolves with a summary. See the file comment. */
export async function restoreChangelogs(opts: RestoreOptions): Promise<RestoreSummary> {
  const t0 = opts.clock.now();
  opts.signal?.throwIfAborted();
  const warnings: string[] = [];
  let states: PartitionState[] = [];
  let joined = false;
  try {
    const plan = await planRestore(opts);
    states = plan.states;
    joined = states.some((s) => !s.done);
    if (joined) await consumeUntilEnd(opts, plan, t0);
    for (const s of states) if (s.restored > 0) await s.target.endRestore?.();
  } finally {
    if (joined) await deleteGroup(opts, warnings);
  }
  const durationMs = opts.clock.now() - t0;
  const restored = states.reduce((n, s) => n + s.restored, 0);
  return {
    partitions: states.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      startOffset: s.start,
      endOffset: s.end,
      restored: s.restored,
      endReachedBy: s.endReachedBy,
    })),
    restored,
    durationMs,
    recordsPerSecond: durationMs > 0 ? (restored * 1000) / durationMs : restored,
    warnings,
  };
}

/** One partition; see `restoreChangelogs`. */
export function restoreChangelog(
  opts: Omit<RestoreOptions, 'partitions'> & ChangelogPartition,
): Promise<RestoreSummary> {
  const { topic, partition, startOffset, target, ...rest } = opts;
  const p: ChangelogPartition =
    startOffset === undefined ? { topic, partition, target } : { topic, partition, startOffset, target };
  return restoreChangelogs({ ...rest, partitions: [p] });
}

interface Plan {
  readonly states: PartitionState[];
  /** Partitions of the subscribed topics that must not be fetched. */
  readonly idle: Array<{ topic: string; partitions: number[] }>;
}

type RestoreAdmin = ReturnType<RestoreOptions['kafka']['admin']>;

/**
 * A changelog's offsets. A leader moving (or just elected, for a topic created a moment ago) answers
 * NOT_LEADER_FOR_PARTITION and the like, which kafkajs' admin passes on without a metadata refresh: those are retried
 * here after refreshing the topic's metadata (0.1 s doubling to 1 s, 12 calls, ~8 s) instead of failing the task.
 */
export function offsetsOf(
  admin: Pick<RestoreAdmin, 'fetchTopicOffsets' | 'fetchTopicMetadata'>,
  topic: string,
  sleep?: (ms: number) => Promise<void>,
) {
  let failed = false;
  return retryKafka(
    async () => {
      if (failed) await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      failed = true;
      return admin.fetchTopicOffsets(topic);
    },
    { attempts: 12, delayMs: (n) => Math.min(100 * 2 ** (n - 1), 1_000), ...(sleep ? { sleep } : {}) },
  );
}

/** Reads each partition's earliest and last stable (read_committed) offset. */
async function planRestore(opts: RestoreOptions): Promise<Plan> {
  const admin = opts.kafka.admin();
  await admin.connect();
  try {
    const topics = [...new Set(opts.partitions.map((p) => p.topic))];
    const states: PartitionState[] = [];
    const idle: Plan['idle'] = [];
    for (const topic of topics) {
      const offsets = await offsetsOf(admin, topic);
      const unwanted: number[] = [];
      idle.push({ topic, partitions: unwanted });
      for (const o of offsets) {
        const low = Number(o.low);
        const end = Number(o.high);
        const wanted = opts.partitions.find((p) => p.topic === topic && p.partition === o.partition);
        if (!wanted) {
          unwanted.push(o.partition);
          continue;
        }
        const start = Math.max(wanted.startOffset ?? low, low);
        if (start > end) {
          throw new StateStoreError(
            'STORE_CHECKPOINT_INVALID',
            `checkpoint offset ${start} of ${topic}-${o.partition} is beyond the changelog end ${end}`,
          );
        }
        const done = start >= end;
        if (done) unwanted.push(o.partition);
        const base = { ...wanted, start, end, position: start, restored: 0, lastReport: 0 };
        states.push({ ...base, done, endReachedBy: 'none' });
      }
    }
    // Summaries follow the caller's order.
    const ordered = opts.partitions.map((p) => {
      const state = states.find((s) => s.topic === p.topic && s.partition === p.partition);
      if (state) return state;
      throw new StateStoreError('STORE_RESTORE_FAILED', `changelog partition ${p.topic}-${p.partition} does not exist`);
    });
    return { states: ordered, idle };
  } catch (err) {
    throw asRestoreError(err, 'planning the restore');
  } finally {
    await admin.disconnect();
  }
}

async function consumeUntilEnd(opts: RestoreOptions, { states, idle }: Plan, t0: number): Promise<void> {
  const byKey = new Map(states.map((s) => [`${s.topic}\u0000${s.partition}`, s]));
  const find = (topic: string, partition: number) => byKey.get(`${topic}\u0000${partition}`);
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 250,
  });
  const finished = settledFromOutside();
  const advance = positionTracker(opts, states, t0, finished.resolve);
  const onAbort = () => finished.reject(new StateStoreError('STORE_RESTORE_ABORTED', 'changelog restore aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  consumer.onBatchEnd((e) => {
    const s = find(e.topic, e.partition);
    if (s) advance(s, Number(e.lastOffset) + 1);
  });
  consumer.onCrash((e) => finished.reject(asRestoreError(e.error, 'consuming the changelog')));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(states.map((s) => s.topic))], fromBeginning: true });
    runApplying(consumer, find, finished.reject);
    consumer.pause(idle.filter((t) => t.partitions.length > 0));
    for (const s of states)
      if (!s.done) consumer.seek({ topic: s.topic, partition: s.partition, offset: String(s.start) });
    await finished.promise;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect();
  }
}

/** A promise settled by its holder; observed at once, so an early failure is not an unhandled rejection. */
function settledFromOutside(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  void promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Moves a partition's position forward. A partition is done only when its position reached the end offset taken
 * up front: never because fetches came back empty for a while (with several brokers, fetches of other brokers'
 * partitions made that look like the end, and the checkpoint then claimed an end the store had not reached).
 * Batches holding only transaction markers or aborted records advance the position too (kafkajs reports their
 * last offset). `allDone` is called once every partition is done.
 */
function positionTracker(
  opts: RestoreOptions,
  states: readonly PartitionState[],
  t0: number,
  allDone: () => void,
): (s: PartitionState, nextOffset: number) => void {
  return (s, nextOffset) => {
    if (s.done) return;
    if (nextOffset > s.position) s.position = nextOffset;
    if (s.position >= s.end) {
      s.done = true;
      s.endReachedBy = 'offset';
      report(opts, s, t0, true);
      if (states.every((x) => x.done)) allDone();
    } else report(opts, s, t0, false);
  };
}

/**
 * Starts the restore consumer applying batches. Not awaited: `run` creates the consumer group synchronously, so
 * pausing and seeking right after is in place before the first fetch (kafkajs' own admin.setOffsets relies on the
 * same order).
 */
function runApplying(
  consumer: Consumer,
  find: (topic: string, partition: number) => PartitionState | undefined,
  fail: (err: unknown) => void,
): void {
  let failed = false;
  consumer
    .run({
      autoCommit: false,
      eachBatch: async (payload) => {
        try {
          if (!failed) await applyBatch(payload, find(payload.batch.topic, payload.batch.partition));
        } catch (err) {
          // Not rethrown: kafkajs would retry the batch; the restore fails and the consumer is disconnected.
          failed = true;
          fail(asRestoreError(err, 'applying changelog records'));
        }
      },
    })
    .catch((err: unknown) => fail(asRestoreError(err, 'joining the restore group')));
}

async function applyBatch({ batch }: EachBatchPayload, s: PartitionState | undefined): Promise<void> {
  if (!s || s.done) return;
  const entries: RawEntry[] = [];
  for (const m of batch.messages) {
    if (Number(m.offset) >= s.end) break;
    if (m.key === null) {
      throw new StateStoreError(
        'STORE_CHANGELOG_INVALID',
        `changelog record ${s.topic}-${s.partition}@${m.offset} has no key`,
      );
    }
    entries.push([m.key.toString('utf8'), m.value]);
  }
  if (entries.length > 0) await s.target.applyRestoreBatch(entries);
  s.restored += entries.length;
}

function report(opts: RestoreOptions, s: PartitionState, t0: number, final: boolean): void {
  if (!opts.onProgress) return;
  const now = opts.clock.now();
  if (!final && now - s.lastReport < (opts.progressIntervalMs ?? 1000)) return;
  s.lastReport = now;
  const elapsed = now - t0;
  opts.onProgress({
    topic: s.topic,
    partition: s.partition,
    restored: s.restored,
    remaining: Math.max(0, s.end - s.position),
    recordsPerSecond: elapsed > 0 ? (s.restored * 1000) / elapsed : s.restored,
    position: s.position,
    endOffset: s.end,
    done: final,
  });
}

/** Deletes the throwaway group; a failure is reported as a warning, it must not hide the restore's outcome. */
async function deleteGroup(opts: RestoreOptions, warnings: string[]): Promise<void> {
  const admin = opts.kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([opts.groupId]);
  } catch (err) {
    warnings.push(
      `could not delete restore group ${opts.groupId}: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    await admin.disconnect();
  }
}

function asRestoreError(err: unknown, during: string): StateStoreError {
  if (err instanceof StateStoreError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StateStoreError('STORE_RESTORE_FAILED', `changelog restore failed while ${during}: ${msg}`, err);
}
