import { describe, expect, it } from 'vitest';
import { SerialLock } from './serial-lock.js';

describe('SerialLock', () => {
  it('runs calls one at a time in call order, also after a failure, and a free lock costs no wait', async () => {
    const lock = new SerialLock();
    const log: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const first = lock.run(async () => {
      log.push('1 start');
      await gate;
      log.push('1 end');
      throw new Error('boom');
    });
    const second = lock.run(async () => {
      log.push('2');
      return 2;
    });
    const third = lock.run(() => Promise.resolve(log.push('3')));
    await Promise.resolve();
    expect(log).toEqual(['1 start']);
    open();
    await expect(first).rejects.toThrow('boom');
    expect(await second).toBe(2);
    await third;
    expect(log).toEqual(['1 start', '1 end', '2', '3']);
    expect(lock.acquire()).toBeUndefined(); // free again
    const waiting = lock.acquire();
    expect(waiting).toBeInstanceOf(Promise);
    lock.release(); // hands over to the waiter: still held
    await waiting;
    expect(lock.acquire()).toBeInstanceOf(Promise);
  });
});
