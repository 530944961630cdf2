/**
 * The per-partition timer index: timers keyed by due time (zero-padded epoch ms, then token) so that a range
 * scan from the start yields them in firing order. The timers processor fills it from `jo.timers` and its
 * punctuator drains it in bounded slices.
 */
import type { KeyValueStore } from '../../topology/index.js';
import type { Timer, TimerOp } from './journey-model.js';

const WIDTH = 15; // epoch ms stay below 10^15 until the year 33658

/** Index key of a timer: due time first, so key order is firing order. */
export function timerKey(timer: Pick<Timer, 'dueAt' | 'token'>): string {
  return `${String(Math.max(0, Math.floor(timer.dueAt))).padStart(WIDTH, '0')}|${timer.token}`;
}

export class TimerIndex {
  /**
   * No pending timer has a key below this: scans start here instead of at the beginning of the index, where the
   * fired timers' deletions pile up until RocksDB compacts them. Lowered by any timer set below it (a clock that
   * stepped back), so it is a bound, never a guess.
   */
  private floor = '';

  constructor(private readonly store: KeyValueStore<Timer>) {}

  /** Applies a set or cancel. */
  async apply(op: TimerOp): Promise<void> {
    const key = timerKey(op.timer);
    if (op.op === 'set') {
      if (key < this.floor) this.floor = key;
      await this.store.put(key, op.timer);
    } else await this.store.delete(key);
  }

  /** Up to `limit` timers due at or before `now`, earliest first (never one due later: timers never fire early). */
  async due(now: number, limit: number): Promise<Timer[]> {
    const out: Timer[] = [];
    const to = timerKey({ dueAt: now + 1, token: '' });
    let first: string | undefined;
    for await (const [key, t] of this.store.range(this.floor, to)) {
      if (out.length >= limit) break;
      if (t.dueAt <= now) {
        first ??= key;
        out.push(t);
      }
    }
    // Nothing live below the first timer returned (whether or not the caller gets to remove them all), and with
    // none returned nothing live below `to`: key order is due order.
    this.floor = first ?? (to > this.floor ? to : this.floor);
    return out;
  }

  /** Removes a timer once fired. */
  async remove(timer: Timer): Promise<void> {
    await this.store.delete(timerKey(timer));
  }

  /** Number of pending timers (the `jo_timers_pending` gauge). */
  size(): number {
    return this.store.approximateCount();
  }
}
