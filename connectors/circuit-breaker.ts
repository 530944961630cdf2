/**
 * A circuit breaker per endpoint: after `failureThreshold` consecutive failures it opens and callers fail fast
 * for `openMs`; then one probe is let through (half-open): success closes it, failure opens it again.
 */
import type { Clock } from '../topology/index.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit; default 5. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before a probe; default 10 s. */
  readonly openMs?: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private stateNow: BreakerState = 'closed';
  private probing = false;
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(
    private readonly clock: Clock,
    opts: BreakerOptions = {},
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.openMs = opts.openMs ?? 10_000;
  }

  get state(): BreakerState {
    if (this.stateNow === 'open' && this.clock.now() - this.openedAt >= this.openMs) return 'half-open';
    return this.stateNow;
  }

  /** True when a call may go out now. In half-open only one probe at a time is allowed. */
  tryPass(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.stateNow = 'half-open';
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.stateNow = 'closed';
  }

  failure(): void {
    this.probing = false;
    this.failures += 1;
    if (this.stateNow === 'half-open' || this.failures >= this.threshold) {
      this.stateNow = 'open';
      this.openedAt = this.clock.now();
    }
  }

  /** A call let through by `tryPass` was not made after all (e.g. rate-limited): frees the probe slot. */
  abandon(): void {
    this.probing = false;
  }
}
