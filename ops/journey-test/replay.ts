/**
 * Replay: runs one journey version over a past time range of `jo.events`, read from the broker with a consumer of
 * its own (offsets by timestamp, nothing committed), with profiles from `jo.profiles` as of now and resources from
 * `jo.config`. The clock is driven by event timestamps (events of all partitions are merged in time order); action
 * and data-source calls get canned responses. Nothing is written to any topic, no endpoint is called.
 *
 * Counts what the version would have done — steps per node, commands per action, peak commands per second per
 * endpoint — and, with `compare`, what the live engine did in the same range (from `jo.step-events`).
 * Instances that entered before the range are not in it; timers due after its end do not fire.
 */
import { availableParallelism } from 'node:os';
import {
  ConfigView,
  type ActionConfig,
  type CannedResponses,
  type DataSourceConfig,
  type EventConfig,
  type JourneyRecord,
  type JourneyState,
  type topicNames,
} from '../../schemas/index.js';
import { stepsOf } from '../../processors/index.js';
import type { KafkaClient } from '../../topology/index.js';
import { countStep, orderedCounts, type NodeCounts } from './replay-counter.js';
import type { ShardSetup } from './replay-shard.js';
import { ReplayShards, type ReplayEvent } from './replay-shards.js';
import { rangesByTime, rangesToNow, readRanges, type PartitionRange } from './topic-reader.js';

type JourneyVersion = JourneyRecord['versions'][number];

export type { NodeCounts };

export interface ReplayOptions {
  readonly kafka: KafkaClient;
  readonly topics: ReturnType<typeof topicNames>;
  readonly journeyId: string;
  /** Default: the live version, else the newest. */
  readonly version?: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly responses?: {
    readonly actions?: Record<string, CannedResponses>;
    readonly datasources?: Record<string, CannedResponses>;
  };
  readonly compare?: boolean;
  /** Called as events are read: processed so far and the total in the range. */
  readonly progress?: (done: number, total: number) => void;
  /** Wall-clock ms (injected: the replay itself never reads the system clock for results). */
  readonly now?: () => number;
  /**
   * Shards of the simulation (worker threads when more than one; default {@link defaultReplayWorkers}). A version
   * with entry caps or an audience entry counts across profiles: it runs in one shard whatever this says.
   */
  readonly workers?: number;
}
export interface ReplayResult {
  readonly journey: { readonly id: string; readonly version: number; readonly state: JourneyState };
  readonly from: string;
  readonly to: string;
  readonly events: number;
  readonly profiles: number;
  /** Wall-clock time of reading and simulating the events, and the rate. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly nodes: NodeCounts;
  readonly commands: Record<string, number>;
  /** Per endpoint (scheme://host:port of the rendered URL): most commands in one simulated second. */
  readonly peaks: Record<string, { readonly perSecond: number; readonly at: string }>;
  readonly discards: Record<string, number>;
  /** With `compare`: the live engine's steps of this journey (every version) in the range, per node. */
  readonly live?: { readonly versions: number[]; readonly nodes: NodeCounts };
  /** Shards the simulation ran in. */
  readonly workers: number;
}

/**
 * Default shards: one per core, at most 4 (2 on 2 cores: the reading thread is light — reading the range alone runs
 * at ~180,000 events/s — and on a quiet 2-core machine two shards measured 1.8× one; see
 * docs/benchmarks.md#replay); `JO_REPLAY_WORKERS` sets it (empty: the default).
 */
export function defaultReplayWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const set = env['JO_REPLAY_WORKERS'];
  const n = set === undefined || set.trim() === '' ? Math.min(availableParallelism(), 4) : Number(set);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

async function loadConfig(o: ReplayOptions): Promise<ConfigView> {
  const view = new ConfigView();
  await readRanges(o.kafka, o.topics.config, await rangesToNow(o.kafka, o.topics.config), (_p, msgs) => {
    for (const m of msgs) view.apply(m.key?.toString('utf8') ?? '', m.value);
  });
  return view;
}

function pickVersion(view: ConfigView, o: ReplayOptions) {
  const rec = view.journey(o.journeyId);
  if (!rec) throw new Error(`journey "${o.journeyId}" is not in ${o.topics.config}`);
  const n = o.version ?? view.liveVersion(o.journeyId) ?? rec.versions.at(-1)?.version;
  const v = rec.versions.find((x) => x.version === n);
  if (!v) throw new Error(`journey "${o.journeyId}" has no version ${String(n)}`);
  if (!view.compiled(o.journeyId, v.version)) throw new Error(`version ${v.version} does not compile any more`);
  return v;
}

