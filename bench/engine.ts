/**
 * The engine benchmark (`npm run bench -- engine`): the engine against a Kafka Streams peer (bench/peer/) on the
 * same broker, the same events and one measuring harness (bench/harness.ts), run one after the other so they never
 * share the CPU.
 *
 * 1. one journey (enter, one action, end): the engine, then the peer writing the same records per event
 *    (repartition, instance changelog, command, and as many step records as the engine wrote): events/s and
 *    process CPU per event over BENCH_EVENTS (default 100k) pre-produced ~1 KB keyless events, records written per
 *    event (every topic consumed), event→committed command latency at 1,000 and 5,000 events/s offered, peak RSS.
 * 2. twenty journeys (actions, waits, conditions, an event node): the engine with BENCH_TWENTY_WORKERS pipeline
 *    processes (default 2: `JO_PIPELINE_WORKERS`, one per core of this machine), then the peer with as many stream
 *    threads and its records per event; throughput, CPU (all the engine's processes) and records as above.
 * 3. timers and memory (BENCH_PENDING, default 1M; 0 skips it): that many waits in a 20-journey engine of one
 *    process, of which BENCH_FIRE_COUNT fall due over 60 s: peak RSS with the instances in state, timer lateness.
 * 4. reference: a plain kafkajs consume→produce pass-through of the events, run when nothing else is.
 *
 * Environment: BENCH_EVENTS, BENCH_PROFILES, BENCH_RATES (default "1000,5000"), BENCH_LATENCY_SECONDS (20),
 * BENCH_PENDING, BENCH_FIRE_COUNT, BENCH_FIRE_DELAY_S, BENCH_COMMIT_MS (100), BENCH_PEER_THREADS (1),
 * BENCH_ENGINE_NODE_ARGS (extra node flags for the engine, e.g. `--cpu-prof`), BENCH_ONLY (`one`, `twenty`, `timers`: run
 * one case), BENCH_STAGES=1 (log where the latency goes: latency-stages.ts), BENCH_TRACE=1 (the same inside the
 * engine, from the Kafka adapter's diagnostics channels: engine-trace.ts). Numbers share 2 cores with the broker and the harness: compare the engine and the peer of one run.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, type KafkaClient, type Producer } from '../topology/index.js';
import { benchConfig, oneJourneyConfig, twentyJourneyEvent, xdmEvent } from './engine-config.js';
import { setupEngineTopics, startEngine, type EngineUnderTest } from './engine-child.js';
import { histogramQuantile, runTimers } from './engine-timers.js';
import {
  countRecords,
  measureLatency,
  measureThroughput,
  PARTITIONS,
  produceAll,
  topicsWithPrefix,
  deleteTopicsWithPrefix,
  type SystemUnderTest,
} from './harness.js';
import { compareRows, engineRows, sideBySide, type CaseResult, type RateResult } from './engine-report.js';
import { engineStages, watchStages, type Stage } from './latency-stages.js';
import { buildPeer, startPeer } from './peer.js';
import type { BenchContext, BenchRow } from './types.js';

/** Sum of a counter's series in a Prometheus text scrape. */
const counterValue = (text: string, name: string): number =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
/** Topic prefixes of this run's cases (engine and peer), deleted when the run ends. */
const runPrefixes: string[] = [];
const N = env('BENCH_EVENTS', 100_000);
const RATES = (process.env['BENCH_RATES'] ?? '1000,5000')
  .split(',')
  .map(Number)
  .filter((r) => r > 0);
const LATENCY_S = env('BENCH_LATENCY_SECONDS', 20);
const PENDING = env('BENCH_PENDING', 1_000_000);
const COMMIT_MS = env('BENCH_COMMIT_MS', 100);
const PEER_THREADS = env('BENCH_PEER_THREADS', 1);
/** Pipeline processes of the 20-journey engine (`JO_PIPELINE_WORKERS`), and stream threads of its peer. */
const TWENTY_WORKERS = env('BENCH_TWENTY_WORKERS', 2);
/** The same for the one-journey case (throughput and latency phases). */
const ONE_WORKERS = env('BENCH_ONE_WORKERS', 1);
/** The engine settings for `n` pipeline processes. */
const workersEnv = (n: number): Record<string, string> => (n > 1 ? { JO_PIPELINE_WORKERS: String(n) } : {});
const ONLY = process.env['BENCH_ONLY'] ?? '';
/** BENCH_STAGES=1: also where the latency goes (see latency-stages.ts), logged per rate. */
const STAGES = process.env['BENCH_STAGES'] === '1';
/** BENCH_PEER=0: the engine alone (for quick runs while tuning; no ratios). */
const WITH_PEER = process.env['BENCH_PEER'] !== '0';
/**
 * BENCH_BASELINE_ENV="JO_X=a JO_Y=b": the one-journey case also runs the engine with these settings first (label
 * "engine, baseline"), so a runtime change is compared before/after within one run, beside the same peer.
 */
