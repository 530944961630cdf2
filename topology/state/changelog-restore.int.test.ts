// Changelog restore against the real broker: transactional changelog writes (committed, overwritten, deleted and
// aborted records), restored into fresh RocksDB stores under read_committed; checkpoint restores read the tail only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaJsProducer as Producer, Message } from '../kafka/kafka-client.js';
import { brokerSuite, createTopics, uniqueName } from '../testing/index.js';
import { SystemClock } from '../api/clock.js';
import { jsonSerde } from '../api/store.js';
import { openRocksDbStore, type RocksDbKeyValueStore } from './rocksdb-store.js';
import { storeDirectory } from './state-dir.js';
import { restoreChangelog, restoreChangelogs, type RestoreProgress } from './changelog-restore.js';
import { StateStoreError } from './store-errors.js';

const { kafka, admin } = brokerSuite('changelog-restore-test');
const clock = new SystemClock();
let stateDir: string;
const producers: Producer[] = [];
const stores: Array<RocksDbKeyValueStore<unknown>> = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'jo-restore-'));
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await Promise.all(producers.map((p) => p.disconnect()));
  await rm(stateDir, { recursive: true, force: true });
});

async function changelogTopic(partitions: number): Promise<string> {
  const topic = uniqueName('t-changelog');
  await createTopics(admin, [{ name: topic, partitions, compact: true }]);
  return topic;
}

async function txProducer(): Promise<Producer> {
  const p = kafka.producer({ transactionalId: uniqueName('tx-changelog'), idempotent: true, maxInFlightRequests: 1 });
  producers.push(p);
  await p.connect();
  return p;
}

/** Writes `messages` in one transaction and commits (or aborts) it. */
async function inTransaction(p: Producer, topic: string, messages: Message[], commit = true): Promise<void> {
  const tx = await p.transaction();
  await tx.send({ topic, messages });
  if (commit) await tx.commit();
  else await tx.abort();
}

async function freshStore(name: string): Promise<RocksDbKeyValueStore<number>> {
  const s = await openRocksDbStore<number>({
    name,
    directory: storeDirectory(stateDir, uniqueName('task'), name),
    serde: jsonSerde<number>(),
  });
  stores.push(s);
  return s;
}

async function contents(s: RocksDbKeyValueStore<number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const [k, v] of s.all()) out.set(k, v);
  return out;
}

/** Restores one changelog partition through a consumer group of its own (a new group id each call). */
function restore(opts: Omit<Parameters<typeof restoreChangelog>[0], 'kafka' | 'clock' | 'groupId'>) {
  return restoreChangelog({ kafka, clock, groupId: uniqueName('g-restore'), ...opts });
}

/** Writes `count` changes to one partition in transactions of 100, mirroring them in `expected`. */
async function writeChanges(
  p: Producer,
  topic: string,
  partition: number,
  count: number,
  expected: Map<string, number>,
  seed: number,
): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const batch: Message[] = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      const key = `k${(j * 31 + seed) % 700}`;
      if (j % 9 === 0) {
        batch.push({ key, value: null, partition });
        expected.delete(key);
      } else {
        batch.push({ key, value: JSON.stringify(j + seed), partition });
        expected.set(key, j + seed);
      }
    }
    await inTransaction(p, topic, batch);
  }
}

