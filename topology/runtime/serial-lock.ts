/**
 * Serializes a task's calls (process, punctuate, init, close) in call order without a promise per uncontended call:
 * a promise chain (`chain.then(fn, fn)`) cost two promises and a closure per record. `acquire` returns undefined when
 * the caller may run at once, else a promise resolved when its turn comes; every acquire is paired with a `release`.
 */
export class SerialLock {
  private active = false;
  /** Calls waiting for their turn, in call order. */
  private readonly waiters: Array<() => void> = [];

  acquire(): Promise<void> | undefined {
    if (!this.active) {
      this.active = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hands the lock to the next waiting call (it stays held), or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active = false;
  }

  /** Runs `fn` after the calls before it, and before the calls after it (whether they settle or fail). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.acquire();
    if (turn) await turn;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
