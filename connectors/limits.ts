/**
 * Capping and throttling: token buckets (rate) and semaphores (concurrency), kept in a {@link LimitRegistry}
 * keyed by action id and endpoint origin so every connector instance in this process shares them. Over a limit a
 * call waits up to `maxWaitMs` and then fails as `capped`; time comes from an injected {@link Timer}.
 */
import { ConnectorCodes, ConnectorTerminalError } from './errors.js';
import { LruMap } from './lru-map.js';
import { systemTimer, type Timer } from '../topology/index.js';

/**
 * A token bucket with a FIFO queue of waiters. Tokens are taken when a waiter is actually let go (not when it
 * asked), so the calls that follow never exceed `burst` + `perSecond` × t in any window t, however late timers
 * fire. One timer drives the queue; a waiter whose expected wait exceeds its `maxWaitMs` is refused at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly queue: Array<() => void> = [];
  private cancelTimer: (() => void) | undefined;

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
    if (now > this.last) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = Math.max(this.last, now);
  }

  /** Waiters queued. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Expected ms until a new waiter would get its token. */
  expectedWaitMs(): number {
    this.refill();
    const need = this.queue.length + 1 - this.tokens;
    return need <= 0 ? 0 : (need * 1000) / this.perSecond;
  }

  /** Resolves true once a token was taken, or false at once (nothing taken) if the wait would exceed `maxWaitMs`. */
  take(maxWaitMs: number): Promise<boolean> {
    // a budget already spent (a caller's clock moved on while it waited elsewhere) still takes a free token
    if (this.expectedWaitMs() > Math.max(0, maxWaitMs)) return Promise.resolve(false);
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      this.queue.push(() => resolve(true));
      this.schedule();
    });
  }

  /** Returns a taken token that will not be used. */
  giveBack(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
    this.drain();
  }

  private drain(): void {
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()?.();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.cancelTimer || this.queue.length === 0) return;
    this.refill();
    // A timer that fires early (libuv's cached loop time) finds too few tokens and simply re-arms.
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
    this.cancelTimer = this.timer.after(ms, () => {
      this.cancelTimer = undefined;
      this.drain();
    });
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

/** Scopes (actions, origins) whose limit state is kept at most; least recently used idle ones go first. */
export const MAX_LIMIT_SCOPES = 10_000;

/**
 * Shared rate and concurrency state. One per process unless a test wants its own. Keyed by scope, and origins come
 * from commands (anyone who can produce to a command topic names them): at most `maxScopes` buckets and semaphores
 * are kept (a semaphore with permits out or waiters is never dropped; a dropped scope starts afresh).
 */
export class LimitRegistry {
  private readonly buckets: LruMap<string, TokenBucket>;
  private readonly sems: LruMap<string, Semaphore>;

  constructor(
    readonly timer: Timer = systemTimer,
    maxScopes = MAX_LIMIT_SCOPES,
  ) {
    this.buckets = new LruMap(maxScopes);
    this.sems = new LruMap(maxScopes, (s) => s.inUse === 0 && s.waiting === 0);
  }

  /** Scopes with rate-limit and concurrency state kept (each at most `maxScopes`, busy semaphores aside). */
  get sizes(): { readonly buckets: number; readonly semaphores: number } {
    return { buckets: this.buckets.size, semaphores: this.sems.size };
  }

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
   * rate limit (taken just before the call goes out); returns the release function. Throws `CAPPED` (terminal) when a limit holds longer.
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
    const taken: TokenBucket[] = [];
    for (const spec of specs) {
      const b = this.bucket(spec);
      if (!b) continue;
      if (!(await b.take(maxWaitMs - (this.timer.now() - start)))) {
        taken.forEach((t) => t.giveBack());
        release();
        throw new ConnectorTerminalError(ConnectorCodes.capped, `rate limit ${b.perSecond}/s of ${spec.key}`);
      }
      taken.push(b);
    }
    return release;
  }
}

/** The registry every connector in this process shares unless given another. */
export const processLimits = new LimitRegistry();
