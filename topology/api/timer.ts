/**
 * Injected waiting. The Kafka runtime's task loops sleep and yield through a `Timer` so that nothing in
 * topology/ calls setTimeout/setImmediate directly (tests and the test driver never sleep: they advance a
 * `ManualClock`).
 */
export interface Timer {
  /** Resolves after `ms` (or at once when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lets I/O callbacks (heartbeats, fetches) run between records. */
  yield(): Promise<void>;
}

export class SystemTimer implements Timer {
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      // The one place in topology/ that arms a real timer.
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
