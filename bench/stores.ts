/**
 * State-store benchmark: RocksDB put/get/update/scan throughput, RSS with 1M keys, and changelog restore speed
 * from a real compacted changelog topic written transactionally. Numbers only; nothing here asserts a target.
 * Env: BENCH_STORES_KEYS (default 1,000,000), BENCH_STORES_SPREAD (stores for the multi-store run, default 24),
 * BENCH_STORES_RESTORE (default 200,000).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SystemClock,
  createKafka,
  jsonSerde,
  openRocksDbStore,
  restoreChangelog,
  storeDirectory,
  type Message,
  type RocksDbKeyValueStore,
} from '../topology/index.js';
import type { BenchContext, BenchRow } from './types.js';

type Profile = { id: number; visits: number; segment: string; lastSeen: number };
const serde = jsonSerde<Profile>();
const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));
const key = (i: number) => `profile:${String(i).padStart(8, '0')}`;
const value = (i: number): Profile => ({
  id: i,
  visits: i % 17,
  segment: `seg-${i % 50}`,
  lastSeen: 1_767_225_600_000 + i,
});

/** Deterministic scattered key order: a multiplicative permutation of [0, n) (7919 is prime and coprime to n). */
function* scrambled(n: number, count: number, offset = 17): Generator<number> {
  for (let i = 0; i < count; i++) yield (i * 7919 + offset) % n;
}

async function timed(fn: () => Promise<number>): Promise<{ ops: number; perSec: number; ms: number }> {
  const t = performance.now();
  const ops = await fn();
  const ms = performance.now() - t;
  return { ops, perSec: (ops * 1000) / ms, ms };
}

async function storeBenches(dir: string, keys: number, ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rssBefore = process.memoryUsage().rss;
  const open = (name: string, cacheBytes?: number) =>
    openRocksDbStore<Profile>({ name, directory: storeDirectory(dir, '0_0', name), serde, cacheBytes });
  const s = await open('profiles');
  ctx.log(`loading ${keys} keys`);
  const put = await timed(async () => {
    for (let i = 0; i < keys; i++) {
      await s.put(key(i), value(i));
      if (i % 1000 === 999) await s.flush(); // a commit every 1000 writes
    }
    await s.flush();
    return keys;
  });
  rows.push({ metric: 'rocksdb put (flush every 1000)', value: Math.round(put.perSec), unit: 'ops/s' });
  global.gc?.();
  const rss = process.memoryUsage().rss;
  rows.push({
    metric: `RSS after ${keys} keys`,
    value: mb(rss),
    unit: 'MB',
    target: '< 1024',
    note: `+${mb(rss - rssBefore)} MB`,
  });
  rows.push({ metric: 'approximateCount', value: s.approximateCount(), unit: 'keys', note: `actual ${keys}` });

  const warm = await timed(async () => {
    for (const i of scrambled(50_000, 200_000)) await s.get(key(i));
    return 200_000;
  });
  rows.push({ metric: 'get, hot set of 50k keys (cache hits)', value: Math.round(warm.perSec), unit: 'ops/s' });
  await s.close();

  const cold = await open('profiles', 0);
  const miss = await timed(async () => {
    for (const i of scrambled(keys, 100_000)) await cold.get(key(i));
    return 100_000;
  });
  rows.push({ metric: 'get, random over all keys, no cache', value: Math.round(miss.perSec), unit: 'ops/s' });
  await cold.close();

  const s2 = await open('profiles');
  const update = await timed(async () => {
    let n = 0;
    for (const i of scrambled(keys, 100_000)) {
      const v = await s2.get(key(i));
      if (v) await s2.put(key(i), { ...v, visits: v.visits + 1 });
      if (++n % 1000 === 0) await s2.flush();
    }
    await s2.flush();
    return 100_000;
  });
  rows.push({
    metric: 'get+put per event, random keys (cold cache)',
    value: Math.round(update.perSec),
    unit: 'events/s',
  });
  const batched = await timed(async () => {
    const all = [...scrambled(keys, 100_000, Math.floor(keys / 2))].map(key);
    for (let i = 0; i < all.length; i += 500) {
      const batch = all.slice(i, i + 500);
      const values = await s2.getMany(batch);
      for (let j = 0; j < batch.length; j++) {
        const v = values[j];
        if (v) await s2.put(batch[j] ?? '', { ...v, visits: v.visits + 1 });
      }
      await s2.flush();
    }
    return all.length;
  });
  rows.push({
    metric: 'getMany(500) + put per event, random keys (cold cache)',
    value: Math.round(batched.perSec),
    unit: 'events/s',
  });
  rows.push(...(await scanBenches(s2, keys)));
  await s2.close();
  rows.push({ metric: 'RSS at end of store benches', value: mb(process.memoryUsage().rss), unit: 'MB' });
  return rows;
}

