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
 * 3. the simulation alone over the same events held in memory (no broker): the engine side's share — in child
 *    processes (bench/replay-sim-child.ts) on the baseline tree and on the current tree, alternating (before/after
 *    in one run: bench/baseline.ts; `BENCH_REPLAY_ROUNDS`, default 2).
 *
 * The journey is the benchmark's usual shape: an action, a condition, a 30-minute wait or an event node with a
 * 1-hour timeout, a second action, an end; 3 of 4 events enter (one profile each), every 4th is the follow-up event
 * of a profile 3 events earlier. Timers fall due inside the range, so they fire during the replay.
 * The machine's load average is given with each number (it is shared; numbers move with it).
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { topicCatalog } from '../schemas/index.js';
import { createKafka, type KafkaClient } from '../topology/index.js';
import { createJourneyTopics } from '../processors/testing/index.js';
import { produce } from '../topology/testing/index.js';
import { rangesByTime, readRanges, replayCommand } from '../ops/journey-test/index.js';
import { BASELINE_REF, mean, runChild, variants, type Variant } from './baseline.js';
import { config, eventValue, journey } from './replay-journey.js';
import type { SimResult } from './replay-sim-child.js';
import type { BenchContext, BenchRow } from './types.js';

const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const N = env('BENCH_REPLAY_EVENTS', 100_000);
const SPAN_MS = env('BENCH_REPLAY_SPAN_S', 7_200) * 1000;
const TARGET = '>= 20000';
/** BENCH_REPLAY_ONLY=sim: the simulation alone (no broker work; for profiling). */
const ONLY = process.env['BENCH_REPLAY_ONLY'] ?? '';
const ROUNDS = env('BENCH_REPLAY_ROUNDS', 2);
/** A V8 CPU profile of each simulation child under `<dir>/<label>/`. */
const PROFILE_DIR = process.env['BENCH_REPLAY_PROFILE'];

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

/**
 * The simulation alone (events in memory, no broker) on the baseline tree and on the current tree, alternating,
 * `BENCH_REPLAY_ROUNDS` times (default 2): rows per tree and the current/baseline ratios.
 */
async function simulationRows(ctx: BenchContext): Promise<{ rows: BenchRow[]; commands: number }> {
  const trees = variants(['replay-sim-child.ts', 'replay-journey.ts']);
  const runs = new Map<Variant['name'], Array<SimResult & { load: string }>>();
  let commands = 0;
  for (let round = 0; round < ROUNDS; round++)
    for (const v of round % 2 === 0 ? trees : [...trees].reverse()) {
      const label = `sim-${v.name}-${round}`;
      const r = await runChild<SimResult>(v, 'replay-sim-child.ts', { events: N, spanMs: SPAN_MS }, label, PROFILE_DIR);
      const l = load();
      ctx.log(`simulation only [${v.name}]: ${r.perS.toFixed(0)} events/s, ${r.perCpuS.toFixed(0)} events/CPU-s; ${l}`);
      runs.set(v.name, [...(runs.get(v.name) ?? []), { ...r, load: l }]);
      if (v.name === 'current') commands = r.commands;
    }
  const rows: BenchRow[] = [];
  for (const [name, list] of runs) {
    const note = `${name === 'baseline' ? `baseline ${BASELINE_REF}` : 'current tree'}; ${list.map((x) => x.load).join(', ')}`;
    rows.push(
      {
        metric: `simulation only (events in memory) [${name}]`,
        value: mean(list.map((x) => x.perS)),
        unit: 'events/s',
        note,
      },
      {
        metric: `simulation only, per CPU second [${name}]`,
        value: mean(list.map((x) => x.perCpuS)),
        unit: 'events/CPU-s',
      },
    );
  }
  const b = runs.get('baseline');
  const a = runs.get('current');
  if (a && b)
    rows.push(
      {
        metric: 'simulation only: current / baseline events/s',
        value: mean(a.map((x) => x.perS)) / mean(b.map((x) => x.perS)),
        unit: '×',
      },
      {
        metric: 'simulation only: current / baseline events per CPU second',
        value: mean(a.map((x) => x.perCpuS)) / mean(b.map((x) => x.perCpuS)),
        unit: '×',
      },
    );
  return { rows, commands };
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
  if (ONLY === 'sim') return (await simulationRows(ctx)).rows;
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
    const sim = await simulationRows(ctx);
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
      ...sim.rows,
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
