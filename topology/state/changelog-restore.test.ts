/**
 * Restore end detection through a fake Kafka port (issue 11, failure mode (c)): a restore ends only when every
 * partition's position reached the end offset read up front — never because fetch rounds came back empty. The fake
 * cluster spreads the changelog's partitions over three "brokers"; one leader answers nothing for many rounds while the
 * others keep answering, which is what made the old idle-round end detection declare a partition restored early.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../api/clock.js';
import type {
  BatchEnd,
  ConsumerRunOptions,
  FetchedBatch,
  FetchedMessage,
  GroupConsumer,
  KafkaAdmin,
  KafkaClient,
  PartitionEnds,
} from '../kafka/port-client.js';
import { restoreChangelogs, type ChangelogPartition } from './changelog-restore.js';
import type { RawEntry, RestoreTarget } from './restore-target.js';

/** One log entry: a data record, or an offset taken by a marker / aborted record (never delivered as a message). */
type LogEntry = { readonly key: string; readonly value: string | null } | 'hidden';

interface FakePartition {
  readonly log: readonly LogEntry[];
  readonly broker: number;
  /** Fetch rounds in which this partition's leader answers with nothing. */
  silentRounds: number;
}

const TOPIC = 'app-store-changelog';
const notUsed = (what: string) => () => {
  throw new Error(`${what} is not used by a restore`);
};

/** A cluster of one topic whose partitions live on different brokers; fetch rounds are driven by `round()`. */
class FakeCluster implements KafkaClient {
  rounds = 0;
  private consumerState: FakeConsumer | undefined;

  constructor(readonly partitions: Map<number, FakePartition>) {}

  admin(): KafkaAdmin {
    const ends = (): PartitionEnds[] =>
      [...this.partitions].map(([partition, p]) => ({
        partition,
        offset: String(p.log.length),
        high: String(p.log.length),
        low: '0',
      }));
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicOffsets: async () => ends(),
      deleteGroups: async () => undefined,
      listTopics: notUsed('listTopics'),
      createTopics: notUsed('createTopics'),
      deleteTopics: notUsed('deleteTopics'),
      fetchTopicMetadata: notUsed('fetchTopicMetadata'),
      describeConfigs: notUsed('describeConfigs'),
      fetchTopicOffsetsByTimestamp: notUsed('fetchTopicOffsetsByTimestamp'),
      fetchOffsets: notUsed('fetchOffsets'),
      describeGroupMembers: notUsed('describeGroupMembers'),
    };
  }

  consumer(): GroupConsumer {
    this.consumerState = new FakeConsumer(this);
    return this.consumerState;
  }

  producer = notUsed('producer');
  transactionalProducer = notUsed('transactionalProducer');
}

class FakeConsumer implements GroupConsumer {
  private readonly positions = new Map<number, number>();
  private readonly paused = new Set<number>();
  private readonly batchEnds: Array<(e: BatchEnd) => void> = [];
  private running = false;

  constructor(private readonly cluster: FakeCluster) {}

  connect = async () => undefined;
  subscribe = async () => undefined;
  async run(opts: ConsumerRunOptions): Promise<void> {
    this.running = true;
    void this.fetchLoop(opts);
  }
  seek(p: { topic: string; partition: number; offset: string }): void {
    this.positions.set(p.partition, Number(p.offset));
  }
  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const t of topics) for (const p of t.partitions ?? []) this.paused.add(p);
  }
  resume = notUsed('resume');
  commitOffsets = notUsed('commitOffsets');
  groupMetadata = notUsed('groupMetadata');
  async stop(): Promise<void> {
    this.running = false;
  }
  async disconnect(): Promise<void> {
    this.running = false;
  }
  onGroupJoin = () => undefined;
  onRebalancing = () => undefined;
  onCrash = () => undefined;
  onBatchEnd(listener: (e: BatchEnd) => void): void {
    this.batchEnds.push(listener);
  }

  /** One round per macrotask: each broker answers for its unpaused partitions (at most 7 entries each). */
  private async fetchLoop(opts: ConsumerRunOptions): Promise<void> {
    while (this.running) {
      await new Promise((r) => setImmediate(r));
      this.cluster.rounds++;
      for (const [partition, p] of this.cluster.partitions) {
        if (!this.running || this.paused.has(partition)) continue;
        if (p.silentRounds > 0) {
          p.silentRounds--;
          continue;
        }
        const from = this.positions.get(partition) ?? 0;
        if (from >= p.log.length) continue;
        const to = Math.min(p.log.length, from + 7);
        this.positions.set(partition, to);
        await opts.eachBatch?.(batchContext(fetched(partition, p.log, from, to)));
        for (const l of this.batchEnds) l({ topic: TOPIC, partition, lastOffset: String(to - 1) });
      }
    }
  }
}