const BASELINE_ENV = Object.fromEntries(
  (process.env['BENCH_BASELINE_ENV'] ?? '')
    .split(' ')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const PASSTHROUGH = fileURLToPath(new URL('./passthrough-child.ts', import.meta.url));

/** One-journey events: all enter; profile ids `from`, `from + 1`, … so no event meets a running instance. */
function oneJourneyEvents(from: number) {
  let i = from;
  return () => xdmEvent('a', i++, 0);
}

async function createTopics(kafka: KafkaClient, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
  });
  await admin.disconnect();
}

async function recordsPerEvent(kafka: KafkaClient, prefix: string, input: string, events: number) {
  const topics = await topicsWithPrefix(kafka, [prefix], [input, `${prefix}config`, `${prefix}profiles`]);
  const counts = await countRecords(kafka, topics);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const byTopic = [...counts]
    .filter(([, c]) => c > 0)
    .map(([t, c]) => `${t.slice(prefix.length)} ${(c / events).toFixed(2)}`)
    .join(', ');
  return { perEvent: total / events, byTopic };
}

/** Runs one system on N pre-produced events (then at the offered rates when `rates` is not empty). */
async function runCase(
  ctx: BenchContext,
  kafka: KafkaClient,
  producer: Producer,
  c: {
    label: string;
    prefix: string;
    input: string;
    commands: string;
    event: (i: number) => string;
    start: () => Promise<SystemUnderTest>;
    rates: number[];
    stages?: Stage[];
    after?: (system: SystemUnderTest) => Promise<void>;
  },
): Promise<CaseResult> {
  await produceAll(producer, c.input, c.event, N, ctx.log);
  // a send retried under load can duplicate events (kafkajs' idempotent producer fails with out-of-order
  // sequence numbers on this busy broker instead): the events in the topic are what both systems get
  const events = (await countRecords(kafka, [c.input])).get(c.input) ?? N;
  // a duplicated event meets its own instance (re-entrance refused): N commands, not one per copy
  const tp = await measureThroughput(kafka, c.start, c.commands, N, ctx.log);
  const latency = new Map<number, RateResult>();
  let records = { perEvent: NaN, byTopic: '' };
  try {
    // counted before anything else is offered: every command is committed, and so is what came with it
    records = await recordsPerEvent(kafka, c.prefix, c.input, events);
    ctx.log(`${c.label}: ${tp.eventsPerS.toFixed(0)} events/s, ${tp.cpuUsPerEvent.toFixed(0)} µs CPU/event`);
    const next = oneJourneyEvents(10_000_000);
    const metrics = (tp.system as Partial<EngineUnderTest>).metrics;
    for (const rate of c.rates) {
      const before = await metrics?.();
      const stages = STAGES && c.stages ? await watchStages(kafka, c.stages) : undefined;
      const load0 = loadavg()[0]?.toFixed(1);
      const trace = (tp.system as Partial<EngineUnderTest>).trace;
      trace?.start();
      const l = await measureLatency(kafka, producer, tp.system, rate, LATENCY_S, next, ctx.log);
      const load = `${load0} → ${loadavg()[0]?.toFixed(1)}`;
      if (stages) ctx.log(`${c.label}: at ${rate}/s ms after sentAt: ${await stages.stop()}`);
      if (trace) ctx.log(`${c.label}: at ${rate}/s inside the engine: ${await trace.stop()}`);
      latency.set(rate, { ...l, load });
      ctx.log(
        `${c.label}: at ${rate}/s p50 ${l.p50} ms, p99 ${l.p99} ms (${l.seen} of ${l.sent}), ` +
          `${l.cpuUsPerEvent.toFixed(0)} µs CPU/event, load ${load}`,
      );
      const after = await metrics?.();
      if (before !== undefined && after !== undefined) {
        const q = (name: string, p: number) => (histogramQuantile(after, name, p, before) * 1000).toFixed(0);
        ctx.log(
          `${c.label}: commit p50 ≤ ${q('jo_stream_commit_duration_seconds', 0.5)} ms, p99 ≤ ` +
            `${q('jo_stream_commit_duration_seconds', 0.99)} ms; event→command emitted (before commit) p50 ≤ ` +
            `${q('jo_event_to_command_seconds', 0.5)} ms, p99 ≤ ${q('jo_event_to_command_seconds', 0.99)} ms`,
        );
        const txns =
          counterValue(after, 'jo_stream_transactions_total') - counterValue(before, 'jo_stream_transactions_total');
        if (txns > 0)
          ctx.log(
            `${c.label}: ${(txns / LATENCY_S).toFixed(1)} shared transactions/s, each p50 ≤ ` +
              `${q('jo_stream_transaction_duration_seconds', 0.5)} ms, p99 ≤ ` +
              `${q('jo_stream_transaction_duration_seconds', 0.99)} ms, carrying p50 ≤ ` +
              `${histogramQuantile(after, 'jo_stream_transaction_task_commits', 0.5, before)} task commits`,
          );
      }
    }
    await c.after?.(tp.system);
  } finally {
    await tp.system.stop();
  }
  ctx.log(`${c.label}: ${records.perEvent.toFixed(2)} records/event (${records.byTopic})`);
  return {
    label: c.label,
    input: c.input,
    eventsPerS: tp.eventsPerS,
    cpuUsPerEvent: tp.cpuUsPerEvent,
    recordsPerEvent: records.perEvent,
    byTopic: records.byTopic,
    peakRssMb: tp.peakRssMb,
    latency,
  };
}

