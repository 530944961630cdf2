/**
 * Injected time that is only read: `Clock`, with `SystemClock` (production) and `ManualClock` (tests and the test
 * driver; `advance` is sync because nothing is scheduled on it). Code that also waits takes a `Timer`
 * (timer.ts, which tells the whole story: Clock vs Timer, system vs manual).
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export class SystemClock implements Clock {
  now(): number {
    // The one place in topology/ that reads the system clock.
    // eslint-disable-next-line no-restricted-properties
    return Date.now();
  }
}

export class ManualClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock never goes back');
    this.t += ms;
  }
  set(epochMs: number): void {
    if (epochMs < this.t) throw new RangeError('a clock never goes back');
    this.t = epochMs;
  }
}
