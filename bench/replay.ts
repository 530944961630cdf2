/**
 * `npm run bench -- replay`: how fast `jo replay` runs a journey over past traffic. Produces BENCH_REPLAY_EVENTS
 * (default 100k) ~1 KB events with record timestamps spread evenly over a known range (BENCH_REPLAY_SPAN_S, default
 * 2 h, ending a minute ago) to a topic prefix of its own, with the journey's configuration on its `config` topic,
 * then times, one after the other:
 *
 * 1. `jo replay` as users run it (`replayCommand`: configuration and profiles read, then the range read from the
 *    broker and simulated, with the progress bar logged): events/s over the range (the number `jo replay` prints),
 *    and the whole command's wall time;
 * 2. reading the range alone (the same consumer code, no simulation): the broker side's share;
 * 3. the simulation alone over the same events held in memory (no broker): the engine side's share.
 *
 * The journey is the benchmark's usual shape: an action, a condition, a 30-minute wait or an event node with a
 * 1-hour timeout, a second action, an end; 3 of 4 events enter (one profile each), every 4th is the follow-up event
 * of a profile 3 events earlier. Timers fall due inside the range, so they fire during the replay.
 * The machine's load average is given with each number (it is shared; numbers move with it).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  topicCatalog,
  type ActionConfig,
  type EventConfig,
  type JourneyConfig,
  type JourneyRecord,
} from '../schemas/index.js';
import { JourneySimulation } from '../processors/index.js';
import { createKafka, type KafkaClient } from '../topology/index.js';
import { createJourneyTopics } from '../processors/testing/index.js';
import { produce } from '../topology/testing/index.js';
import { rangesByTime, readRanges, replayCommand } from '../ops/journey-test/index.js';
import { xdmEvent } from './engine-config.js';
import type { BenchContext, BenchRow } from './types.js';

const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const N = env('BENCH_REPLAY_EVENTS', 100_000);
const SPAN_MS = env('BENCH_REPLAY_SPAN_S', 7_200) * 1000;
const TARGET = '>= 20000';
/** BENCH_REPLAY_ONLY=sim: the simulation alone (no broker work; for profiling). */
const ONLY = process.env['BENCH_REPLAY_ONLY'] ?? '';

const journey: JourneyConfig = {
  id: 'replay-bench',
  name: 'replay bench',
  namespace: 'crmId',
  entry: { event: 'ev-a' },
  start: 'first',
  nodes: {
    first: { type: 'action', action: 'hook', params: { journey: 'replay-bench' }, next: 'check' },
    check: {
      type: 'condition',
      paths: [{ when: { '>': [{ var: 'event.xdm.commerce.value' }, 50] }, next: 'big' }],
      otherwise: 'small',
    },
    big: { type: 'wait', duration: 'PT30M', next: 'second' },
    small: { type: 'event', events: [{ event: 'ev-follow', next: 'second' }], timeout: 'PT1H', onTimeout: 'done' },
    second: { type: 'action', action: 'hook', params: { journey: 'replay-bench' }, next: 'done' },
    done: { type: 'end' },
  },
};

const at = new Date().toISOString();
const record: JourneyRecord = {
  id: journey.id,
  versions: [{ version: 1, state: 'live', createdAt: at, publishedAt: at, journey }],
};
const event = (t: string): EventConfig => ({
  id: `ev-${t}`,
  name: `bench ${t}`,
  recognition: { eventType: `bench.${t}` },
  identity: { namespace: 'crmId', path: 'person.id' },
});
const resources = {
  events: [event('a'), event('follow')],
  actions: [{ id: 'hook', type: 'http', url: 'http://127.0.0.1:9/hook', method: 'POST' } as ActionConfig],
  datasources: [],
};

function config(): Array<{ key: string; value: string }> {
  return [
    ...resources.events.map((e) => [`event/${e.id}`, e] as const),
    ...resources.actions.map((a) => [`action/${a.id}`, a] as const),
    [`journey/${journey.id}`, record] as const,
  ].map(([key, value]) => ({ key, value: JSON.stringify(value) }));
}

/** Event i: every 4th is the follow-up of the profile that entered 3 events earlier. */
const eventValue = (i: number) => (i % 4 === 3 ? xdmEvent('follow', i - 3, 0) : xdmEvent('a', i, 0));

interface Produced {
  readonly from: number;
  readonly to: number;
  readonly values: Buffer[];
  readonly stamps: number[];
}

async function produceRange(kafka: KafkaClient, topic: string, log: (m: string) => void): Promise<Produced> {
  const to = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const from = to - SPAN_MS;
  const values = Array.from({ length: N }, (_, i) => Buffer.from(eventValue(i)));
  const stamps = values.map((_, i) => from + Math.floor((i * SPAN_MS) / N));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < N; i += 2_000) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 2_000).map((value, j) => ({ value, timestamp: String(stamps[i + j]) })),
      });
      if (i % 20_000 === 0) log(`produced ${i} of ${N}`);
    }
  } finally {
    await producer.disconnect();
  }
  return { from, to, values, stamps };
}

const load = () => `load ${loadavg()[0]?.toFixed(2)}`;

