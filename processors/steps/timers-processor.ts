/**
 * Processor `timers`: fires the due timers of the partition's timer index from a wall-clock punctuator, earliest
 * first, at most `timerSliceSize` per punctuation so that an overdue burst after downtime is worked off between
 * live records. It has no input: `emit` writes the index (set/cancel of each outcome), whose changelog is
 * `jo.timers`. A timer is never fired before its due time; a stale one (its token no longer matches the instance)
 * changes nothing. Pending count and lateness are metrics.
 */
import { type Processor, type ProcessorContext } from '../../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { type Timer, TimerIndex } from '../journey/index.js';
import { STORES, type StepDeps } from '../topology-options.js';

export class TimersProcessor implements Processor<never, never, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;
  private index!: TimerIndex;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
    this.index = new TimerIndex(ctx.getStateStore<Timer>(STORES.timers));
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
    for (const t of due) {
      await this.index.remove(t);
      this.journeys.metrics.timerLateness.observe({}, (now - t.dueAt) / 1000);
      this.journeys.metrics.timersFired.inc({ kind: t.kind });
      const outcome = await this.journeys.engine.onTimer(t, (await this.journeys.profile(t.profileKey)) ?? null);
      await this.ctx.forward({ key: t.profileKey, value: { outcome }, timestamp: now, headers: {} });
    }
    this.gauge();
  }
}
