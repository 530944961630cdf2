import type { Clock } from '../api/clock.js';
import type { Timer } from '../api/timer.js';

/**
 * Processing time shared by all tasks of a process between two turns of the event loop. Each task used to get
 * its own slice, so a commit's broker round trip waited for every task's slice (12 tasks × 10 ms) before its
 * response was read, and a commit of 4–5 round trips took half a second under load. With one shared slice the
 * network is polled at least every `ms` of processing, whichever task does it.
 */
export class CpuSlice {
  private start = Number.NEGATIVE_INFINITY;
  private turn: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timer: Timer,
    readonly ms = 10,
  ) {}

  /** True when this turn's processing time is used up. */
  spent(): boolean {
    return this.clock.now() - this.start >= this.ms;
  }

  /** Resolves at the next turn of the event loop (pending I/O runs first); the first task back opens the slice. */
  next(): Promise<void> {
    this.turn ??= this.timer.yield().then(() => {
      this.turn = undefined;
      this.start = this.clock.now();
    });
    return this.turn;
  }
}
