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
import {
  ConfigView,
  type ActionCommand,
  type ActionConfig,
  type CannedResponses,
  type DataSourceConfig,
  type EventConfig,
  type JourneyState,
  type topicNames,
} from '../../schemas/index.js';
import { JourneySimulation, stepsOf, type SimStep, type SimulationObserver } from '../../processors/index.js';
import type { KafkaClient } from '../../topology/index.js';
import { rangesByTime, rangesToNow, readRanges, type PartitionRange } from './topic-reader.js';

export type NodeCounts = Record<string, Record<string, number>>;

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
}

function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

function countStep(nodes: NodeCounts, s: SimStep): void {
  if (s.journeyId === '') return;
  bump((nodes[s.nodeId] ??= {}), s.status);
}

/** Counts of a replay, fed by the simulation. */
class ReplayCounter implements SimulationObserver {
  readonly nodes: NodeCounts = {};
  readonly commands: Record<string, number> = {};
  readonly discards: Record<string, number> = {};
  readonly peaks: Record<string, { perSecond: number; at: string }> = {};
  private readonly current = new Map<string, { second: number; n: number }>();

  step(s: SimStep): void {
    countStep(this.nodes, s);
  }

  command(c: ActionCommand): void {
    bump(this.commands, c.action);
    let endpoint: string;
    try {
      endpoint = new URL(c.request.url).origin;
    } catch {
      endpoint = c.request.url;
    }
    const second = Math.floor(Date.parse(c.createdAt) / 1000);
    const cur = this.current.get(endpoint);
    const n = cur?.second === second ? cur.n + 1 : 1;
    this.current.set(endpoint, { second, n });
    if (n > (this.peaks[endpoint]?.perSecond ?? 0))
      this.peaks[endpoint] = { perSecond: n, at: new Date(second * 1000).toISOString() };
  }

  discard(reason: string): void {
    bump(this.discards, reason);
  }
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

async function createSimulation(o: ReplayOptions, view: ConfigView, counter: ReplayCounter) {
  const v = pickVersion(view, o);
  const at = new Date(o.fromMs).toISOString();
  const sim = await JourneySimulation.create({
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
    observer: counter,
  });
  return { sim, version: v };
}

async function loadProfiles(o: ReplayOptions, sim: JourneySimulation): Promise<number> {
  const keys = new Set<string>();
  await readRanges(o.kafka, o.topics.profiles, await rangesToNow(o.kafka, o.topics.profiles), async (_p, msgs) => {
    for (const m of msgs) {
      const key = m.key?.toString('utf8');
      if (!key) continue;
      if (m.value === null) keys.delete(key);
      else keys.add(key);
      await sim.profile(key, m.value === null ? null : (JSON.parse(m.value.toString('utf8')) as unknown));
    }
  });
  return keys.size;
}

/** Feeds the range's events, merged across partitions by timestamp, and runs the simulation behind them. */
async function replayEvents(o: ReplayOptions, sim: JourneySimulation, ranges: PartitionRange[]): Promise<number> {
  const total = ranges.reduce((s, r) => s + Number(r.end > r.start ? r.end - r.start : 0n), 0);
  const last = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, -Infinity]));
  const endOf = new Map(ranges.map((r) => [r.partition, r.end]));
  let read = 0;
  let events = 0;
  await readRanges(o.kafka, o.topics.events, ranges, async (partition, msgs) => {
    for (const m of msgs) {
      const ts = Number(m.timestamp);
      if (ts < o.fromMs || ts >= o.toMs || m.value === null) continue;
      sim.addEvent(ts, m.value, m.key ?? null);
      events += 1;
    }
    read += msgs.length;
    const lastMsg = msgs.at(-1);
    if (lastMsg && BigInt(lastMsg.offset) + 1n >= (endOf.get(partition) ?? 0n)) last.delete(partition);
    else if (lastMsg) last.set(partition, Number(lastMsg.timestamp));
    // every partition has been read past this time: what is before it can run in time order
    const watermark = Math.min(...last.values());
    if (Number.isFinite(watermark)) await sim.run(watermark - 1);
    o.progress?.(read, total);
  });
  await sim.run(o.toMs);
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
  const view = await loadConfig(o);
  const counter = new ReplayCounter();
  const { sim, version } = await createSimulation(o, view, counter);
  try {
    const profiles = await loadProfiles(o, sim);
    const ranges = await rangesByTime(o.kafka, o.topics.events, o.fromMs, o.toMs);
    const t0 = now();
    const events = await replayEvents(o, sim, ranges);
    const seconds = (now() - t0) / 1000;
    const ordered = Object.fromEntries(
      Object.keys(version.journey.nodes)
        .filter((id) => counter.nodes[id])
        .map((id) => [id, counter.nodes[id] ?? {}]),
    );
    return {
      journey: { id: o.journeyId, version: version.version, state: version.state },
      from: new Date(o.fromMs).toISOString(),
      to: new Date(o.toMs).toISOString(),
      events,
      profiles,
      seconds,
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
      nodes: { ...ordered, ...counter.nodes },
      commands: counter.commands,
      peaks: counter.peaks,
      discards: counter.discards,
      ...(o.compare ? { live: await liveCounts(o) } : {}),
    };
  } finally {
    await sim.close();
  }
}
