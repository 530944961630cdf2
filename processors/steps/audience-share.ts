/**
 * How much of the thread the audience scans of one process may take (issue 18, docs/governance.md → Audience entry).
 * The scans share the thread with live records, so each `intervalMs` window grants them a slice of time, shared by
 * all tasks of the process. The slice adapts to what the thread has to spare: at the start of each window, if the
 * event loop was idle for at least a fifth of the last window (no backlog of live records; the entries' outputs and
 * commits kept up) the slice grows by half, up to `maxMs`; if it was idle for less than a tenth it is halved, down to
 * `minMs` (a third instead of a fifth left ~30% of the thread idle through a scan, measured). The punctuator's own lateness is no signal: the runtime runs due punctuators between slices of a batch,
 * so they are on time even while records pile up (measured: a lateness rule let a 40k scan push the events' p50
 * latency from 3.5 s to 25 s). Without an idle signal the slice stays at `minMs`.
 */
export interface ScanShareLimits {
  readonly intervalMs: number;
  /** The slice the scans always get; also the first one. */
  readonly minMs: number;
  /** The largest slice (at most `intervalMs`). */
  readonly maxMs: number;
}

export class ScanShare {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private grant: number;

  /** `loopIdle`: the share of time the event loop was idle since its last call (0..1). */
  constructor(
    private readonly limits: ScanShareLimits,
    private readonly loopIdle?: () => number,
  ) {
    this.grant = limits.minMs;
  }

  /** The time left to scan in the window `now` falls in (a new window starts when the last one ended). */
  left(now: number): number {
    const { intervalMs, minMs, maxMs } = this.limits;
    if (now < this.windowStart || now - this.windowStart >= intervalMs) {
      const idle = this.loopIdle?.();
      // a long pause between windows (nothing to scan) tells nothing about the load now: start from the minimum
      if (idle === undefined || now - this.windowStart > intervalMs * 10) this.grant = minMs;
      else if (idle >= 0.2) this.grant = Math.min(maxMs, Math.max(minMs, this.grant * 1.5));
      else if (idle < 0.1) this.grant = Math.max(minMs, this.grant / 2);
      this.windowStart = now;
      this.used = 0;
    }
    return this.grant - this.used;
  }
  /** Records `ms` spent scanning in the current window. */
  spend(ms: number): void {
    this.used += ms;
  }

  /** The current slice per window (for tests and metrics). */
  get sliceMs(): number {
    return this.grant;
  }
}
