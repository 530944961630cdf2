import { describe, expect, it } from 'vitest';
import type { Consumer } from '../kafka/kafka-client.js';
import type { ConsumerCrash } from '../kafka/port-client.js';
import { ConsumerWatch } from './consumer-watch.js';

/** The two events ConsumerWatch listens to, fired by hand. */
function fakeConsumer() {
  let join: (() => void) | undefined;
  let crash: ((e: ConsumerCrash) => void) | undefined;
  const consumer = {
    onGroupJoin: (l: () => void) => void (join = l),
    onCrash: (l: (e: ConsumerCrash) => void) => void (crash = l),
  } as unknown as Consumer;
  return {
    consumer,
    join: () => join?.(),
    crash: (restart: boolean) => crash?.({ error: new Error('down'), restart }),
  };
}

describe('ConsumerWatch', () => {
  it('rebuilds a consumer kafkajs gave up on every 0.5 s doubling to 5 s while the broker stays away', async () => {
    const pauses: number[] = [];
    let failures = 7;
    let rebuilt = 0;
    const watch = new ConsumerWatch({
      timer: { sleep: async (ms: number) => void pauses.push(ms) },
      stopped: () => false,
      restart: async () => {
        if (failures-- > 0) throw new Error('connect ECONNREFUSED');
        rebuilt++;
      },
    });
    const c = fakeConsumer();
    watch.watch(c.consumer);
    c.join();
    expect(watch.healthy).toBe(true);
    c.crash(false);
    expect(watch.healthy).toBe(false);
    await expect.poll(() => rebuilt).toBe(1);
    // the broker came back during the last pause: at most 5 s between it and the next try
    expect(pauses).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
    expect(watch.healthy).toBe(false); // down until the rebuilt consumer has joined its group
    c.join();
    expect(watch.healthy).toBe(true);
    expect(watch.crashes).toBe(1);
  });

  it('leaves a crash kafkajs restarts itself to kafkajs, and is down until the group is joined again', async () => {
    let restarts = 0;
    const watch = new ConsumerWatch({
      timer: { sleep: async () => undefined },
      stopped: () => false,
      restart: async () => void restarts++,
    });
    const c = fakeConsumer();
    watch.watch(c.consumer);
    c.join();
    c.crash(true);
    expect(watch.healthy).toBe(false);
    await new Promise((r) => setTimeout(r, 10));
    expect(restarts).toBe(0);
    c.join();
    expect(watch.healthy).toBe(true);
  });
});
