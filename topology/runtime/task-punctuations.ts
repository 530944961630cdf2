/**
 * The punctuators of one stream task (task.ts): scheduled through the processors' contexts, fired in due order
 * after records (stream time) and by the owner's clock (wall clock). A punctuator that throws fails the
 * punctuation with `PunctuationError`, so the owner drops the open work and the punctuation runs again.
 */
import { JoError, RetryableError } from '../api/errors.js';
import type { Punctuator, PunctuationType } from '../api/processor.js';
import type { Punctuation } from './task-context.js';

/**
 * A punctuator threw. Whatever it wrote before throwing (a timer's removal, a store update) must not be committed
 * without the rest: the owner drops the open work — the Kafka task runner aborts the transaction, rolls the stores
 * back and relaunches the task (with backoff), so the punctuation runs again. Punctuators handle the errors a retry
 * cannot fix themselves (dead-letter and go on); see the timers processor.
 */
export class PunctuationError extends RetryableError {
  constructor(taskId: string, code: string, cause: unknown) {
    super(code, `task ${taskId}: a punctuator failed: ${errorMessage(cause)}`, { cause });
  }
}

export function errorCode(err: unknown, fallback: string): string {
  return err instanceof JoError ? err.code : fallback;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class TaskPunctuations {
  private readonly all: Punctuation[] = [];
  private cancelled = false;

  constructor(
    private readonly now: () => number,
    /** Called with the error's code when a punctuator threw, before `PunctuationError` is thrown. */
    private readonly onFailure: (err: unknown, code: string) => PunctuationError,
  ) {}

  add(p: Punctuation): void {
    if (p.type === 'wall-clock') p.next = this.now() + p.interval;
    else p.next = 0;
    this.all.push(p);
  }

  /** Earliest due time of a wall-clock punctuator (Infinity if none). */
  nextWallClockDue(): number {
    let min = Infinity;
    for (const p of this.all) if (p.type === 'wall-clock' && !p.cancelled && p.next < min) min = p.next;
    return min;
  }

  /** Whether a punctuator of `type` is due at `now` (checked after every record, without a promise). */
  due(type: PunctuationType, now: number): boolean {
    if (now < 0 || this.cancelled) return false;
    for (const p of this.all) if (p.type === type && !p.cancelled && p.next <= now) return true;
    return false;
  }

  /** Runs the punctuators of `type` due at `now`, earliest first; rejects with `PunctuationError`. */
  async fire(type: PunctuationType, now: number): Promise<void> {
    if (!this.due(type, now)) return;
    const due = this.all
      .filter((p) => p.type === type && !p.cancelled && p.next <= now)
      .sort((a, b) => a.next - b.next);
    for (const p of due) {
      if (p.cancelled) continue;
      // Aligned to the schedule; intervals missed while idle fire once, as in Kafka Streams.
      p.next += p.interval * (Math.floor((now - p.next) / p.interval) + 1);
      await this.run(p.callback, now);
    }
  }

  cancelAll(): void {
    this.cancelled = true;
    for (const p of this.all) p.cancelled = true;
  }

  private async run(cb: Punctuator, now: number): Promise<void> {
    try {
      await cb(now);
    } catch (err) {
      throw this.onFailure(err, errorCode(err, 'PUNCTUATION_FAILED'));
    }
  }
}