function fetched(partition: number, log: readonly LogEntry[], from: number, to: number): FetchedBatch {
  const messages: FetchedMessage[] = [];
  for (let o = from; o < to; o++) {
    const e = log[o]!;
    if (e === 'hidden') continue;
    const value = e.value === null ? null : Buffer.from(e.value);
    messages.push({ offset: String(o), key: Buffer.from(e.key), value, timestamp: '0' });
  }
  return {
    topic: TOPIC,
    partition,
    highWatermark: String(log.length),
    messages,
    lastOffset: () => String(to - 1),
    isEmpty: () => messages.length === 0,
  };
}

function batchContext(batch: FetchedBatch) {
  return {
    batch,
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  };
}

/** A map store that records what the restore applied. */
function mapTarget(): RestoreTarget & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    async applyRestoreBatch(entries: readonly RawEntry[]) {
      for (const [k, v] of entries) {
        if (v === null) data.delete(k);
        else data.set(k, v.toString('utf8'));
      }
    },
  };
}

/** `n` puts over `keys` keys, a tombstone every 10th, markers/aborted records every 5th offset, a marker last. */
function log(n: number, keys: number, seed: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4) out.push('hidden');
    else out.push({ key: `k${(i * seed) % keys}`, value: i % 10 === 3 ? null : `v${i}` });
  }
  out.push('hidden');
  return out;
}

function expected(entries: readonly LogEntry[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) {
    if (e === 'hidden') continue;
    if (e.value === null) m.delete(e.key);
    else m.set(e.key, e.value);
  }
  return m;
}

describe('changelog restore ends only by offsets (fake three-broker port)', () => {
  it('waits for a silent leader while the other brokers keep answering, and restores every record', async () => {
    const logs = [log(300, 40, 7), log(120, 15, 3), log(500, 60, 11), log(50, 5, 1)];
    // Partition 2's leader (broker 3) answers nothing for 400 rounds; the others finish within ~75 rounds.
    const cluster = new FakeCluster(
      new Map(logs.map((l, i) => [i, { log: l, broker: (i % 3) + 1, silentRounds: i === 2 ? 400 : 0 }] as const)),
    );
    const targets = logs.map(() => mapTarget());
    // Partition 3 is not restored (paused), partition 1 from a checkpoint.
    const partitions: ChangelogPartition[] = [
      { topic: TOPIC, partition: 0, target: targets[0]! },
      { topic: TOPIC, partition: 1, startOffset: 0, target: targets[1]! },
      { topic: TOPIC, partition: 2, target: targets[2]! },
    ];
    const summary = await restoreChangelogs({
      kafka: cluster,
      groupId: 'restore-test',
      partitions,
      clock: new ManualClock(0),
    });

    expect(cluster.rounds).toBeGreaterThan(400);
    expect(summary.partitions.map((p) => [p.partition, p.endOffset, p.endReachedBy])).toEqual([
      [0, logs[0]!.length, 'offset'],
      [1, logs[1]!.length, 'offset'],
      [2, logs[2]!.length, 'offset'],
    ]);
    for (const i of [0, 1, 2]) expect(targets[i]!.data).toEqual(expected(logs[i]!));
    expect(targets[3]!.data.size).toBe(0);
    const dataRecords = [0, 1, 2].reduce((n, i) => n + logs[i]!.filter((e) => e !== 'hidden').length, 0);
    expect(summary.restored).toBe(dataRecords);
  });

  it('does not end while a partition never reaches its end; only an abort stops it', async () => {
    const cluster = new FakeCluster(
      new Map([
        [0, { log: log(40, 8, 3), broker: 1, silentRounds: 0 }],
        [1, { log: log(40, 8, 5), broker: 2, silentRounds: Number.MAX_SAFE_INTEGER }],
      ]),
    );
    const abort = new AbortController();
    const restore = restoreChangelogs({
      kafka: cluster,
      groupId: 'restore-test-2',
      partitions: [
        { topic: TOPIC, partition: 0, target: mapTarget() },
        { topic: TOPIC, partition: 1, target: mapTarget() },
      ],
      clock: new ManualClock(0),
      signal: abort.signal,
    });
    let settled = false;
    void restore.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (cluster.rounds < 2_000) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    abort.abort();
    await expect(restore).rejects.toMatchObject({ code: 'STORE_RESTORE_ABORTED' });
  });
});
