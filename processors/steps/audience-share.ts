/**
 * How much of the thread the audience scans of one process may take (issue 18, docs/governance.md → Audience entry).
 * The scans share the thread with live records, so each `intervalMs` window grants them a slice of time, shared by
 * all tasks of the process. The slice adapts: the audience punctuator is due every `intervalMs`, and when the next
 * window begins on time (the thread had time to spare: no backlog of live records, the entries' outputs and commits
 * kept up) the slice grows by half, up to `maxMs`; when it begins late (records or commits held the thread) it is
 * halved, down to `minMs`. So an otherwise idle engine scans with most of its thread, and a busy one with a tenth.
 */
export interface ScanShareLimits {
  readonly intervalMs: number;
  /** The slice the scans always get; also the first one. */
  readonly minMs: number;
  /** The largest slice (at most `intervalMs`). */
  readonly maxMs: number;
}

/** A window that begins within this fraction of the interval after the previous one's end is on time. */
const ON_TIME = 0.25;

export class ScanShare {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private grant: number;

  constructor(private readonly limits: ScanShareLimits) {
    this.grant = limits.minMs;
  }

  /** The time left to scan in the window `now` falls in (a new window starts when the last one ended). */
  left(now: number): number {
    const { intervalMs, minMs, maxMs } = this.limits;
    if (now < this.windowStart || now - this.windowStart >= intervalMs) {
      if (Number.isFinite(this.windowStart)) {
        const late = now - this.windowStart - intervalMs;
        // a long pause between windows with nothing to scan is not lateness: start again from the minimum
        if (late > intervalMs * 10) this.grant = minMs;
        else if (late <= intervalMs * ON_TIME) this.grant = Math.min(maxMs, Math.max(minMs, this.grant * 1.5));
        else this.grant = Math.max(minMs, this.grant / 2);
      }
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
