/**
 * Processor `enrich`: attaches the profile (from the task's profile store, materialized from `jo.profiles`) to
 * each repartitioned event. Custom data sources are not fetched here but by the evaluation, only for the node
 * being evaluated (see `datasourceLoader` in task-journeys.ts), so events whose journeys never read them cost nothing.
 */
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../topology/index.js';
import type { EnrichedEvent } from './task-journeys.js';
import type { NormalizedEvent } from '../journey/index.js';
import { STORES } from '../topology-options.js';

export class EnrichProcessor implements Processor<string, NormalizedEvent, string, EnrichedEvent> {
  private ctx!: ProcessorContext<string, EnrichedEvent>;
  private profiles!: KeyValueStore<unknown>;

  init(ctx: ProcessorContext<string, EnrichedEvent>): void {
    this.ctx = ctx;
    this.profiles = ctx.getStateStore<unknown>(STORES.profiles);
  }

  async process(r: StreamRecord<string, NormalizedEvent>): Promise<void> {
    const profile = (await this.profiles.get(r.key)) ?? null;
    await this.ctx.forward({ ...r, value: { event: r.value, profile } });
  }
}