/** 1M keys spread over many stores, as a process with several tasks × stores holds them (caches per store). */
async function spreadBench(dir: string, keys: number, storeCount: number, ctx: BenchContext): Promise<BenchRow[]> {
  ctx.log(`loading ${keys} keys into ${storeCount} stores`);
  global.gc?.();
  const before = process.memoryUsage().rss;
  const stores: Array<RocksDbKeyValueStore<Profile>> = [];
  for (let i = 0; i < storeCount; i++) {
    stores.push(
      await openRocksDbStore<Profile>({ name: `s${i}`, directory: storeDirectory(dir, `${i}_9`, 's'), serde }),
    );
  }
  const at = (i: number) => stores[i % storeCount] as RocksDbKeyValueStore<Profile>;
  const load = await timed(async () => {
    for (let i = 0; i < keys; i++) {
      await at(i).put(key(i), value(i));
      if (i % 5000 === 4999) for (const s of stores) await s.flush();
    }
    for (const s of stores) await s.flush();
    return keys;
  });
  const reads = await timed(async () => {
    for (const i of scrambled(keys, 200_000)) await at(i).get(key(i));
    return 200_000;
  });
  const rss = process.memoryUsage().rss;
  for (const s of stores) await s.close();
  return [
    { metric: `put, ${storeCount} stores`, value: Math.round(load.perSec), unit: 'ops/s' },
    { metric: `get random, ${storeCount} stores (default caches)`, value: Math.round(reads.perSec), unit: 'ops/s' },
    {
      metric: `RSS with ${keys} keys in ${storeCount} stores`,
      value: mb(rss),
      unit: 'MB',
      target: '< 1024',
      note: `+${mb(rss - before)} MB`,
    },
  ];
}

async function scanBenches(s: RocksDbKeyValueStore<Profile>, keys: number): Promise<BenchRow[]> {
  const full = await timed(async () => {
    let n = 0;
    for await (const _ of s.all()) n++;
    return n;
  });
  let entries = 0;
  const ranges = await timed(async () => {
    for (const i of scrambled(keys - 100, 2_000)) {
      for await (const _ of s.range(key(i), key(i + 100))) entries++;
    }
    return 2_000;
  });
  return [
    { metric: 'full scan', value: Math.round(full.perSec), unit: 'entries/s', note: `${full.ops} entries` },
    {
      metric: 'range scans of 100 keys',
      value: Math.round(ranges.perSec),
      unit: 'scans/s',
      note: `${entries} entries`,
    },
  ];
}

async function restoreBench(dir: string, records: number, ctx: BenchContext): Promise<BenchRow[]> {
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-stores', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-changelog-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  const producer = kafka.producer({ transactionalId: `tx-${topic}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  ctx.log(`writing ${records} changelog records in transactions of 1000`);
  for (let i = 0; i < records; i += 1000) {
    const messages: Message[] = [];
    for (let j = i; j < Math.min(records, i + 1000); j++) {
      messages.push({ key: key(j % Math.ceil(records / 2)), value: JSON.stringify(value(j)), partition: 0 });
    }
    const tx = await producer.transaction();
    await tx.send({ topic, messages });
    await tx.commit();
  }
  await producer.disconnect();
  const store = await openRocksDbStore<Profile>({
    name: 'restored',
    directory: storeDirectory(dir, '1_0', 'restored'),
    serde,
  });
  ctx.log('restoring');
  const t = performance.now();
  const summary = await restoreChangelog({
    kafka,
    clock: new SystemClock(),
    groupId: `bench-restore-${topic}`,
    topic,
    partition: 0,
    target: store,
    onProgress: (p) => ctx.log(`restored ${p.restored}, ${Math.round(p.recordsPerSecond)}/s, ${p.remaining} left`),
  });
  const ms = performance.now() - t;
  await store.close();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return [
    {
      metric: 'changelog restore into RocksDB',
      value: Math.round((summary.restored * 1000) / ms),
      unit: 'records/s',
      note: `${summary.restored} records (${records / 2} keys) in ${(ms / 1000).toFixed(1)} s, incl. group join`,
    },
  ];
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const keys = Number(process.env['BENCH_STORES_KEYS'] ?? 1_000_000);
  const records = Number(process.env['BENCH_STORES_RESTORE'] ?? 200_000);
  const dir = await mkdtemp(join(tmpdir(), 'jo-bench-stores-'));
  try {
    const rows = await storeBenches(dir, keys, ctx);
    rows.push(...(await spreadBench(dir, keys, Number(process.env['BENCH_STORES_SPREAD'] ?? 24), ctx)));
    rows.push(...(await restoreBench(dir, records, ctx)));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
