/**
 * Injected time, one abstraction for every folder: a `Timer` is a `Clock` that can also wait (`sleep`, `after`) and
 * yield to I/O. Nothing in topology/, processors/ or connectors/ calls Date.now, setTimeout or setImmediate
 * directly: production code gets `SystemTimer` (`systemTimer`), unit tests a `ManualTimer` (time moves only when
 * told; due callbacks run in time order), and the test driver a `ManualClock`, which is what makes a 30-day wait
 * testable in milliseconds.
 */
import { ManualClock, type Clock } from './clock.js';

export interface Timer extends Clock {
  /** Resolves after `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lets I/O callbacks (heartbeats, fetches) run between records. */
  yield(): Promise<void>;
  /** Calls `fn` after `ms` milliseconds; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export class SystemTimer implements Timer {
  now(): number {
    // The one place besides SystemClock that reads the system clock.
    // eslint-disable-next-line no-restricted-properties
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = this.after(ms, done);
      function done() {
        cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  after(ms: number, fn: () => void): () => void {
    // The one place that arms a real timer.
    // eslint-disable-next-line no-restricted-globals
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  }
}

/** The process's timer. */
export const systemTimer: Timer = new SystemTimer();

/**
 * A manual clock whose `after`/`sleep` callbacks run, in time order, when `advance` passes their due time. (The test
 * driver's `ManualClock` only moves time: it has no callbacks, so its `advance` needs no awaiting.)
 */
export class ManualTimer implements Timer {
  private readonly clock: ManualClock;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start?: number) {
    this.clock = new ManualClock(start);
  }

  now(): number {
    return this.clock.now();
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now() + Math.max(0, ms), fn });
    return () => void this.pending.delete(id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = this.after(ms, resolve);
      signal?.addEventListener('abort', () => (cancel(), resolve()), { once: true });
    });
  }

  yield(): Promise<void> {
    return flush();
  }

  /** Number of callbacks waiting. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing due callbacks; awaits microtasks between them so promise chains can react. */
  async advance(ms: number): Promise<void> {
    const end = this.now() + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      if (next[1].at > this.now()) this.clock.set(next[1].at);
      next[1].fn();
    }
    this.clock.set(end);
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
