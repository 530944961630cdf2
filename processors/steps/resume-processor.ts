/**
 * Processor `resume`: continues instances from action results (`jo.action-results`, keyed by profile key),
 * taking an action node's `onError` path on error/timedout/capped, and ends every running instance of a
 * journey version once it is stopped, and continues the instances a pause halted once the journey is resumed (a
 * wall-clock check of the config view; each stop and resume is handled once per partition, remembered in a
 * store). Outcomes go to `emit`.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ActionResult } from '../../schemas/index.js';
import { type KeyValueStore, type Processor, type ProcessorContext, type StreamRecord } from '../../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { processorCodes } from '../codes.js';
import { NO_HEADERS, STORES, type StepDeps } from '../topology-options.js';

/** Compiled once: `Value.Check` walks the schema for every result (a few % of a replay's CPU). */
const actionResult = TypeCompiler.Compile(ActionResult);

export class ResumeProcessor implements Processor<string | null, unknown, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;
  private stops!: KeyValueStore<number>;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
    this.stops = ctx.getStateStore<number>(STORES.stops);
    ctx.schedule(this.deps.limits.stopCheckIntervalMs, 'wall-clock', async () => {
      await this.sweepStops();
      await this.sweepResumes();
    });
  }

  async process(r: StreamRecord<string | null, unknown>): Promise<void> {
    if (!actionResult.Check(r.value))
      throw processorCodes.error('ACTION_RESULT_INVALID', 'a jo.action-results record is not an action result');
    const result = r.value;
    const key = result.profileKey ?? r.key ?? '';
    const outcome = await this.journeys.engine.onResult(result, key, (await this.journeys.profile(key)) ?? null);
    await this.ctx.forward({ key, value: { outcome }, timestamp: r.timestamp, headers: NO_HEADERS });
  }

  /** Continues the instances a pause halted, once per resume of each journey (remembered in the stops store). */
  async sweepResumes(): Promise<void> {
    for (const rec of this.deps.view.journeys()) {
      if (rec.resumedAt === undefined || rec.pausedAt !== undefined) continue;
      const k = `resume/${rec.id}`;
      const at = Date.parse(rec.resumedAt);
      if ((await this.stops.get(k)) === at) continue;
      const outcome = await this.journeys.engine.resumeJourney(rec.id, (key) => this.journeys.profile(key));
      await this.stops.put(k, at);
      await this.ctx.forward({ key: k, value: { outcome }, timestamp: this.journeys.clock.now(), headers: NO_HEADERS });
    }
  }

  /** Ends the running instances of versions stopped since the last check. */
  async sweepStops(): Promise<void> {
    for (const rec of this.deps.view.journeys())
      for (const v of rec.versions) {
        if (v.state !== 'stopped') continue;
        const k = `${rec.id}@${v.version}`;
        if ((await this.stops.get(k)) !== undefined) continue;
        const outcome = await this.journeys.engine.stopVersion(rec.id, v.version);
        await this.stops.put(k, this.journeys.clock.now());
        await this.ctx.forward({
          key: k,
          value: { outcome },
          timestamp: this.journeys.clock.now(),
          headers: NO_HEADERS,
        });
      }
  }
}
