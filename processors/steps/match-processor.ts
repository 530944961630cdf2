/**
 * Processor `match`: an enriched event continues the profile's running instances that wait for it (first
 * matching event wins), then enters the live journeys it is the entry event of (re-entrance rules, entry
 * condition); the resulting steps go to `emit`. Everything else is counted as discarded with a reason.
 */
import type { Processor, ProcessorContext, StreamRecord } from '../../topology/index.js';
import { taskJourneys, type EnrichedEvent, type OutcomeRecord, type TaskJourneys } from './task-journeys.js';
import { NO_HEADERS, type StepDeps } from '../topology-options.js';

export class MatchProcessor implements Processor<string, EnrichedEvent, string, OutcomeRecord> {
  private ctx!: ProcessorContext<string, OutcomeRecord>;
  private journeys!: TaskJourneys;

  constructor(private readonly deps: StepDeps) {}

  init(ctx: ProcessorContext<string, OutcomeRecord>): void {
    this.ctx = ctx;
    this.journeys = taskJourneys(ctx, this.deps);
  }

  async process(r: StreamRecord<string, EnrichedEvent>): Promise<void> {
    const outcome = await this.journeys.engine.onEvent(r.value.event, r.value.profile);
    await this.ctx.forward({
      key: r.key,
      value: { outcome, eventTimestamp: r.timestamp },
      timestamp: r.timestamp,
      headers: NO_HEADERS,
    });
  }
}
