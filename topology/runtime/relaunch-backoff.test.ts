import { describe, expect, it } from 'vitest';
import { ManualClock } from '../api/clock.js';
import { RelaunchBackoff } from './relaunch-backoff.js';

describe('RelaunchBackoff', () => {
  it('doubles from 1 s to 30 s while a task keeps failing, and starts over after a healthy run', () => {
    const clock = new ManualClock();
    const b = new RelaunchBackoff(clock);
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      b.launched('0_1');
      clock.advance(500);
      const pause = b.failed('0_1');
      pauses.push(pause);
      clock.advance(pause);
    }
    expect(pauses).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    // another task has its own count
    b.launched('1_1');
    expect(b.failed('1_1')).toBe(1_000);
    // ran a minute, then failed: back to the first pause
    b.launched('0_1');
    clock.advance(60_000);
    expect(b.failed('0_1')).toBe(1_000);
  });
});
