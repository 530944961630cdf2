import { describe, expect, it } from 'vitest';
import { LimitRegistry, Semaphore, TokenBucket } from './limits.js';
import { ManualTimer } from './timer.js';

describe('TokenBucket', () => {
  it('spends the burst at once, then spaces tokens at the rate', () => {
    const t = new ManualTimer();
    const b = new TokenBucket(50, 5, t);
    const waits = Array.from({ length: 8 }, () => b.reserve(10_000));
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits.slice(5)).toEqual([20, 40, 60]);
  });

  it('refuses a reservation that would wait longer than maxWait and takes nothing then', () => {
    const t = new ManualTimer();
    const b = new TokenBucket(10, 1, t);
    expect(b.reserve(0)).toBe(0);
    expect(b.reserve(50)).toBeUndefined();
    expect(b.reserve(100)).toBe(100);
    b.cancel();
    expect(b.reserve(100)).toBe(100);
  });

  it('never issues more than burst + rate × window tokens in any window', async () => {
    const t = new ManualTimer(0);
    const b = new TokenBucket(50, 5, t);
    const sendTimes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const w = b.reserve(1e9);
      if (w === undefined) throw new Error('refused');
      sendTimes.push(t.now() + w);
      if (i % 7 === 0) await t.advance(3);
    }
    sendTimes.sort((a, c) => a - c);
    let maxInWindow = 0;
    for (let i = 0, j = 0; i < sendTimes.length; i++) {
      while ((sendTimes[i] ?? 0) - (sendTimes[j] ?? 0) >= 1000) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
    expect(maxInWindow).toBeLessThanOrEqual(55);
    expect((sendTimes[999] ?? 0) - (sendTimes[0] ?? 0)).toBeGreaterThanOrEqual(((1000 - 5) / 50) * 1000 - 1);
  });
});

describe('Semaphore', () => {
  it('hands permits out in order and lets waiters give up after maxWait', async () => {
    const t = new ManualTimer();
    const s = new Semaphore(1, t);
    expect(await s.acquire(0)).toBe(true);
    expect(await s.acquire(0)).toBe(false);
    const a = s.acquire(100);
    const b = s.acquire(1_000);
    await t.advance(150);
    expect(await a).toBe(false);
    s.release();
    expect(await b).toBe(true);
    expect(s.inUse).toBe(1);
    s.release();
    expect(s.inUse).toBe(0);
  });
});

describe('LimitRegistry', () => {
  it('shares limits by key, waits for a rate token, and caps beyond maxWait', async () => {
    const t = new ManualTimer();
    const r = new LimitRegistry(t);
    const spec = { key: 'action:a', perSecond: 10, burst: 1 };
    const rel1 = await r.acquire([spec], 1_000);
    rel1();
    let done = false;
    const second = r.acquire([spec], 1_000).then((rel) => {
      done = true;
      return rel;
    });
    await t.advance(50);
    expect(done).toBe(false);
    await t.advance(60);
    expect(done).toBe(true);
    (await second)();
    await expect(r.acquire([spec], 10)).rejects.toMatchObject({ code: 'CAPPED' });
  });

  it('caps when the concurrency limit holds longer than maxWait and releases on done', async () => {
    const t = new ManualTimer();
    const r = new LimitRegistry(t);
    const spec = { key: 'origin:x', maxConcurrency: 2 };
    const a = await r.acquire([spec], 0);
    await r.acquire([spec], 0);
    const third = r.acquire([spec], 500);
    await t.advance(501);
    await expect(third).rejects.toMatchObject({ code: 'CAPPED' });
    a();
    await expect(r.acquire([spec], 0)).resolves.toBeTypeOf('function');
  });
});