function shardSetup(o: ReplayOptions, view: ConfigView): { setup: ShardSetup; version: JourneyVersion } {
  const v = pickVersion(view, o);
  const at = new Date(o.fromMs).toISOString();
  const setup: ShardSetup = {
    resources: {
      events: view.list('event') as EventConfig[],
      actions: view.list('action') as ActionConfig[],
      datasources: view.list('datasource') as DataSourceConfig[],
    },
    journeys: [
      { id: o.journeyId, versions: [{ ...v, state: 'live', createdAt: at, publishedAt: at, journey: v.journey }] },
    ],
    ...(o.responses ? { responses: o.responses } : {}),
    start: o.fromMs,
  };
  return { setup, version: v };
}

/** Whether `v` counts across profiles (entry caps, an audience entry): then it runs in one shard. */
function countsAcrossProfiles(v: JourneyVersion): boolean {
  const j = v.journey;
  return j.maxEntriesPerDay !== undefined || j.maxConcurrentInstances !== undefined || j.entry.audience !== undefined;
}

async function loadProfiles(o: ReplayOptions, shards: ReplayShards): Promise<number> {
  const keys = new Set<string>();
  await readRanges(o.kafka, o.topics.profiles, await rangesToNow(o.kafka, o.topics.profiles), async (_p, msgs) => {
    for (const m of msgs) {
      const key = m.key?.toString('utf8');
      if (!key) continue;
      if (m.value === null) keys.delete(key);
      else keys.add(key);
      shards.profile(key, m.value === null ? null : m.value.toString('utf8'));
    }
    await shards.flushProfiles();
  });
  return keys.size;
}

/** Feeds the range's events, merged across partitions by timestamp, and runs the simulation behind them. */
async function replayEvents(o: ReplayOptions, shards: ReplayShards, ranges: PartitionRange[]): Promise<number> {
  const last = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, -Infinity]));
  const endOf = new Map(ranges.map((r) => [r.partition, r.end]));
  let events = 0;
  await readRanges(o.kafka, o.topics.events, ranges, async (partition, msgs) => {
    const batch: ReplayEvent[] = [];
    for (const m of msgs) {
      const ts = Number(m.timestamp);
      if (ts < o.fromMs || ts >= o.toMs || m.value === null) continue;
      batch.push({ at: ts, key: m.key ?? null, value: m.value });
    }
    events += batch.length;
    const lastMsg = msgs.at(-1);
    if (lastMsg && BigInt(lastMsg.offset) + 1n >= (endOf.get(partition) ?? 0n)) last.delete(partition);
    else if (lastMsg) last.set(partition, Number(lastMsg.timestamp));
    // every partition has been read past this time: what is before it can run in time order
    const watermark = Math.min(...last.values());
    await shards.events(batch, Number.isFinite(watermark) ? watermark - 1 : -Infinity, msgs.length);
  });
  return events;
}

async function liveCounts(o: ReplayOptions): Promise<NonNullable<ReplayResult['live']>> {
  const nodes: NodeCounts = {};
  const versions = new Set<number>();
  const ranges = await rangesByTime(o.kafka, o.topics.stepEvents, o.fromMs, o.toMs);
  await readRanges(o.kafka, o.topics.stepEvents, ranges, (_p, msgs) => {
    for (const m of msgs) {
      if (Number(m.timestamp) < o.fromMs || Number(m.timestamp) >= o.toMs || m.value === null) continue;
      for (const s of stepsOf(JSON.parse(m.value.toString('utf8')))) {
        if (s.journeyId !== o.journeyId) continue;
        versions.add(s.journeyVersion);
        countStep(nodes, s);
      }
    }
  });
  return { versions: [...versions].sort((a, b) => a - b), nodes };
}

/** Runs a replay (see the file comment). */
export async function runReplay(o: ReplayOptions): Promise<ReplayResult> {
  const now = o.now ?? (() => performance.now());
  let total = 0;
  const progress = (done: number) => o.progress?.(done, total);
  // worker threads load the code while the configuration is read
  let shards = new ReplayShards(o.workers ?? defaultReplayWorkers(), progress);
  try {
    const view = await loadConfig(o);
    const { setup, version } = shardSetup(o, view);
    if (shards.count > 1 && countsAcrossProfiles(version)) {
      await shards.close();
      shards = new ReplayShards(1, progress);
    }
    const ranges = await rangesByTime(o.kafka, o.topics.events, o.fromMs, o.toMs);
    total = ranges.reduce((s, r) => s + Number(r.end > r.start ? r.end - r.start : 0n), 0);
    await shards.setup(setup);
    const profiles = await loadProfiles(o, shards);
    const t0 = now();
    const events = await replayEvents(o, shards, ranges);
    const counts = await shards.finish(o.toMs);
    const seconds = (now() - t0) / 1000;
    return {
      journey: { id: o.journeyId, version: version.version, state: version.state },
      from: new Date(o.fromMs).toISOString(),
      to: new Date(o.toMs).toISOString(),
      events,
      profiles,
      seconds,
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
      ...orderedCounts(counts, Object.keys(version.journey.nodes)),
      ...(o.compare ? { live: await liveCounts(o) } : {}),
      workers: shards.count,
    };
  } finally {
    await shards.close();
  }
}