describe('restoreChangelog (real broker)', () => {
  it('restores committed changes (overwrites, tombstones) and ignores aborted ones, ending after an abort marker', async () => {
    const topic = await changelogTopic(1);
    const p = await txProducer();
    const expected = new Map<string, number>();
    await writeChanges(p, topic, 0, 2_000, expected, 0);
    await inTransaction(
      p,
      topic,
      [
        { key: 'k1', value: '-1', partition: 0 },
        { key: 'aborted-only', value: '1', partition: 0 },
      ],
      false,
    );
    const store = await freshStore('counts');
    const progress: RestoreProgress[] = [];
    const groupId = uniqueName('g-restore');
    const summary = await restoreChangelog({
      kafka,
      clock,
      groupId,
      topic,
      partition: 0,
      target: store,
      onProgress: (e) => progress.push(e),
    });
    expect(await contents(store)).toEqual(expected);
    expect(store.approximateCount()).toBe(expected.size);
    expect(summary.restored).toBe(2_000);
    expect(summary.partitions).toEqual([
      {
        topic,
        partition: 0,
        startOffset: 0,
        endOffset: summary.partitions[0]?.endOffset,
        restored: 2_000,
        endReachedBy: 'offset',
      },
    ]);
    // 20 commit markers + 2 aborted records + 1 abort marker sit between the data records.
    expect(summary.partitions[0]?.endOffset).toBe(2_000 + 20 + 3);
    expect(progress.at(-1)).toMatchObject({ topic, partition: 0, restored: 2_000, remaining: 0, done: true });
    expect(summary.warnings).toEqual([]);
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).not.toContain(groupId);
  });

  it('from a checkpoint offset, reads only the tail written after it', async () => {
    const topic = await changelogTopic(1);
    const p = await txProducer();
    const expected = new Map<string, number>();
    await writeChanges(p, topic, 0, 1_000, expected, 5);
    const store = await freshStore('tail');
    const first = await restore({ topic, partition: 0, target: store });
    expect(first.restored).toBe(1_000);
    const checkpoint = first.partitions[0]?.endOffset ?? -1;

    await writeChanges(p, topic, 0, 300, expected, 10_000);
    const tail = await restore({ topic, partition: 0, startOffset: checkpoint, target: store });
    expect(tail.restored).toBe(300);
    expect(tail.partitions[0]?.endReachedBy).toBe('offset');
    expect(tail.partitions[0]?.startOffset).toBe(checkpoint);
    expect(await contents(store)).toEqual(expected);

    const nothing = await restore({
      topic,
      partition: 0,
      startOffset: tail.partitions[0]?.endOffset ?? -1,
      target: store,
    });
    expect(nothing.restored).toBe(0);
    expect(nothing.partitions[0]?.endReachedBy).toBe('none');
  });

  it('stops at the last stable offset while another transaction is still open', async () => {
    const topic = await changelogTopic(1);
    const p = await txProducer();
    const expected = new Map<string, number>();
    await writeChanges(p, topic, 0, 250, expected, 3);
    const open = await (await txProducer()).transaction();
    await open.send({ topic, messages: [{ key: 'k1', value: '999999', partition: 0 }] });
    const store = await freshStore('open-tx');
    const summary = await restore({ topic, partition: 0, target: store });
    await open.abort();
    expect(summary.restored).toBe(250);
    expect(summary.partitions[0]).toMatchObject({ endOffset: 250 + 3, endReachedBy: 'offset' });
    expect(await contents(store)).toEqual(expected);
  });

  it('restores several partitions at once, each into its own store, never mixing partitions', async () => {
    const topic = await changelogTopic(3);
    const p = await txProducer();
    const expected = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
    for (const part of [0, 1, 2]) await writeChanges(p, topic, part, 400 + part * 100, expected[part]!, part * 1000);
    const s0 = await freshStore('p0');
    const s2 = await freshStore('p2');
    const summary = await restoreChangelogs({
      kafka,
      clock,
      groupId: uniqueName('g-restore'),
      partitions: [
        { topic, partition: 0, target: s0 },
        { topic, partition: 2, target: s2 },
      ],
    });
    expect(summary.restored).toBe(400 + 600);
    expect(summary.partitions.map((x) => [x.partition, x.restored, x.endReachedBy])).toEqual([
      [0, 400, 'offset'],
      [2, 600, 'offset'],
    ]);
    expect(await contents(s0)).toEqual(expected[0]);
    expect(await contents(s2)).toEqual(expected[2]);
  });

  it('rejects a checkpoint beyond the changelog end and a partition that does not exist', async () => {
    const topic = await changelogTopic(1);
    const store = await freshStore('bad');
    const ahead = restore({ topic, partition: 0, startOffset: 5, target: store });
    await expect(ahead).rejects.toMatchObject({ code: 'STORE_CHECKPOINT_INVALID' });
    const missing = restore({ topic, partition: 4, target: store });
    await expect(missing).rejects.toBeInstanceOf(StateStoreError);
    await expect(missing).rejects.toMatchObject({ code: 'STORE_RESTORE_FAILED', retryable: true });
  });

  it('an aborted restore rejects with STORE_RESTORE_ABORTED', async () => {
    const topic = await changelogTopic(1);
    const p = await txProducer();
    await writeChanges(p, topic, 0, 500, new Map(), 0);
    const store = await freshStore('abort');
    const ac = new AbortController();
    const run = restore({
      topic,
      partition: 0,
      target: { applyRestoreBatch: async () => ac.abort() },
      signal: ac.signal,
    });
    await expect(run).rejects.toMatchObject({ code: 'STORE_RESTORE_ABORTED' });
    expect(await contents(store)).toEqual(new Map());
  });
});
