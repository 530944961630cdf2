import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ManualTimer, systemTimer } from './timer.js';

/** Ref'd timers of this process (an unref'd timer is not listed: it does not keep the process alive). */
const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('SystemTimer', () => {
  it('a pending after does not keep the process alive; an awaited sleep does', async () => {
    // measured without yielding in between, so nothing else in this worker can arm or clear a timer meanwhile
    const before = refTimers();
    const cancel = systemTimer.after(60_000, () => undefined);
    expect(refTimers()).toBe(before);
    cancel();

    const abort = new AbortController();
    const sleeping = systemTimer.sleep(60_000, abort.signal);
    expect(refTimers()).toBe(before + 1);
    abort.abort();
    await sleeping;
    expect(refTimers()).toBe(before);
  });

  it('after still fires, and its cancel stops it', async () => {
    const fired: string[] = [];
    systemTimer.after(1, () => fired.push('kept'));
    systemTimer.after(1, () => fired.push('cancelled'))();
    await systemTimer.sleep(20);
    expect(fired).toEqual(['kept']);
  });
});

describe('ManualTimer over a ManualClock', () => {
  it('is one time: advancing the timer moves the clock and fires due callbacks in time order', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const timer = new ManualTimer(clock);
    const fired: Array<[string, number]> = [];
    timer.after(2_000, () => fired.push(['b', clock.now()]));
    timer.after(1_000, () => fired.push(['a', clock.now()]));
    const slept = timer.sleep(30 * 86_400_000).then(() => fired.push(['30 days', clock.now()]));
    await timer.advance(1_500);
    expect(fired).toEqual([['a', Date.UTC(2026, 0, 1) + 1_000]]);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 1_500);
    await timer.advance(30 * 86_400_000);
    await slept;
    expect(fired.map(([n]) => n)).toEqual(['a', 'b', '30 days']);
    expect(timer.now()).toBe(clock.now());
  });

  it('moving the clock directly fires nothing: only advance runs callbacks', async () => {
    const clock = new ManualClock();
    const timer = new ManualTimer(clock);
    let fired = 0;
    timer.after(1_000, () => fired++);
    clock.advance(5_000);
    expect(fired).toBe(0);
    expect(timer.waiting).toBe(1);
    await timer.advance(0);
    expect(fired).toBe(1);
  });
});