async function engineCase(
  ctx: BenchContext,
  kafka: KafkaClient,
  producer: Producer,
  label: string,
  config: Array<[string, object]>,
  event: (i: number) => string,
  rates: number[],
  after?: (e: EngineUnderTest) => Promise<void>,
  env?: Record<string, string>,
): Promise<CaseResult> {
  const prefix = `bench-e-${randomUUID().slice(0, 8)}.`;
  runPrefixes.push(prefix);
  const stateDir = mkdtempSync(join(tmpdir(), 'jo-bench-'));
  await setupEngineTopics(kafka, prefix, config);
  try {
    let engine: EngineUnderTest | undefined;
    return await runCase(ctx, kafka, producer, {
      label,
      prefix,
      input: `${prefix}events`,
      commands: `${prefix}commands.http`,
      event,
      rates,
      stages: engineStages(prefix, `${prefix}engine`),
      start: async () =>
        (engine = await startEngine({
          name: label,
          brokers: ctx.brokers,
          prefix,
          stateDir,
          commitMs: COMMIT_MS,
          ...(env ? { env } : {}),
        })),
      ...(after ? { after: () => (engine ? after(engine) : Promise.resolve()) } : {}),
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function peerCase(
  ctx: BenchContext,
  kafka: KafkaClient,
  producer: Producer,
  classpath: string,
  label: string,
  stepRecords: number,
  event: (i: number) => string,
  rates: number[],
  threads = PEER_THREADS,
): Promise<CaseResult> {
  const prefix = `bench-p-${randomUUID().slice(0, 8)}.`;
  runPrefixes.push(prefix);
  const stateDir = mkdtempSync(join(tmpdir(), 'jo-peer-'));
  const topics = { input: `${prefix}events`, commands: `${prefix}commands`, steps: `${prefix}step-events` };
  await createTopics(kafka, Object.values(topics));
  try {
    return await runCase(ctx, kafka, producer, {
      label,
      prefix,
      ...topics,
      event,
      rates,
      stages: [
        { name: 'repartition written', topic: `${prefix}peer-by-profile-repartition`, readCommitted: false },
        { name: 'repartition committed', topic: `${prefix}peer-by-profile-repartition`, readCommitted: true },
        { name: 'command written', topic: topics.commands, readCommitted: false },
        { name: 'command committed', topic: topics.commands, readCommitted: true },
      ],
      start: async () => ({
        name: label,
        ...topics,
        ...(await startPeer(classpath, {
          brokers: ctx.brokers,
          applicationId: `${prefix}peer`,
          ...topics,
          stateDir,
          stepRecords,
          threads,
          commitMs: COMMIT_MS,
        })),
      }),
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function passThrough(ctx: BenchContext, input: string, output: string): Promise<number> {
  ctx.log('pass-through reference');
  const child = spawn(process.execPath, ['--import', 'tsx', PASSTHROUGH], {
    env: {
      ...process.env,
      BENCH_BROKERS: ctx.brokers.join(','),
      BENCH_IN: input,
      BENCH_OUT: output,
      BENCH_N: String(N),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const m = /RATE (\d+(?:\.\d+)?)/.exec(out);
  if (!m?.[1]) throw new Error(`pass-through child failed: ${out}`);
  return Number(m[1]);
}

/** Step records the peer writes to match the engine's records per event (3 are repartition, changelog, command). */
const matchingSteps = (engine: CaseResult) => Math.max(0, Math.round(engine.recordsPerEvent - 3));

/** Phase 3 in an engine of its own (one process, the 20-journey configuration): `PENDING` waits, then timers firing. */
async function timersCase(ctx: BenchContext, kafka: KafkaClient, producer: Producer): Promise<BenchRow[]> {
  const prefix = `bench-e-${randomUUID().slice(0, 8)}.`;
  runPrefixes.push(prefix);
  const stateDir = mkdtempSync(join(tmpdir(), 'jo-bench-'));
  try {
    await setupEngineTopics(kafka, prefix, benchConfig('http://127.0.0.1:9'));
    const engine = await startEngine({
      name: 'engine, timers',
      brokers: ctx.brokers,
      prefix,
      stateDir,
      commitMs: COMMIT_MS,
    });
    try {
      return await runTimers(ctx, kafka, producer, engine, PENDING);
    } finally {
      await engine.stop();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const classpath = buildPeer(ctx.log);
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-engine', logLevel: 'nothing' });
  const producer = kafka.producer();
  await producer.connect();
  const rows: BenchRow[] = [];
  const pairs: Array<[CaseResult, CaseResult]> = [];
  // the peer doing the engine case's Kafka work with the same step records per event
  const peer = (steps: number, event: (i: number) => string, rates: number[], threads = PEER_THREADS) =>
    peerCase(ctx, kafka, producer, classpath, `peer, ${steps + 3} records`, steps, event, rates, threads);
  try {
    if (ONLY === '' || ONLY === 'one') {
      const config = oneJourneyConfig('http://127.0.0.1:9');
      const baseline = Object.keys(BASELINE_ENV).length
        ? await engineCase(ctx, kafka, producer, 'engine, baseline', config, oneJourneyEvents(0), RATES, undefined, {
            ...workersEnv(ONE_WORKERS),
            ...BASELINE_ENV,
          })
        : undefined;
      const first = oneJourneyEvents(0);
      ctx.log(`1 journey: the engine in ${ONE_WORKERS} pipeline process(es), the peer with as many threads`);
      const e1 = await engineCase(
        ctx,
        kafka,
        producer,
        'engine, 1 journey',
        config,
        () => first(),
        RATES,
        undefined,
        workersEnv(ONE_WORKERS),
      );
      if (baseline) rows.push(...engineRows(baseline));
      if (!WITH_PEER) rows.push(...engineRows(e1));
      else {
        const again = oneJourneyEvents(0);
        const steps = matchingSteps(e1);
        const p1 = await peer(steps, () => again(), RATES, ONE_WORKERS);
        if (baseline) pairs.push([baseline, p1]);
        pairs.push([e1, p1]);
        rows.push(
          ...compareRows(e1, p1, { eventsPerS: '>= 0.8', cpu: '<= 1.25', 'p99@1000': '<= 250', 'p99@5000': '<= 500' }),
        );
      }
    }
    if (ONLY === '' || ONLY === 'twenty') {
      ctx.log(`20 journeys: the engine in ${TWENTY_WORKERS} pipeline process(es), the peer with as many threads`);
      const e20 = await engineCase(
        ctx,
        kafka,
        producer,
        'engine, 20 journeys',
        benchConfig('http://127.0.0.1:9'),
        twentyJourneyEvent,
        [],
        undefined,
        workersEnv(TWENTY_WORKERS),
      );
      rows.push({
        metric: 'events/s: engine, 20 journeys',
        value: e20.eventsPerS,
        unit: 'events/s',
        target: '>= 6000',
      });
      if (!WITH_PEER) rows.push(...engineRows(e20).slice(1));
      else {
        const steps = matchingSteps(e20);
        const p20 = await peer(steps, twentyJourneyEvent, [], TWENTY_WORKERS);
        pairs.push([e20, p20]);
        rows.push(...compareRows(e20, p20, {}).filter((r) => !r.metric.startsWith('events/s: engine, 20')));
      }
      if (PENDING > 0) rows.push(...(await timersCase(ctx, kafka, producer)));
    }
    if (ONLY === 'timers') rows.push(...(await timersCase(ctx, kafka, producer)));
    const reference = pairs.at(-1)?.[1].input;
    if (reference) {
      const rate = await passThrough(ctx, reference, `${reference}.passthrough`);
      rows.push({ metric: 'plain kafkajs pass-through (reference)', value: rate, unit: 'records/s' });
    }
  } finally {
    await producer.disconnect();
    // at the end, not between cases: the broker deletes a topic's files a minute later, inside the next case
    const gone = await deleteTopicsWithPrefix(kafka, runPrefixes.splice(0)).catch((err: unknown) => {
      ctx.log(`could not delete the run's topics: ${String(err)}`);
      return 0;
    });
    ctx.log(`deleted the run's ${gone} topics`);
  }
  process.stdout.write(`\n${sideBySide(pairs, RATES)}\n`);
  return rows;
}
