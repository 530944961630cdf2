/**
 * One shard of a replay: a `JourneySimulation` of the replayed version with a `ReplayCounter` as its observer,
 * fed with profiles and batches of events, run up to the time the caller says every input before it has been
 * handed over. It runs in the reading thread (one shard) or in a worker thread (replay-worker.ts, several shards),
 * driven by the same messages either way.
 *
 * Events travel in packed batches (one byte buffer, offsets, timestamps) so a batch moves to a worker thread
 * without a copy per event.
 */
import type { ActionConfig, DataSourceConfig, EventConfig, JourneyRecord } from '../../schemas/index.js';
import { JourneySimulation, type JourneySimulationOptions } from '../../processors/index.js';
import { ReplayCounter, type ReplayCounts } from './replay-counter.js';

/** What every shard starts from (plain data: it is copied to worker threads). */
export interface ShardSetup {
  readonly resources: {
    readonly events: readonly EventConfig[];
    readonly actions: readonly ActionConfig[];
    readonly datasources: readonly DataSourceConfig[];
  };
  readonly journeys: readonly JourneyRecord[];
  readonly responses?: JourneySimulationOptions['responses'];
  readonly start: number;
}

/** Events of one batch for one shard: `values[i]` is `bytes[valueEnds[i-1] .. valueEnds[i])`; keys alike (-1: null). */
export interface PackedEvents {
  readonly ats: Float64Array;
  readonly bytes: Uint8Array;
  readonly keyEnds: Int32Array;
  readonly valueEnds: Int32Array;
}

/** A message to a shard, in the order the shard must apply them. */
export type ShardMessage =
  | { readonly type: 'setup'; readonly setup: ShardSetup }
  | { readonly type: 'profiles'; readonly keys: readonly string[]; readonly values: ReadonlyArray<string | null> }
  | { readonly type: 'events'; readonly events: PackedEvents; readonly until: number }
  | { readonly type: 'finish'; readonly until: number };

/** What a shard answers to each message: done, the counts (to `finish`), or a failure. */
export type ShardReply =
  | { readonly type: 'done' }
  | { readonly type: 'counts'; readonly counts: ReplayCounts }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };

/** Packs events (record timestamp, key, value) into one buffer. */
export function packEvents(list: ReadonlyArray<{ at: number; key: Buffer | null; value: Buffer }>): PackedEvents {
  let size = 0;
  for (const e of list) size += (e.key?.length ?? 0) + e.value.length;
  const bytes = new Uint8Array(size);
  const ats = new Float64Array(list.length);
  const keyEnds = new Int32Array(list.length);
  const valueEnds = new Int32Array(list.length);
  let at = 0;
  list.forEach((e, i) => {
    ats[i] = e.at;
    if (e.key === null) keyEnds[i] = -1;
    else {
      bytes.set(e.key, at);
      keyEnds[i] = at += e.key.length;
    }
    bytes.set(e.value, at);
    valueEnds[i] = at += e.value.length;
  });
  return { ats, bytes, keyEnds, valueEnds };
}

/** The buffers a packed batch holds (to transfer them to a worker thread). */
export function packedBuffers(p: PackedEvents): ArrayBuffer[] {
  return [p.ats.buffer, p.bytes.buffer, p.keyEnds.buffer, p.valueEnds.buffer] as ArrayBuffer[];
}

export class ReplayShard {
  private readonly counter = new ReplayCounter();
  private sim!: JourneySimulation;

  static async create(setup: ShardSetup): Promise<ReplayShard> {
    const s = new ReplayShard();
    s.sim = await JourneySimulation.create({
      resources: setup.resources,
      journeys: setup.journeys,
      ...(setup.responses ? { responses: setup.responses } : {}),
      start: setup.start,
      observer: s.counter,
    });
    return s;
  }

  /** Applies one message (not `setup`: that is `create`); the counts for `finish`. */
  async apply(m: ShardMessage): Promise<ReplayCounts | undefined> {
    if (m.type === 'setup') throw new Error('a replay shard is set up once');
    if (m.type === 'profiles') {
      for (let i = 0; i < m.keys.length; i++) {
        const v = m.values[i];
        await this.sim.profile(m.keys[i] ?? '', v === null || v === undefined ? null : (JSON.parse(v) as unknown));
      }
    } else if (m.type === 'events') {
      this.add(m.events);
      await this.sim.run(m.until);
    } else {
      await this.sim.run(m.until);
      return this.counter.counts;
    }
    return undefined;
  }

  private add(p: PackedEvents): void {
    const buf = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
    let start = 0;
    for (let i = 0; i < p.ats.length; i++) {
      const keyEnd = p.keyEnds[i] ?? -1;
      const key = keyEnd < 0 ? null : buf.subarray(start, keyEnd);
      if (keyEnd >= 0) start = keyEnd;
      const end = p.valueEnds[i] ?? start;
      this.sim.addEvent(p.ats[i] ?? 0, buf.subarray(start, end), key);
      start = end;
    }
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}
