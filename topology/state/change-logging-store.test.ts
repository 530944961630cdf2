import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde, type KeyValueStore } from '../api/store.js';
import { ChangeBuffer, ChangeLoggingKeyValueStore } from './change-logging-store.js';
import { openRocksDbStore } from './rocksdb-store.js';
import { storeDirectory } from './state-dir.js';
import { restoreTargetFor } from './restore-target.js';
import { StateStoreError } from './store-errors.js';

async function collect<V>(it: AsyncIterable<[string, V]>): Promise<Array<[string, V]>> {
  const out: Array<[string, V]> = [];
  for await (const e of it) out.push(e);
  return out;
}

type Profile = { visits: number };
const serde = jsonSerde<Profile>();
let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'jo-changelog-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const inners: Array<[string, (name: string) => Promise<KeyValueStore<Profile>>]> = [
  ['in-memory', (name) => Promise.resolve(new InMemoryKeyValueStore<Profile>(name))],
  ['RocksDB', (name) => openRocksDbStore({ name, directory: storeDirectory(stateDir, '1_0', name), serde })],
];

describe.each(inners)('ChangeLoggingKeyValueStore over %s', (_kind, make) => {
  it('with coalesce, logs nothing until logPending, then each changed key once with its latest value', async () => {
    const log = new ChangeBuffer();
    const s = new ChangeLoggingKeyValueStore(await make('counts'), serde, log, { coalesce: true });
    for (let i = 1; i <= 5; i++) await s.put('j/1', { visits: i });
    await s.put('j/2', { visits: 7 });
    await s.put('gone', { visits: 1 });
    await s.delete('gone');
    expect(log.size).toBe(0);
    expect(await s.get('j/1')).toEqual({ visits: 5 }); // the store itself is current at once
    s.logPending();
    expect(log.drain().map((c) => [c.key, c.value?.toString('utf8') ?? null])).toEqual([
      ['j/1', '{"visits":5}'],
      ['j/2', '{"visits":7}'],
      ['gone', null],
    ]);
    s.logPending();
    expect(log.size).toBe(0);
    await s.put('j/1', { visits: 6 });
    s.logPending();
    expect(log.drain().map((c) => c.value?.toString('utf8'))).toEqual(['{"visits":6}']);
  });

  it('logs every put with the serialized value and every delete as a tombstone, in call order', async () => {
    const log = new ChangeBuffer();
    const s = new ChangeLoggingKeyValueStore(await make('profiles'), serde, log);
    await s.put('p1', { visits: 1 });
    await s.put('p2', { visits: 5 });
    await s.put('p1', { visits: 2 });
    await s.delete('p2');
    await s.delete('never-there');
    expect(log.drain().map((c) => [c.store, c.key, c.value?.toString('utf8') ?? null])).toEqual([
      ['profiles', 'p1', '{"visits":1}'],
      ['profiles', 'p2', '{"visits":5}'],
      ['profiles', 'p1', '{"visits":2}'],
      ['profiles', 'p2', null],
      ['profiles', 'never-there', null],
    ]);
    expect(log.size).toBe(0);
    expect(await s.get('p1')).toEqual({ visits: 2 });
    expect(await collect(s.all())).toEqual([['p1', { visits: 2 }]]);
    await s.close();
  });

  it('the logged changes alone rebuild an identical store', async () => {
    const log = new ChangeBuffer();
    const s = new ChangeLoggingKeyValueStore(await make('source'), serde, log);
    for (let i = 0; i < 300; i++) {
      const k = `p${i % 40}`;
      if (i % 7 === 0) await s.delete(k);
      else await s.put(k, { visits: i });
    }
    const rebuilt = await make('rebuilt');
    await restoreTargetFor(rebuilt, serde).applyRestoreBatch(log.drain().map((c) => [c.key, c.value] as const));
    expect(await collect(rebuilt.all())).toEqual(await collect(s.all()));
    expect(await collect(rebuilt.range('p1', 'p2'))).toEqual(await collect(s.range('p1', 'p2')));
    await s.close();
    await rebuilt.close();
  });

  it('restoring through the wrapper writes the inner store without logging', async () => {
    const log = new ChangeBuffer();
    const s = new ChangeLoggingKeyValueStore(await make('restored'), serde, log);
    await s.applyRestoreBatch([
      ['a', Buffer.from('{"visits":3}')],
      ['b', Buffer.from('{"visits":4}')],
      ['a', null],
    ]);
    expect(log.size).toBe(0);
    expect(await collect(s.all())).toEqual([['b', { visits: 4 }]]);
    await s.close();
  });
});

describe('ChangeLoggingKeyValueStore', () => {
  it('does not log a change the inner store rejected', async () => {
    const inner = await openRocksDbStore({
      name: 'closed',
      directory: storeDirectory(stateDir, '1_0', 'closed'),
      serde,
    });
    const log = new ChangeBuffer();
    const s = new ChangeLoggingKeyValueStore(inner, serde, log);
    await s.close();
    await expect(s.put('k', { visits: 1 })).rejects.toBeInstanceOf(StateStoreError);
    await expect(s.delete('k')).rejects.toBeInstanceOf(StateStoreError);
    expect(log.size).toBe(0);
  });

  it('a serializer failure neither writes nor logs', async () => {
    const log = new ChangeBuffer();
    const inner = new InMemoryKeyValueStore<Profile>('bad');
    const s = new ChangeLoggingKeyValueStore(inner, serde, log);
    const cyclic = { visits: 1 } as Profile & { self?: unknown };
    cyclic.self = cyclic;
    await expect(s.put('k', cyclic)).rejects.toThrow(TypeError);
    expect(log.size).toBe(0);
    expect(await inner.get('k')).toBeUndefined();
  });
});

describe('ChangeLoggingKeyValueStore.prefetch', () => {
  it.each(inners)('over %s: warming keys never changes what reads see, before or after writes', async (_, open) => {
    const log = new ChangeBuffer();
    const store = new ChangeLoggingKeyValueStore(await open('p'), serde, log);
    await store.put('a', { visits: 1 });
    await store.flush();
    await store.put('b', { visits: 2 }); // buffered, not yet flushed
    await store.prefetch(['a', 'b', 'missing']);
    expect(await store.get('a')).toEqual({ visits: 1 });
    expect(await store.get('b')).toEqual({ visits: 2 });
    expect(await store.get('missing')).toBeUndefined();
    await store.put('missing', { visits: 3 }); // a key prefetched as absent, then written
    await store.delete('a');
    expect(await store.get('missing')).toEqual({ visits: 3 });
    expect(await store.get('a')).toBeUndefined();
    expect(log.drain().map((c) => c.key)).toEqual(['a', 'b', 'missing', 'a']);
    await store.close();
  });
});

describe('RocksDB store reads', () => {
  it('see a buffered delete of a key that is still on disk (no read-through to the old value)', async () => {
    const store = await openRocksDbStore({ name: 'd', directory: storeDirectory(stateDir, '1_0', 'd'), serde });
    await store.put('a', { visits: 1 });
    await store.flush();
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.getMany(['a'])).toEqual([undefined]);
    await store.flush();
    expect(await store.get('a')).toBeUndefined();
    await store.close();
  });
});
