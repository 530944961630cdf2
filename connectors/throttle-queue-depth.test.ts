import { describe, expect, it } from 'vitest';
import { ManualTimer, type Admin } from '../topology/index.js';
import { QueueDepth } from './throttle-queue-depth.js';

function depth() {
  const seen: Array<ReadonlyMap<string, number>> = [];
  const admin = async (): Promise<Admin> => {
    throw new Error('not sampled in this test');
  };
  const d = new QueueDepth({ admin, topic: 'q', timer: new ManualTimer(0), onUnread: (u) => seen.push(u) });
  return { d, seen };
}

describe('QueueDepth: the unread part of the throttle queue', () => {
  it('counts what is left beyond the fetched batch, and nothing once the consumer read to the end', () => {
    const { d, seen } = depth();
    // partition 0 ends at 5,000; the consumer fetched offsets 0..999 (one action)
    d.fetched(
      0,
      Array.from({ length: 1_000 }, () => 'mail'),
      '999',
      '5000',
    );
    expect(d.unread()).toEqual(new Map([['mail', 4_000]]));
    expect(seen.at(-1)).toEqual(new Map([['mail', 4_000]]));
    // the last batch holds only the transaction marker at 5,000 (high watermark 5,001)
    d.fetched(
      0,
      Array.from({ length: 4_000 }, () => 'mail'),
      '4999',
      '5001',
    );
    d.fetched(0, [], '5000', '5001');
    expect(d.unread()).toEqual(new Map([['mail', 0]]));
  });

  it('splits a shared partition in proportion to the actions read from it; a rebalance forgets it', () => {
    const { d } = depth();
    d.fetched(1, [...Array.from({ length: 300 }, () => 'a'), ...Array.from({ length: 100 }, () => 'b')], '399', '1200');
    d.fetched(2, ['c'], '0', '11');
    expect(d.unread()).toEqual(
      new Map([
        ['a', 600],
        ['b', 200],
        ['c', 10],
      ]),
    );
    d.forget();
    expect(d.unread()).toEqual(new Map());
  });

  it('never goes below zero when the sampled end is older than a fetched batch', () => {
    const { d } = depth();
    d.fetched(0, ['mail'], '41', '30');
    expect(d.unread()).toEqual(new Map([['mail', 0]]));
  });
});
