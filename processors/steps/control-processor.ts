/**
 * Processor `control`: applies control records from `jo.controls` (keyed by profile key, co-partitioned with the
 * profile's state, written by the REST API) to the profile's instances — today a manual exit, which ends the
 * running instance once (`ended`, `manualExit`) in the task's transaction. Outcomes go to `emit`.
 */
import { Value } from '@sinclair/typebox/value';
import { ControlRecord } from '../../schemas/index.js';
import { type Processor, type ProcessorContext, type StreamRecord } from '../../topology/index.js';
import { taskJourneys, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { processorCodes } from '../codes.js';
import { NO_HEADERS, type StepDeps } from '../topology-options.js';

export class ControlProcessor implements Processor<string | null, unknown, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
  }

  async process(r: StreamRecord<string | null, unknown>): Promise<void> {
    if (r.key === null || !Value.Check(ControlRecord, r.value))
      throw processorCodes.error('CONTROL_INVALID', 'a jo.controls record is not a control record keyed by profile');
    const c = r.value;
    const outcome = await this.journeys.engine.exitProfile(r.key, c.journeyId, c.controlId);
    await this.ctx.forward({ key: r.key, value: { outcome }, timestamp: r.timestamp, headers: NO_HEADERS });
  }
}
