import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../api/store.js';
import { openRocksDbStore, type RocksDbKeyValueStore } from './rocksdb-store.js';
import { storeDirectory, taskDirectory } from './state-dir.js';
import { StateStoreError } from './store-errors.js';
import { ByteLruPool } from './byte-lru.js';
import { collect, expectStoreBasics } from '../testing/store-checks.js';

let stateDir: string;
const open: Array<RocksDbKeyValueStore<unknown>> = [];

async function openStore<V>(
  name: string,
  serde = jsonSerde<V>(),
  extra: { cacheBytes?: number; cachePool?: ByteLruPool } = {},
) {
  const s = await openRocksDbStore<V>({ name, directory: storeDirectory(stateDir, '0_1', name), serde, ...extra });
  open.push(s);
  return s;
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'jo-rocksdb-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('RocksDbKeyValueStore', () => {
  it('gets, puts, deletes and scans ranges in UTF-8 byte order', async () => {
    const s = await openStore<number>('counts');
    await expectStoreBasics(s);
    expect(await s.get('missing')).toBeUndefined();
    expect(await collect(s.range('b', 'a'))).toEqual([]);
    expect(await collect(s.range('', 'b'))).toEqual([
      ['Z', 0],
      ['a', 1],
    ]);
  });

  it('range scans see writes still in the write buffer, and an early break releases the iterator', async () => {
    const s = await openStore<string>('buffered', stringSerde);
    for (let i = 0; i < 50; i++) await s.put(`k${String(i).padStart(3, '0')}`, `v${i}`);
    await s.delete('k010');
    const got = await collect(s.range('k005', 'k012'));
    expect(got.map(([k]) => k)).toEqual(['k005', 'k006', 'k007', 'k008', 'k009', 'k011']);
    for await (const [k] of s.all()) if (k === 'k002') break;
    await s.put('k001', 'changed');
    expect(await s.get('k001')).toBe('changed');
  });

  it('close() ends a scan left open half-way instead of waiting for it', async () => {
    const s = await openStore<number>('half-scan');
    for (let i = 0; i < 2000; i++) await s.put(`k${i}`, i);
    const it = s.all()[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(['k0', 0]);
    await s.close();
    const reopened = await openStore<number>('half-scan');
    expect(await reopened.get('k1999')).toBe(1999);
  });

  it('flushes queued together write in call order and reads never miss a batch in flight', async () => {
    const directory = storeDirectory(stateDir, '0_1', 'concurrent');
    const s = await openRocksDbStore({ name: 'concurrent', directory, serde: jsonSerde<number>(), cacheBytes: 0 });
    open.push(s);
    for (let round = 0; round < 30; round++) {
      for (let k = 0; k < 50; k++) await s.put(`a${k}`, round);
      const first = s.flush();
      // Runs after the first flush took its batch and before the second one wakes up.
      const between = Promise.resolve().then(() => s.put('b', round));
      const second = s.flush();
      const reads = Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => Promise.all([s.get('a0'), s.get('a49'), s.get('b')]));
      await Promise.all([first, between, second]);
      expect(await reads).toEqual([round, round, round]);
    }
    await s.flush();
    for (let k = 0; k < 50; k++) expect(await s.get(`a${k}`)).toBe(29);
  });

  it('persists across close and reopen, with the buffered writes of close() included', async () => {
    const s1 = await openStore<{ n: number }>('persist');
    for (let i = 0; i < 1000; i++) await s1.put(`key-${i}`, { n: i });
    await s1.flush();
    await s1.put('late', { n: -1 });
    await s1.delete('key-7');
    await s1.close();
    await expect(s1.get('late')).rejects.toBeInstanceOf(StateStoreError);

    const s2 = await openStore<{ n: number }>('persist');
    expect(await s2.get('key-999')).toEqual({ n: 999 });
    expect(await s2.get('late')).toEqual({ n: -1 });
    expect(await s2.get('key-7')).toBeUndefined();
    expect((await collect(s2.all())).length).toBe(1000);
    expect(s2.approximateCount()).toBe(1000);
  });

  it('a returned value is a copy: mutating it does not change the store, even when cached', async () => {
    const s = await openStore<{ tags: string[] }>('copies');
    await s.put('p', { tags: ['a'] });
    const v = await s.get('p');
    v?.tags.push('mutated');
    expect(await s.get('p')).toEqual({ tags: ['a'] });
    await s.flush();
    const w = await s.get('p');
    w?.tags.push('again');
    expect(await s.get('p')).toEqual({ tags: ['a'] });
  });

  it('stores sharing one read-cache pool keep their own values within one budget, and close alone', async () => {
    const pool = new ByteLruPool(64 * 1024);
    const a = await openStore<string>('pool-a', jsonSerde<string>(), { cachePool: pool });
    const b = await openStore<string>('pool-b', jsonSerde<string>(), { cachePool: pool });
    for (let i = 0; i < 2_000; i++) {
      await a.put(`k${i}`, `a${i}`);
      await b.put(`k${i}`, `b${i}`);
    }
    await Promise.all([a.flush(), b.flush()]);
    expect(pool.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(pool.size).toBeGreaterThan(0);
    for (const i of [0, 777, 1_999]) expect([await a.get(`k${i}`), await b.get(`k${i}`)]).toEqual([`a${i}`, `b${i}`]);
    await a.close();
    expect(await b.get('k1999')).toBe('b1999');
    expect(pool.size).toBeGreaterThan(0);
    expect(await b.getMany(['k5', 'k6'])).toEqual(['b5', 'b6']);
  });

  it('keeps reads correct with a tiny cache under many keys and overwrites', async () => {
    const s = await openStore<number>('tiny-cache', jsonSerde<number>(), { cacheBytes: 2_000 });
    const expected = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 300; i++) {
        const k = `k${(i * 7919) % 500}`;
        const v = round * 1000 + i;
        if (i % 11 === 0) {
          await s.delete(k);
          expected.delete(k);
        } else {
          await s.put(k, v);
          expected.set(k, v);
        }
        if (i % 50 === 0) await s.flush();
      }
    }
    for (let i = 0; i < 500; i++) expect(await s.get(`k${i}`)).toBe(expected.get(`k${i}`));
    const all = await collect(s.all());
    expect(new Map(all)).toEqual(expected);
  });

  it('getMany and prefetch read many keys in one batch: buffered, cached, on disk, deleted and absent alike', async () => {
    const s = await openStore<number>('many');
    for (let i = 0; i < 100; i++) await s.put(`k${i}`, i);
    await s.flush();
    await s.close();
    const r = await openStore<number>('many');
    await r.put('k1', -1);
    await r.delete('k2');
    expect(await r.getMany(['k0', 'k1', 'k2', 'k3', 'nope', 'k3', 'k99'])).toEqual([
      0,
      -1,
      undefined,
      3,
      undefined,
      3,
      99,
    ]);
    // repeats, and keys buffered (k1: written, k2: deleted) or cached already, are fine
    await r.prefetch(['k10', 'k11', 'k12', 'k11', 'k1', 'k2', 'k0']);
    expect([await r.get('k11'), await r.get('k12'), await r.get('k1'), await r.get('k2')]).toEqual([
      11,
      12,
      -1,
      undefined,
    ]);
    expect(await r.getMany([])).toEqual([]);
  });

  it('a write racing an in-flight read is not overwritten by the value read before it', async () => {
    const s = await openStore<number>('race');
    await s.put('k', 1);
    await s.close();
    const r = await openStore<number>('race');
    const many = r.getMany(['k']);
    const single = r.get('k');
    await r.put('k', 2);
    expect(await many).toEqual([1]);
    expect(await single).toBe(1);
    expect(await r.get('k')).toBe(2);
    await r.flush();
    expect(await r.get('k')).toBe(2);
  });

  it('approximateCount tracks distinct keys after writes reach RocksDB', async () => {
    const s = await openStore<number>('count');
    expect(s.approximateCount()).toBe(0);
    for (let i = 0; i < 2000; i++) await s.put(`k${i}`, i);
    await s.flush();
    expect(s.approximateCount()).toBe(2000);
  });

  it('approximateCount stays exact under overwrites, deletes, cache evictions, restores and reopen', async () => {
    const s = await openStore<number>('exact', jsonSerde<number>(), { cacheBytes: 3_000 });
    const truth = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const k = `k${(i * 37) % 250}`;
      if (i % 5 === 0) {
        await s.delete(k);
        truth.delete(k);
      } else {
        if (i % 3 === 0) await s.get(k); // some priors known from the cache, others read at flush
        await s.put(k, i);
        truth.add(k);
      }
      if (i % 97 === 0) await s.flush();
    }
    await s.flush();
    expect(s.approximateCount()).toBe(truth.size);
    expect((await collect(s.all())).length).toBe(truth.size);
    await s.applyRestoreBatch([
      ['k1', null],
      ['new-1', Buffer.from('1')],
      ['new-1', Buffer.from('2')],
      ['k2', Buffer.from('3')],
    ]);
    truth.delete('k1');
    truth.add('new-1');
    truth.add('k2');
    await s.endRestore();
    expect(s.approximateCount()).toBe(truth.size);
    await s.close();
    const r = await openStore<number>('exact');
    expect(r.approximateCount()).toBe(truth.size);
    expect((await collect(r.all())).length).toBe(truth.size);
  });

  it('a restore that stops before endRestore leaves a store recounted on open, or on the next flush', async () => {
    const s = await openStore<string>('recount', stringSerde);
    await s.put('a', '1');
    await s.flush();
    await s.applyRestoreBatch([
      ['b', Buffer.from('2')],
      ['c', Buffer.from('3')],
    ]);
    await s.close(); // e.g. the restore was aborted
    const r = await openStore<string>('recount', stringSerde);
    expect(r.approximateCount()).toBe(3);
    await r.applyRestoreBatch([['a', null]]);
    await r.put('d', '4');
    await r.flush();
    expect(r.approximateCount()).toBe(3);
  });

  it('restores raw changelog batches (tombstones delete) and drops stale cache entries', async () => {
    const s = await openStore<string>('restore', stringSerde);
    await s.put('a', 'old');
    expect(await s.get('a')).toBe('old');
    await s.applyRestoreBatch([
      ['a', Buffer.from('new')],
      ['b', Buffer.from('1')],
      ['b', null],
      ['c', Buffer.from('3')],
    ]);
    expect(await collect(s.all())).toEqual([
      ['a', 'new'],
      ['c', '3'],
    ]);
  });

  it('works without RocksDB block cache and with small memtables', async () => {
    const directory = storeDirectory(stateDir, '0_1', 'lean');
    const opts = { name: 'lean', directory, serde: jsonSerde<number>(), blockCache: false, memtableBytes: 1 << 20 };
    const s = await openRocksDbStore(opts);
    for (let i = 0; i < 5000; i++) await s.put(`k${i}`, i);
    await s.close();
    const r = await openRocksDbStore({ ...opts, cacheBytes: 0 });
    open.push(r);
    expect(await r.get('k4321')).toBe(4321);
    expect((await collect(r.range('k10', 'k11'))).length).toBe(111);
  });

  it('lays stores out as <stateDir>/<task>/rocksdb/<store> and rejects unsafe names', async () => {
    await openStore<number>('layout');
    expect(await readdir(join(taskDirectory(stateDir, '0_1'), 'rocksdb'))).toEqual(['layout']);
    expect(() => storeDirectory(stateDir, '0_1', '../etc')).toThrow(StateStoreError);
    expect(() => taskDirectory(stateDir, '..')).toThrow(/not a safe directory name/);
  });

  it('a second open of the same directory fails with a retryable error', async () => {
    await openStore<number>('locked');
    const err = await openRocksDbStore({
      name: 'locked',
      directory: storeDirectory(stateDir, '0_1', 'locked'),
      serde: jsonSerde<number>(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateStoreError);
    expect((err as StateStoreError).code).toBe('STORE_OPEN_FAILED');
    expect((err as StateStoreError).retryable).toBe(true);
  });
});

