import { beforeEach, describe, expect, it } from 'vitest';
import type { JourneyConfig } from '../../schemas/index.js';
import { InMemoryKeyValueStore } from '../../topology/index.js';
import { event, Harness, journey, webhookAction } from '../testing/index.js';
import { partitionShare, StoreEntryLedger, type EntryCount } from './entry-ledger.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Entered by `signup`: waits `wait`, calls the webhook, ends. */
function promo(extra: Partial<JourneyConfig>, wait = 'PT1H'): JourneyConfig {
  return journey(
    {
      pause: { type: 'wait', duration: wait, next: 'call' },
      call: { type: 'action', action: 'webhook', next: 'done' },
      done: { type: 'end' },
    },
    { id: 'promo', name: 'Promo', reentrance: { allowed: true, waitPeriod: 'PT1M' }, start: 'pause', ...extra },
  );
}

describe('partition shares of an installation-wide cap', () => {
  it('add up to the cap and differ by at most one', () => {
    for (const [cap, parts] of [
      [10, 6],
      [3, 6],
      [1000, 7],
      [6, 6],
    ] as const) {
      const shares = Array.from({ length: parts }, (_, p) => partitionShare(cap, parts, p));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(cap);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
    expect(Array.from({ length: 6 }, (_, p) => partitionShare(10, 6, p))).toEqual([2, 2, 2, 2, 1, 1]);
  });
});

describe('journey entry caps', () => {
  let store: InMemoryKeyValueStore<EntryCount>;
  let h: Harness;
  const fresh = (partitions = 1, partition = 0) => {
    const x = new Harness(undefined, {}, undefined, new StoreEntryLedger(store, partitions, partition));
    x.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    return x;
  };
  beforeEach(() => {
    store = new InMemoryKeyValueStore<EntryCount>('entries');
    h = fresh();
  });

  it('maxEntriesPerDay: the 4th entry of the UTC day is refused with a step; the next day admits again', async () => {
    h.publish(promo({ maxEntriesPerDay: 3 }));
    for (const p of ['a', 'b', 'c', 'd']) await h.send(event('signup', p));
    expect(['a', 'b', 'c'].map((p) => h.trail(p))).toEqual([['pause:entered'], ['pause:entered'], ['pause:entered']]);
    expect(h.trail('d')).toEqual(['$entry:discarded:maxEntriesPerDay']);
    expect(h.out.discards.filter((x) => x.reason === 'maxEntriesPerDay')).toHaveLength(1);
    // instances that ended do not give entries of the same day back
    await h.advance(2 * HOUR);
    await h.send(event('signup', 'e'));
    expect(h.trail('e')).toEqual(['$entry:discarded:maxEntriesPerDay']);
    await h.advance(DAY); // the clock starts at 12:00 UTC: this is the next UTC day
    await h.send(event('signup', 'd'));
    expect(h.trail('d').at(-1)).toBe('pause:entered');
  });

  it('maxConcurrentInstances: full while 2 run; an ended instance frees its place', async () => {
    h.publish(promo({ maxConcurrentInstances: 2 }));
    await h.send(event('signup', 'a'));
    await h.advance(HOUR / 2);
    await h.send(event('signup', 'b'));
    await h.send(event('signup', 'c'));
    expect(h.trail('c')).toEqual(['$entry:discarded:maxConcurrentInstances']);
    await h.advance(HOUR / 2); // a's wait ends: a finishes, one place is free
    expect(h.trail('a').at(-1)).toBe('done:ended:end');
    await h.send(event('signup', 'c'));
    expect(h.trail('c').at(-1)).toBe('pause:entered');
    await h.send(event('signup', 'd'));
    expect(h.trail('d')).toEqual(['$entry:discarded:maxConcurrentInstances']);
    expect((await store.get('running/promo/1'))?.count).toBe(2);
  });

  it('counts survive a restart (they live in the store) and each partition admits only its share', async () => {
    h.publish(promo({ maxConcurrentInstances: 4 }, 'P1D'));
    await h.send(event('signup', 'a'));
    await h.send(event('signup', 'b'));
    // a new engine on the same store (a restart restores the store from its changelog), partition 1 of 2
    const h2 = fresh(2, 1);
    h2.clock.set(h.clock.now() + HOUR);
    h2.publish(promo({ maxConcurrentInstances: 4 }, 'P1D'));
    await h2.send(event('signup', 'c'));
    expect(h2.trail('c')).toEqual(['$entry:discarded:maxConcurrentInstances']); // share of 4 over 2 is 2: full
    const h3 = fresh(1, 0);
    h3.clock.set(h.clock.now() + HOUR);
    h3.publish(promo({ maxConcurrentInstances: 4 }, 'P1D'));
    await h3.send(event('signup', 'c'));
    expect(h3.trail('c')).toEqual(['pause:entered']);
  });

  it('journeys without caps are not counted', async () => {
    h.publish(promo({}));
    for (const p of ['a', 'b', 'c', 'd', 'e']) await h.send(event('signup', p));
    expect(h.out.entries).toHaveLength(5);
    const keys: string[] = [];
    for await (const [k] of store.all()) keys.push(k);
    expect(keys).toEqual([]);
  });
});
