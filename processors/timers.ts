/**
 * Processor `timers`: indexes the `jo.timers` records (set/cancel, written by `emit` in the same transaction as
 * the step that scheduled them) in the per-partition timer index ordered by due time, and fires due timers from
 * a wall-clock punctuator, earliest first, at most `timerSliceSize` per punctuation so that an overdue burst
 * after downtime is worked off between live records. A timer is never fired before its due time; a stale one
 * (its token no longer matches the instance) changes nothing. Pending count and lateness are metrics.
 */
import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import { TerminalError, type Processor, type ProcessorContext, type StreamRecord } from '../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './journey-env.js';
import { TimerKinds, type Timer } from './journey-model.js';
import { STORES, type Shared } from './options.js';
import { TimerIndex } from './timer-index.js';

const TimerSchema = Type.Object({
  token: Type.String(),
  dueAt: Type.Number(),
  kind: Type.Union(TimerKinds.map((k) => Type.Literal(k))),
  profileKey: Type.String(),
  journeyId: Type.String(),
  version: Type.Integer(),
  instanceId: Type.String(),
  nodeId: Type.String(),
});
const TimerOpSchema = Type.Object({
  op: Type.Union([Type.Literal('set'), Type.Literal('cancel')]),
  timer: TimerSchema,
});

export class TimersProcessor implements Processor<string | null, unknown, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;
  private index!: TimerIndex;

  constructor(private readonly shared: Shared) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.shared);
    this.index = new TimerIndex(ctx.getStateStore<Timer>(STORES.timers));
    ctx.schedule(this.shared.limits.timerIntervalMs, 'wall-clock', () => this.fireDue());
    this.gauge();
  }

  private gauge(): void {
    this.journeys.metrics.timersPending.set({ partition: this.ctx.partition }, this.index.size());
  }

  async process(r: StreamRecord<string | null, unknown>): Promise<void> {
    if (!Value.Check(TimerOpSchema, r.value))
      throw new TerminalError('TIMER_RECORD_INVALID', 'a jo.timers record is not a timer set/cancel operation');
    await this.index.apply(r.value);
    this.gauge();
  }

  /** Fires the due timers of this partition (one bounded slice). */
  async fireDue(): Promise<void> {
    const now = this.journeys.clock.now();
    const due = await this.index.due(now, this.shared.limits.timerSliceSize);
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
