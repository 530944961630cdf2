/**
 * Injected time, one abstraction for every folder. Two interfaces, each with a system and a manual kind:
 *
 * | | reads time | also waits (`sleep`, `after`, `yield`) |
 * |---|---|---|
 * | interface | `Clock` (clock.ts) | `Timer` = `Clock` + waits |
 * | production | `SystemClock` | `SystemTimer` (`systemTimer`) |
 * | tests | `ManualClock`: `advance` is sync, nothing is scheduled on it | `ManualTimer`: `advance` is async, due callbacks run in time order |
 *
 * Code that only stamps or compares times takes a `Clock` (the topology, its test driver: the driver fires
 * punctuators itself, so its `ManualClock.advance` needs no awaiting). Code that waits takes a `Timer`
 * (connectors, the runtime's retries and heartbeats). A `ManualTimer` can be built over a test's `ManualClock`, so
 * one test has one time: advancing the timer moves that clock. Nothing in topology/, processors/ or connectors/
 * calls Date.now, setTimeout or setImmediate directly — which is what makes a 30-day wait testable in
 * milliseconds.
 *
 * Liveness: `SystemTimer.after` schedules background work (a heartbeat, a retry) and does not keep the process
 * alive; `sleep` is awaited by someone and does.
 */
import { ManualClock, type Clock } from './clock.js';

export interface Timer extends Clock {
  /** Resolves after `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lets I/O callbacks (heartbeats, fetches) run between records. */
  yield(): Promise<void>;
  /**
   * Calls `fn` after `ms` milliseconds; returns a function that cancels it. A pending `after` does not keep the
   * process alive (the system timer unrefs it): it is for background work, and whoever must wait awaits `sleep`.
   */
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
      // ref'd, unlike `after`: an awaited sleep keeps the process alive until it ends
      const cancel = arm(ms, done, true);
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
    return arm(ms, fn, false);
  }
}

/** The one place that arms a real timer; `keepAlive: false` unrefs it. */
function arm(ms: number, fn: () => void, keepAlive: boolean): () => void {
  // eslint-disable-next-line no-restricted-globals
  const t = setTimeout(fn, Math.max(0, ms));
  if (!keepAlive) t.unref();
  return () => clearTimeout(t);
}

/** The process's timer. */
export const systemTimer: Timer = new SystemTimer();

/**
 * A manual `Timer`: `after`/`sleep` callbacks run, in time order, when `advance` passes their due time. Built over a
 * `ManualClock` (a start time makes a new one), whose time it reads and moves: pass the test driver's clock to give
 * a test one time. Moving that clock directly fires nothing; only `advance` runs callbacks.
 */
export class ManualTimer implements Timer {
  private readonly clock: ManualClock;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start?: number | ManualClock) {
    this.clock = start instanceof ManualClock ? start : new ManualClock(start);
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
