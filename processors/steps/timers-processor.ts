/**
 * Processor `timers`: fires the due timers of the partition's timer index from a wall-clock punctuator, earliest
 * first, at most `timerSliceSize` per punctuation so that an overdue burst after downtime is worked off between
 * live records. It has no input: `emit` writes the index (set/cancel of each outcome), whose changelog is
 * `jo.timers`; both go through the task's one `TimerIndex`. A timer is never fired before its due time; a stale one
 * (its token no longer matches the instance) changes nothing. Pending count and lateness are metrics.
 *
 * Failures: a timer's removal and its outcome's records are written in the same task transaction. An error a retry
 * can fix (a store read, a data source) is thrown: the runtime aborts that transaction (the removal with it) and
 * relaunches the task, so the timer fires again. Any other error dead-letters the timer (`TIMER_FIRE_FAILED`, its
 * JSON as value) and removes it; an index record that is not a timer is dead-lettered (`TIMER_RECORD_INVALID`) and
 * deleted. Neither stops the partition's other timers.
 */
import { isRetryable, type Processor, type ProcessorContext } from '../../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { type JourneyTimer, TimerIndex } from '../journey/index.js';
import { NO_HEADERS, STORES, type StepDeps } from '../topology-options.js';

export class TimersProcessor implements Processor<never, never, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;
  private index!: TimerIndex;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
    this.index = TimerIndex.of(ctx.getStateStore(STORES.timers));
    ctx.schedule(this.deps.limits.timerIntervalMs, 'wall-clock', () => this.fireDue());
    this.gauge();
  }

  private gauge(): void {
    this.journeys.metrics.timersPending.set({ partition: this.ctx.partition }, this.index.size());
  }

  /** Never called: the processor has no parent (the topology builder accepts that for processors with stores). */
  process(): void {
    throw new TypeError('the timers processor has no input');
  }

  /** Fires the due timers of this partition (one bounded slice). */
  async fireDue(): Promise<void> {
    const now = this.journeys.clock.now();
    const due = await this.index.due(now, this.deps.limits.timerSliceSize);
    for (const bad of this.index.takeInvalid()) {
      await this.ctx.deadLetter({
        code: 'TIMER_RECORD_INVALID',
        message: `timer index record ${bad.key} is ${bad.record.reason}`,
        key: Buffer.from(bad.key, 'utf8'),
        value: bad.record.bytes,
      });
      await this.index.removeKey(bad.key);
    }
    for (const t of due) await this.fire(t, now);
    this.gauge();
  }

  private async fire(t: JourneyTimer, now: number): Promise<void> {
    try {
      const outcome = await this.journeys.engine.onTimer(t, (await this.journeys.profile(t.profileKey)) ?? null);
      await this.index.remove(t);
      this.journeys.metrics.timerLateness.observe({}, (now - t.dueAt) / 1000);
      this.journeys.metrics.timersFired.inc({ kind: t.kind });
      await this.ctx.forward({ key: t.profileKey, value: { outcome }, timestamp: now, headers: NO_HEADERS });
    } catch (err) {
      if (isRetryable(err)) throw err;
      await this.ctx.deadLetter({
        code: 'TIMER_FIRE_FAILED',
        message: `timer ${t.token} (${t.kind}, journey ${t.journeyId}) failed: ${err instanceof Error ? err.message : String(err)}`,
        key: Buffer.from(t.profileKey, 'utf8'),
        value: Buffer.from(JSON.stringify(t)),
      });
      await this.index.remove(t);
    }
  }
}
