/**
 * Processor `emit`: turns an outcome into records — commands to `jo.commands.<connector>`, one step record per
 * instance to `jo.step-events`, each keyed by profile key — applies its timer set/cancel to the partition's timer index (whose
 * changelog is `jo.timers`), and updates the journey metrics. Sinks and changelogs write into the task's
 * transaction, so the state change that produced an outcome and its records commit (or vanish) together: a crash
 * neither loses nor repeats a step.
 */
import { type KeyValueStore, type Processor, type ProcessorContext, type StreamRecord } from '../../topology/index.js';
import type { OutcomeRecord } from './task-journeys.js';
import { journeyMetrics, type JourneyMetrics } from './journey-metrics.js';
import { type Outcome, type ProfileState, TimerIndex, toStepRecords } from '../journey/index.js';
import { processorCodes } from '../codes.js';
import { NO_HEADERS, STORES, type StepDeps } from '../topology-options.js';

/** Sink node names. */
export const SINKS = {
  command: (connector: string) => `sink-commands-${connector}`,
  steps: 'sink-step-events',
  profiles: 'sink-profiles',
} as const;

export class EmitProcessor implements Processor<string, OutcomeRecord, string, unknown> {
  private ctx!: ProcessorContext<string, unknown>;
  private metrics!: JourneyMetrics;
  private timers!: TimerIndex;
  private profiles!: KeyValueStore<unknown>;
  /** This task's running instances per journey version: its share of `jo_journey_active_instances`. */
  private readonly active = new Map<string, { journey: string; version: number; n: number }>();

  constructor(private readonly deps: StepDeps) {}

  /**
   * The active-instances gauge counts instances in state, not entries since the process started: a task adds its
   * partition's running instances once when it starts (after restore) and takes them away when it closes.
   */
  async init(ctx: ProcessorContext<string, unknown>): Promise<void> {
    this.ctx = ctx;
    this.metrics = journeyMetrics(this.deps.metrics ?? ctx.metrics);
    this.timers = TimerIndex.of(ctx.getStateStore(STORES.timers));
    this.profiles = ctx.getStateStore<unknown>(STORES.profiles);
    for await (const [, state] of ctx.getStateStore<ProfileState>(STORES.instances).all())
      for (const pj of Object.values(state.journeys))
        if (pj.instance) this.addActive(pj.instance.journeyId, pj.instance.version, 1);
  }

  close(): void {
    for (const e of this.active.values())
      if (e.n !== 0) this.metrics.active.dec({ journey: e.journey, version: e.version }, e.n);
    this.active.clear();
  }

  private addActive(journey: string, version: number, n: number): void {
    const key = `${journey}\u0000${version}`;
    const e = this.active.get(key) ?? { journey, version, n: 0 };
    e.n += n;
    this.active.set(key, e);
    if (n > 0) this.metrics.active.inc({ journey, version }, n);
    else this.metrics.active.dec({ journey, version }, -n);
  }

  /** One output record of the input at `ts` to `sink`. */
  private out(key: string, value: unknown, ts: number, sink: string): Promise<void> {
    return this.ctx.forward({ key, value, timestamp: ts, headers: NO_HEADERS }, sink);
  }

  async process(r: StreamRecord<string, OutcomeRecord>): Promise<void> {
    const { outcome } = r.value;
    for (const c of outcome.commands)
      if (!this.deps.connectors.includes(c.connector))
        throw processorCodes.error('CONNECTOR_UNKNOWN', `no command topic for connector "${c.connector}"`);
    const ts = r.timestamp;
    for (const c of outcome.commands) {
      await this.out(c.command.profileKey, c.command, ts, SINKS.command(c.connector));
      this.metrics.commands.inc({ connector: c.connector, action: c.command.action });
    }
    // An updated profile is visible to the profile's next input at once (the store), and to everyone else through
    // jo.profiles, in the same transaction; reading our own record back later writes the same value again.
    for (const u of outcome.profileUpdates) {
      await this.profiles.put(u.profileKey, u.profile);
      await this.out(u.profileKey, u.profile, ts, SINKS.profiles);
      this.metrics.profileUpdates.inc({});
    }
    if (outcome.steps.length > 0)
      for (const rec of toStepRecords(outcome.steps, outcome.cause))
        await this.out(rec.profileKey, rec, ts, SINKS.steps);
    for (const s of outcome.steps) this.metrics.steps.inc({ status: s.status });
    if (outcome.timers.length > 0) await this.applyTimers(outcome.timers);
    this.count(r.value, (this.deps.clock ?? this.ctx.clock).now());
  }

  /**
   * Applies an outcome's timer set/cancel ops to the index. A timer set and cancelled within one outcome (an
   * instance that entered and ended at once) never needs to reach the index (nor jo.timers).
   */
  private async applyTimers(timers: Outcome['timers']): Promise<void> {
    // the common case (one op: an instance's one timer set or moved) needs no bookkeeping
    if (timers.length === 1) await this.timers.apply(timers[0] as Outcome['timers'][number]);
    else await this.applyEach(timers);
    this.metrics.timersPending.set({ partition: this.ctx.partition }, this.timers.size());
  }

  private async applyEach(timers: Outcome['timers']): Promise<void> {
    const set = new Set<string>();
    const cancelled = new Set<string>();
    for (const t of timers) (t.op === 'set' ? set : cancelled).add(t.timer.token);
    for (const t of timers) if (!(set.has(t.timer.token) && cancelled.has(t.timer.token))) await this.timers.apply(t);
  }

  private count({ outcome, eventTimestamp }: OutcomeRecord, now: number): void {
    for (const d of outcome.discards) this.metrics.discarded.inc({ reason: d.reason, journey: d.journeyId ?? '' });
    for (const c of outcome.capped) this.metrics.frequencyCapped.inc({ cap: c.cap, journey: c.journeyId });
    for (const e of outcome.entries) {
      this.metrics.entries.inc({ journey: e.journeyId, version: e.version });
      this.addActive(e.journeyId, e.version, 1);
    }
    for (const g of outcome.goals) this.metrics.goals.inc({ journey: g.journeyId, version: g.version });
    for (const e of outcome.exits) {
      this.metrics.exits.inc({ journey: e.journeyId, version: e.version, reason: e.reason });
      this.addActive(e.journeyId, e.version, -1);
    }
    if (eventTimestamp !== undefined && outcome.commands.length > 0)
      this.metrics.eventToCommand.observe({}, Math.max(0, now - eventTimestamp) / 1000);
  }
}