async function timeReadOnly(kafka: KafkaClient, topic: string, p: Produced): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await readRanges(kafka, topic, await rangesByTime(kafka, topic, p.from, p.to), (_p, msgs) => {
    n += msgs.length;
  });
  if (n !== N) throw new Error(`read ${n} events, produced ${N}`);
  return n / ((performance.now() - t0) / 1000);
}

/** CPU seconds (user + system) of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

async function timeSimulationOnly(p: Produced): Promise<{ perS: number; perCpuS: number; commands: number }> {
  let commands = 0;
  const sim = await JourneySimulation.create({
    resources,
    journeys: [record],
    start: p.from,
    observer: { command: () => void (commands += 1) },
  });
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) sim.addEvent(p.stamps[i] ?? 0, p.values[i] ?? Buffer.alloc(0));
    await sim.run(p.to);
    return { perS: N / ((performance.now() - t0) / 1000), perCpuS: N / cpuSince(cpu0), commands };
  } finally {
    await sim.close();
  }
}

function simRows(sim: { perS: number; perCpuS: number }, note: string): BenchRow[] {
  return [
    { metric: 'simulation only (events in memory)', value: sim.perS, unit: 'events/s', note },
    { metric: 'simulation only, per CPU second', value: sim.perCpuS, unit: 'events/CPU-s' },
  ];
}

async function simOnlyRows(ctx: BenchContext): Promise<BenchRow[]> {
  const to = Date.parse('2026-01-01T00:00:00Z');
  const from = to - SPAN_MS;
  const values = Array.from({ length: N }, (_, i) => Buffer.from(eventValue(i)));
  const stamps = values.map((_, i) => from + Math.floor((i * SPAN_MS) / N));
  const sim = await timeSimulationOnly({ from, to, values, stamps });
  ctx.log(`simulation only: ${sim.perS.toFixed(0)} events/s, ${sim.commands} commands; ${load()}`);
  return simRows(sim, load());
}

interface ReplayRun {
  readonly perS: number;
  readonly perCpuS: number;
  readonly wall: number;
  readonly commands: number;
}

/** `jo replay` through the command, its progress bar logged every 10%. */
async function timeReplay(ctx: BenchContext, kafka: KafkaClient, prefix: string, p: Produced): Promise<ReplayRun> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let shown = -1;
  const args = [
    '--journey',
    journey.id,
    '--from',
    new Date(p.from).toISOString(),
    '--to',
    new Date(p.to).toISOString(),
  ];
  const stderr = (s: string) => {
    const pct = /(\d+)% /.exec(s)?.[1];
    if (pct === undefined || Number(pct) % 10 !== 0 || Number(pct) === shown) return;
    shown = Number(pct);
    ctx.log(s.trim());
  };
  const out = await replayCommand([...args, '--json'], { brokers: ctx.brokers, topicPrefix: prefix, stderr }, kafka);
  const cpu = cpuSince(cpu0);
  const wall = (performance.now() - started) / 1000;
  const r = JSON.parse(out.out.join('') || '{}') as {
    events?: number;
    eventsPerSecond: number;
    commands?: { hook?: number };
  };
  if (out.code !== 0 || r.events !== N) throw new Error(`replay failed: ${out.err.join(' ')} ${out.out.join('')}`);
  return { perS: r.eventsPerSecond, perCpuS: N / cpu, wall, commands: r.commands?.hook ?? 0 };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  if (ONLY === 'sim') return simOnlyRows(ctx);
  const prefix = `bench-r-${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-replay', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await createJourneyTopics(admin, prefix, 3, 3);
  try {
    await produce(kafka, topics.config, config());
    const p = await produceRange(kafka, topics.events, ctx.log);
    ctx.log(`${N} events over ${new Date(p.from).toISOString()} → ${new Date(p.to).toISOString()}; ${load()}`);
    const r = await timeReplay(ctx, kafka, prefix, p);
    const replayLoad = load();
    ctx.log(`jo replay: ${r.perS} events/s, ${r.commands} commands; ${replayLoad}`);
    const readPerS = await timeReadOnly(kafka, topics.events, p);
    const readLoad = load();
    ctx.log(`read only: ${readPerS.toFixed(0)} events/s; ${readLoad}`);
    const sim = await timeSimulationOnly(p);
    const simLoad = load();
    ctx.log(`simulation only: ${sim.perS.toFixed(0)} events/s, ${sim.commands} commands; ${simLoad}`);
    return [
      {
        metric: 'jo replay: events/s over the range',
        value: r.perS,
        unit: 'events/s',
        target: TARGET,
        note: `${N} events; ${replayLoad}`,
      },
      { metric: 'jo replay: events per CPU second', value: r.perCpuS, unit: 'events/CPU-s', note: 'whole command' },
      { metric: 'jo replay: whole command', value: r.wall, unit: 's', note: 'config + profiles + range' },
      { metric: 'reading the range only', value: readPerS, unit: 'events/s', note: readLoad },
      ...simRows(sim, simLoad),
      {
        metric: 'commands (replay = simulation)',
        value: r.commands,
        unit: 'commands',
        note: `${sim.commands} in the simulation-only run`,
      },
    ];
  } finally {
    const names = topicCatalog({ prefix }).map((t) => t.name);
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  }
}
