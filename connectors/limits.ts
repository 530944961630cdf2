/**
 * Capping and throttling: token buckets (rate) and semaphores (concurrency), kept in a {@link LimitRegistry}
 * keyed by action id and endpoint origin so every connector instance in this process shares them. Over a limit a
 * call waits up to `maxWaitMs` and then fails as `capped`; time comes from an injected {@link Timer}.
 */
import { ConnectorCodes, ConnectorTerminalError } from './errors.js';
import { sleep, systemTimer, type Timer } from './timer.js';

/**
 * A token bucket that hands out reservations (like Go's `rate.Limiter.Reserve`): taking a token may put the
 * bucket in debt, and the caller waits until the debt is paid. `burst` tokens may be spent at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly timer: Timer,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError('perSecond > 0 and burst >= 1 required');
    this.tokens = burst;
    this.last = timer.now();
  }

  private refill(): void {
    const now = this.timer.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }

  /** Takes a token; returns ms to wait before using it, or undefined (nothing taken) if that exceeds `maxWaitMs`. */
  reserve(maxWaitMs: number): number | undefined {
    this.refill();
    const after = this.tokens - 1;
    const wait = after >= 0 ? 0 : (-after * 1000) / this.perSecond;
    if (wait > maxWaitMs) return undefined;
    this.tokens = after;
    return wait;
  }

  /** Gives back a reserved token that will not be used. */
  cancel(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}

/** A counting semaphore whose waiters give up after a time limit. */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<(ok: boolean) => void> = [];

  constructor(
    readonly max: number,
    private readonly timer: Timer,
  ) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves true with a permit, or false after `maxWaitMs` without one. */
  acquire(maxWaitMs: number): Promise<boolean> {
    if (this.active < this.max) {
      this.active += 1;
      return Promise.resolve(true);
    }
    if (maxWaitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter = (ok: boolean): void => {
        cancel();
        resolve(ok);
      };
      const cancel = this.timer.after(maxWaitMs, () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(false);
      });
      this.queue.push(waiter);
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next(true);
    else this.active = Math.max(0, this.active - 1);
  }
}

/** Limits of one scope (an action, an origin). Either or both may be absent. */
export interface LimitSpec {
  readonly key: string;
  readonly perSecond?: number;
  /** Default: a tenth of a second's worth of tokens, at least 1. */
  readonly burst?: number;
  readonly maxConcurrency?: number;
}

/** Shared rate and concurrency state. One per process unless a test wants its own. */
export class LimitRegistry {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly sems = new Map<string, Semaphore>();

  constructor(readonly timer: Timer = systemTimer) {}

  bucket(spec: LimitSpec): TokenBucket | undefined {
    if (spec.perSecond === undefined) return undefined;
    const burst = spec.burst ?? Math.max(1, Math.floor(spec.perSecond / 10));
    let b = this.buckets.get(spec.key);
    if (!b || b.perSecond !== spec.perSecond || b.burst !== burst) {
      b = new TokenBucket(spec.perSecond, burst, this.timer);
      this.buckets.set(spec.key, b);
    }
    return b;
  }

  semaphore(spec: LimitSpec): Semaphore | undefined {
    if (spec.maxConcurrency === undefined) return undefined;
    let s = this.sems.get(spec.key);
    if (!s || s.max !== spec.maxConcurrency) {
      s = new Semaphore(spec.maxConcurrency, this.timer);
      this.sems.set(spec.key, s);
    }
    return s;
  }

  /**
   * Waits (at most `maxWaitMs` in total) for a concurrency permit of every spec, then for a token of every
   * rate limit; returns the release function. Throws `CAPPED` (terminal) when a limit holds longer.
   */
  async acquire(specs: readonly LimitSpec[], maxWaitMs: number): Promise<() => void> {
    const start = this.timer.now();
    const held: Semaphore[] = [];
    const release = (): void => held.splice(0).forEach((s) => s.release());
    for (const spec of specs) {
      const sem = this.semaphore(spec);
      if (!sem) continue;
      if (!(await sem.acquire(maxWaitMs - (this.timer.now() - start)))) {
        release();
        throw new ConnectorTerminalError(ConnectorCodes.capped, `concurrency limit ${sem.max} of ${spec.key}`);
      }
      held.push(sem);
    }
    const left = maxWaitMs - (this.timer.now() - start);
    const taken: TokenBucket[] = [];
    let wait = 0;
    for (const spec of specs) {
      const b = this.bucket(spec);
      if (!b) continue;
      const w = b.reserve(left);
      if (w === undefined) {
        taken.forEach((t) => t.cancel());
        release();
        throw new ConnectorTerminalError(ConnectorCodes.capped, `rate limit ${b.perSecond}/s of ${spec.key}`);
      }
      taken.push(b);
      wait = Math.max(wait, w);
    }
    await sleep(this.timer, wait);
    return release;
  }
}

/** The registry every connector in this process shares unless given another. */
export const processLimits = new LimitRegistry();
