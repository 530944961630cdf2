/**
 * `ProfileShards`: which of `n` independent simulations an input belongs to, so a replay can run its simulation in
 * `n` shards (worker threads) the way the live engine runs it in partitions: everything of one profile — its
 * `jo.profiles` record and every event that normalizes to it — goes to the same shard, chosen by murmur2 of the
 * profile key `<namespace>:<id>` (the engine's partitioner).
 *
 * An event's profile is found with the engine's own normalizer (same configurations, same recognition order), so
 * the shard agrees with the `events-by-profile` repartition of the topology. Events the normalizer rejects or
 * discards have no profile: they go to shard 0, whose simulation rejects or discards them as one shard would.
 * When the configurations allow it, only the fields that decide the profile are read from the event's bytes
 * (`RoutingFields`, then the normalizer's recognition and identity code on them): the shard parses the event in
 * full anyway, and a full parse here was most of the reading thread's CPU.
 *
 * Who calls it: `jo replay` on the thread reading the broker. It holds no state besides the configurations.
 */
import type { EventConfig } from '../../schemas/index.js';
import { partitionForKey } from '../../topology/index.js';
import { normalizeEvent, profileKeyOf, profileKeyOfPayload, recognitionOrder } from '../journey/index.js';
import { DEFAULT_JOURNEY_LIMITS } from '../topology-options.js';
import { RoutingFields } from './routing-fields.js';

export class ProfileShards {
  private readonly events: EventConfig[];
  /** Undefined when some configuration maps the payload or uses a rule: then every event is normalized in full. */
  private readonly fields: RoutingFields | undefined;

  constructor(
    readonly count: number,
    events: readonly EventConfig[],
  ) {
    if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`shards must be a positive integer: ${count}`);
    this.events = recognitionOrder(events);
    this.fields = RoutingFields.of(this.events);
  }

  /** The shard of a `jo.profiles` record key. */
  ofProfile(key: string): number {
    return this.count === 1 ? 0 : partitionForKey(Buffer.from(key, 'utf8'), this.count);
  }

  /** The shard of a `jo.events` record value (read at `timestamp`, the record's); a promise when normalized in full. */
  ofEvent(value: Buffer, timestamp: number): number | Promise<number> {
    if (this.count === 1) return 0;
    const fields = value.length <= DEFAULT_JOURNEY_LIMITS.maxEventBytes ? this.fields?.read(value) : undefined;
    if (fields === undefined) return this.normalized(value, timestamp);
    const key = profileKeyOfPayload(fields, this.events, timestamp);
    return key === undefined ? 0 : this.ofProfile(key);
  }

  private async normalized(value: Buffer, timestamp: number): Promise<number> {
    const r = await normalizeEvent({
      value,
      events: this.events,
      maxBytes: DEFAULT_JOURNEY_LIMITS.maxEventBytes,
      fallbackId: '',
      fallbackTimestamp: timestamp,
      now: timestamp,
    });
    return r.kind === 'event' ? this.ofProfile(profileKeyOf(r.event.identity)) : 0;
  }
}
