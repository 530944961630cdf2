import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, jsonSerde, type KeyValueStore, type Serde } from '../../topology/index.js';
import type { JourneyTimer } from './journey-model.js';
import { InvalidTimerRecord, keyBefore, TimerIndex, timerKey, timerSerde } from './timer-index.js';

/** A store that keeps bytes and deserializes on every read and scan, as the RocksDB store does. */
class BytesStore<V> implements KeyValueStore<V> {
  readonly name = 'timers';
  readonly bytes = new Map<string, Buffer>();
  constructor(private readonly serde: Serde<V>) {}
  get(key: string): Promise<V | undefined> {
    const b = this.bytes.get(key);
    return Promise.resolve(b === undefined ? undefined : this.serde.deserialize(b));
  }
  put(key: string, value: V): Promise<void> {
    this.bytes.set(key, this.serde.serialize(value));
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.bytes.delete(key);
    return Promise.resolve();
  }
  async *range(from: string, to: string): AsyncIterable<[string, V]> {
    for (const k of [...this.bytes.keys()].sort())
      if (k >= from && k < to) yield [k, this.serde.deserialize(this.bytes.get(k) as Buffer)];
  }
  all(): AsyncIterable<[string, V]> {
    return this.range('', '\uffff');
  }
  approximateCount(): number {
    return this.bytes.size;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const timer = (token: string, dueAt: number): JourneyTimer => ({
  token,
  dueAt,
  kind: 'wait',
  profileKey: 'crm:1',
  journeyId: 'j',
  version: 1,
  instanceId: 'i',
  nodeId: 'n',
});

describe('TimerIndex', () => {
  it('returns due timers in order, bounded, never early', async () => {
    const idx = new TimerIndex(new InMemoryKeyValueStore<JourneyTimer>('t'));
    for (const [tok, due] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
      ['d', 40],
    ] as const)
      await idx.apply({ op: 'set', timer: timer(tok, due) });
    expect((await idx.due(25, 10)).map((t) => t.token)).toEqual(['a', 'b']);
    expect((await idx.due(40, 1)).map((t) => t.token)).toEqual(['a']);
  });

  it('still finds timers the caller did not remove, and timers set below an earlier scan (clock stepped back)', async () => {
    const idx = new TimerIndex(new InMemoryKeyValueStore<JourneyTimer>('t'));
    await idx.apply({ op: 'set', timer: timer('a', 10) });
    await idx.apply({ op: 'set', timer: timer('b', 20) });
    expect((await idx.due(100, 10)).map((t) => t.token)).toEqual(['a', 'b']);
    // the caller removed only `a`
    await idx.remove(timer('a', 10));
    expect((await idx.due(100, 10)).map((t) => t.token)).toEqual(['b']);
    await idx.remove(timer('b', 20));
    expect(await idx.due(200, 10)).toEqual([]);
    // a timer due before the last scan's bound
    await idx.apply({ op: 'set', timer: timer('late', 150) });
    expect((await idx.due(200, 10)).map((t) => t.token)).toEqual(['late']);
    await idx.apply({ op: 'cancel', timer: timer('late', 150) });
    expect(await idx.due(300, 10)).toEqual([]);
    expect(idx.size()).toBe(0);
  });

  it('is one index per store: a timer set through one reference below the last scan is found by the other', async () => {
    const store = new InMemoryKeyValueStore<JourneyTimer>('t');
    const forTimers = TimerIndex.of(store);
    const forEmit = TimerIndex.of(store);
    expect(forEmit).toBe(forTimers);
    expect(await forTimers.due(100, 10)).toEqual([]); // the scan's bound is now past 100
    await forEmit.apply({ op: 'set', timer: timer('back', 50) }); // a clock that stepped back
    expect((await forTimers.due(200, 10)).map((t) => t.token)).toEqual(['back']);
    await forTimers.remove(timer('back', 50));
    // two separate indexes over one store, as emit and timers had: the timer set below the bound is never seen
    const separate = new TimerIndex(store);
    await separate.due(100, 10);
    await new TimerIndex(store).apply({ op: 'set', timer: timer('lost', 60) });
    expect(await separate.due(200, 10)).toEqual([]);
  });

  it('timerSerde never throws: non-JSON and non-timer bytes come back as InvalidTimerRecord', () => {
    const notJson = timerSerde.deserialize(Buffer.from('{oops'));
    expect(notJson).toBeInstanceOf(InvalidTimerRecord);
    expect((notJson as InvalidTimerRecord).reason).toBe('not JSON');
    expect(timerSerde.deserialize(Buffer.from('{"token":1}'))).toBeInstanceOf(InvalidTimerRecord);
    expect(timerSerde.deserialize(timerSerde.serialize(timer('a', 1)))).toEqual(timer('a', 1));
  });

  it('skips a bad record in the store and hands it over; the timers after it still fire', async () => {
    const store = new BytesStore(timerSerde);
    const idx = new TimerIndex(store);
    await idx.apply({ op: 'set', timer: timer('a', 10) });
    await idx.apply({ op: 'set', timer: timer('c', 30) });
    const badKey = timerKey({ dueAt: 20, token: 'b' });
    store.bytes.set(badKey, Buffer.from('not json at all'));
    expect((await idx.due(100, 10)).map((t) => t.token)).toEqual(['a', 'c']);
    const invalid = idx.takeInvalid();
    expect(invalid.map((e) => [e.key, e.record.reason, e.record.bytes.toString()])).toEqual([
      [badKey, 'not JSON', 'not json at all'],
    ]);
    expect(idx.takeInvalid()).toEqual([]);
    await idx.removeKey(badKey);
    expect(store.bytes.has(badKey)).toBe(false);
    // with the plain JSON serde the store had before, that one record made every scan of the partition throw
    const old = new BytesStore(jsonSerde<JourneyTimer>());
    old.bytes.set(badKey, Buffer.from('not json at all'));
    await expect(new TimerIndex(old as never).due(100, 10)).rejects.toThrow(SyntaxError);
  });
});

describe('keyBefore', () => {
  it('orders two timers as their index keys do (due ms, then token; odd due times included)', () => {
    const dues = [0, -5, 1.7, 1, 2, 999, 1000, 1_767_225_600_000, 1_767_225_600_000.9, 1e15, 2e15, Number.NaN];
    const tokens = ['a.1', 'a.10', 'a.2', 'b.1', ''];
    const timers = dues.flatMap((dueAt) => tokens.map((token) => ({ dueAt, token })));
    for (const a of timers)
      for (const b of timers) expect([a, b, keyBefore(a, b)]).toEqual([a, b, timerKey(a) < timerKey(b)]);
  });
});
