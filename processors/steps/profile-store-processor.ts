/**
 * Processor `profile-store`: materializes the compacted `jo.profiles` topic (key `<namespace>:<id>`, JSON
 * attributes, null = delete) into the task's profile store. `jo.profiles` is co-partitioned with the events
 * repartition topic, so a profile is in the same task as that profile's events.
 */
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../topology/index.js';
import { STORES } from '../topology-options.js';

export class ProfileStoreProcessor implements Processor<string | null, unknown, never, never> {
  private store!: KeyValueStore<unknown>;

  init(ctx: ProcessorContext<never, never>): void {
    this.store = ctx.getStateStore<unknown>(STORES.profiles);
  }

  async process(r: StreamRecord<string | null, unknown>): Promise<void> {
    if (r.key === null) return;
    if (r.value === null || r.value === undefined) await this.store.delete(r.key);
    else await this.store.put(r.key, r.value);
  }
}
