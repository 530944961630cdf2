/**
 * The per-partition timer index: timers keyed by due time (zero-padded epoch ms, then token) so that a range
 * scan from the start yields them in firing order. `emit` fills it (the set/cancel of each outcome, changelog
 * `jo.timers`) and the timers processor's punctuator drains it in bounded slices — through ONE index per store
 * (`TimerIndex.of`), so a timer `emit` sets below the last scan's bound is seen by the next scan.
 *
 * The index reads its store through `timerSerde`, which never throws: a record that is not JSON or not a timer
 * (written to `jo.timers` by hand, a corrupt local value) comes back as an `InvalidTimerRecord`; `due` skips it and
 * hands it over through `takeInvalid`, so the caller can dead-letter and delete it. One bad record never stops the
 * other timers of its partition.
 */
import type { KeyValueStore, Serde } from '../../topology/index.js';
import { TimerKinds, type JourneyTimer, type TimerOp } from './journey-model.js';

const WIDTH = 15; // epoch ms stay below 10^15 until the year 33658

/** Index key of a timer: due time first, so key order is firing order. */
export function timerKey(timer: Pick<JourneyTimer, 'dueAt' | 'token'>): string {
  return `${String(Math.max(0, Math.floor(timer.dueAt))).padStart(WIDTH, '0')}|${timer.token}`;
}

const PADDED_BELOW = 10 ** WIDTH;

/**
 * `timerKey(a) < timerKey(b)`, without making the keys when both due times are padded to the same width (always, in
 * practice): then keys order as their whole due ms, then as their tokens.
 */
export function keyBefore(a: Pick<JourneyTimer, 'dueAt' | 'token'>, b: Pick<JourneyTimer, 'dueAt' | 'token'>) {
  const da = Math.max(0, Math.floor(a.dueAt));
  const db = Math.max(0, Math.floor(b.dueAt));
  if (!(da < PADDED_BELOW && db < PADDED_BELOW)) return timerKey(a) < timerKey(b);
  return da !== db ? da < db : a.token < b.token;
}

/** A timer-index value that is not a timer: its bytes and why. */
export class InvalidTimerRecord {
  constructor(
    readonly bytes: Buffer,
    readonly reason: string,
  ) {}
}

/** An invalid record found by a scan, with its index key. */
export interface InvalidTimerEntry {
  readonly key: string;
  readonly record: InvalidTimerRecord;
}

const KINDS: ReadonlySet<string> = new Set(TimerKinds);

function isTimer(x: unknown): x is JourneyTimer {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Record<string, unknown>;
  return (
    typeof t.token === 'string' &&
    typeof t.dueAt === 'number' &&
    Number.isFinite(t.dueAt) &&
    typeof t.kind === 'string' &&
    KINDS.has(t.kind) &&
    typeof t.profileKey === 'string' &&
    typeof t.journeyId === 'string' &&
    typeof t.version === 'number' &&
    typeof t.instanceId === 'string' &&
    typeof t.nodeId === 'string'
  );
}

/** The timer store's serde: JSON timers in, `InvalidTimerRecord` (never an exception) for anything else. */
export const timerSerde: Serde<JourneyTimer | InvalidTimerRecord> = {
  serialize: (v) => Buffer.from(JSON.stringify(v)),
  deserialize: (b) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(b.toString('utf8'));
    } catch {
      return new InvalidTimerRecord(b, 'not JSON');
    }
    return isTimer(parsed) ? parsed : new InvalidTimerRecord(b, 'JSON but not a timer');
  },
};

function jsonBytes(x: unknown): Buffer {
  return Buffer.from(JSON.stringify(x) ?? 'null');
}

const indexes = new WeakMap<KeyValueStore<unknown>, TimerIndex>();

export class TimerIndex {
  /**
   * No pending timer has a key below this: scans start here instead of at the beginning of the index, where the
   * fired timers' deletions pile up until RocksDB compacts them. Lowered by any timer set below it (a clock that
   * stepped back), so it is a bound, never a guess — which holds only if every writer goes through this object.
   */
  private floor = '';
  private invalid: InvalidTimerEntry[] = [];

  /** The one index of `store` (a task's timer store is shared by `emit` and the timers processor). */
  static of(store: KeyValueStore<unknown>): TimerIndex {
    let idx = indexes.get(store);
    if (!idx) indexes.set(store, (idx = new TimerIndex(store as KeyValueStore<JourneyTimer | InvalidTimerRecord>)));
    return idx;
  }

  constructor(private readonly store: KeyValueStore<JourneyTimer | InvalidTimerRecord>) {}

  /** Applies a set or cancel. */
  async apply(op: TimerOp): Promise<void> {
    const key = timerKey(op.timer);
    if (op.op === 'set') {
      if (key < this.floor) this.floor = key;
      await this.store.put(key, op.timer);
    } else await this.store.delete(key);
  }

  /**
   * Up to `limit` timers due at or before `now`, earliest first (never one due later: timers never fire early).
   * Invalid records met on the way are skipped and kept for `takeInvalid` (they do not count against `limit`).
   */
  async due(now: number, limit: number): Promise<JourneyTimer[]> {
    const out: JourneyTimer[] = [];
    const to = timerKey({ dueAt: now + 1, token: '' });
    let first: string | undefined;
    for await (const [key, t] of this.store.range(this.floor, to)) {
      if (out.length >= limit) break;
      if (t instanceof InvalidTimerRecord || !isTimer(t)) {
        // (a store that keeps objects, not bytes, hands back whatever was put)
        const record = t instanceof InvalidTimerRecord ? t : new InvalidTimerRecord(jsonBytes(t), 'not a timer');
        first ??= key;
        this.invalid.push({ key, record });
      } else if (t.dueAt <= now) {
        first ??= key;
        out.push(t);
      }
    }
    // Nothing live below the first timer returned (whether or not the caller gets to remove them all), and with
    // none returned nothing live below `to`: key order is due order.
    this.floor = first ?? (to > this.floor ? to : this.floor);
    return out;
  }

  /** The invalid records the scans found since the last call; the caller dead-letters them and `removeKey`s them. */
  takeInvalid(): InvalidTimerEntry[] {
    const found = this.invalid;
    this.invalid = [];
    return found;
  }

  /** Removes a timer once fired. */
  async remove(timer: JourneyTimer): Promise<void> {
    await this.store.delete(timerKey(timer));
  }

  /** Removes an index entry by key (an invalid record). */
  async removeKey(key: string): Promise<void> {
    await this.store.delete(key);
  }

  /** Number of pending timers (the `jo_timers_pending` gauge). */
  size(): number {
    return this.store.approximateCount();
  }
}
