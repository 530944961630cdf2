/**
 * Injected time for connectors: a Clock plus one-shot timers, so limiter, breaker and retry logic can be driven
 * by a {@link ManualTimer} in unit tests. Real I/O waits still take real time in integration tests.
 */
import type { Clock } from '../topology/index.js';

export interface Timer extends Clock {
  /** Calls `fn` after `ms` milliseconds; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** The process clock and `setTimeout`. */
export const systemTimer: Timer = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** Resolves after `ms` on `timer` (at once when `ms` ≤ 0). */
export function sleep(timer: Timer, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => void timer.after(ms, resolve));
}

/** A timer that only moves when told to: `advance(ms)` runs every callback that became due, in time order. */
export class ManualTimer implements Timer {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return () => void this.pending.delete(id);
  }

  /** Number of callbacks waiting. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing due callbacks; awaits microtasks between them so promise chains can react. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
