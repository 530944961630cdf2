/**
 * How long a failed task waits before the app relaunches it: 1 s, doubling up to 30 s while it keeps failing, back
 * to 1 s once it ran for a healthy period. A task that cannot commit (a broker outage, a partition the broker
 * refuses) was relaunched every second before, each time reconnecting its producer and restoring its stores.
 */
import type { Clock } from '../api/clock.js';

export interface RelaunchBackoffOptions {
  /** First pause (default 1,000 ms). */
  readonly initialMs?: number;
  /** Largest pause (default 30,000 ms). */
  readonly maxMs?: number;
  /** A task that ran at least this long before failing starts again from `initialMs` (default 60,000 ms). */
  readonly healthyMs?: number;
}

export class RelaunchBackoff {
  private readonly tasks = new Map<string, { failures: number; launchedAt: number }>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly healthyMs: number;

  constructor(
    private readonly clock: Clock,
    opts: RelaunchBackoffOptions = {},
  ) {
    this.initialMs = opts.initialMs ?? 1_000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.healthyMs = opts.healthyMs ?? 60_000;
  }

  /** The task was (re)launched now. */
  launched(taskId: string): void {
    const e = this.tasks.get(taskId);
    if (e) e.launchedAt = this.clock.now();
    else this.tasks.set(taskId, { failures: 0, launchedAt: this.clock.now() });
  }

  /** The task failed now: the pause before its relaunch. */
  failed(taskId: string): number {
    const now = this.clock.now();
    const e = this.tasks.get(taskId) ?? { failures: 0, launchedAt: now };
    if (now - e.launchedAt >= this.healthyMs) e.failures = 0;
    e.failures++;
    this.tasks.set(taskId, e);
    return Math.min(this.maxMs, this.initialMs * 2 ** Math.min(e.failures - 1, 30));
  }
}