describe('RocksDbKeyValueStore rollback of uncommitted writes', () => {
  for (const cacheBytes of [16 * 1024 * 1024, 0])
    it(`puts back what the last committed epoch left (read cache ${cacheBytes ? 'on' : 'off'})`, async () => {
      const s = await openStore<number>('counts', jsonSerde<number>(), { cacheBytes });
      await s.put('a', 1);
      await s.put('b', 1);
      s.beginEpoch(); // commit 1 starts...
      await s.flush();
      s.commitEpoch(); // ...and succeeds
      await s.put('a', 2);
      await s.delete('b');
      await s.put('c', 1);
      s.beginEpoch(); // commit 2 starts (it will fail)
      await s.flush(); // its writes are on disk
      await s.put('a', 3); // the next commit's writes, one buffered...
      await s.put('d', 1);
      await s.flush(); // ...and written by a scan or a full buffer
      await s.put('e', 1);
      await s.rollback();
      expect(await collect(s.all())).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
      expect(s.approximateCount()).toBe(2);
      await s.close();
      open.splice(open.indexOf(s), 1);
      const again = await openStore<number>('counts');
      expect(await collect(again.all())).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
      expect(again.approximateCount()).toBe(2);
    });

  it('keeps what a successful commit wrote while the next one was open', async () => {
    const s = await openStore<number>('counts');
    await s.put('a', 1);
    s.beginEpoch(); // commit 1 in flight
    await s.put('a', 2); // commit 2's write
    await s.flush();
    s.commitEpoch(); // commit 1 succeeded
    await s.rollback(); // commit 2 failed
    expect(await s.get('a')).toBe(1);
  });
});
