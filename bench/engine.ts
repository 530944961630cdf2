/**
 * The engine benchmark of issue 7 (`npm run bench -- engine`), against the real local broker, with the engine as
 * users run it (`jo start --only pipeline` in a child process: exactly-once, RocksDB state, 6 partitions):
 *
 * 1. throughput: N events (default 200k, ~1 KB XDM each, drawn from 1M profile ids, no keys) pre-produced; 20 live
 *    journeys (actions, waits, conditions, an event node); the engine starts and every event must yield one
 *    committed command. events/s from the first to the last command a read_committed consumer sees.
 * 2. reference: a plain kafkajs consume→produce pass-through of the same events (child process, no transactions).
 * 3. latency: events offered at a fixed rate (default 5,000/s for 20 s); event-to-command latency is the time a
 *    read_committed consumer sees the command minus the time the event was sent (carried in the payload).
 * 4. timers and memory: P (default 1M) entry events to a journey that waits `until` a time: BENCH_FIRE_COUNT
 *    (default 20k) of them fall due spread over a 60 s window after ingestion, the rest stay pending; peak RSS of
 *    the engine with P instances in state; timer lateness p99 from the engine's `jo_timer_lateness_seconds`
 *    histogram and, end to end, from the commands issued after the waits.
 *
 * Environment: BENCH_EVENTS, BENCH_PROFILES, BENCH_RATE, BENCH_LATENCY_SECONDS, BENCH_PENDING, BENCH_COMMIT_MS,
 * BENCH_FIRE_DELAY_S, BENCH_ENGINE_NODE_ARGS (extra node flags for the engine child, e.g. `--cpu-prof`).
 * Numbers share 2 cores with the broker and the bench's own producer/consumer: they are what this machine does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JourneyConfig, JourneyRecord } from '../schemas/index.js';
import { createKafka, type KafkaClient, type Producer } from '../topology/index.js';
import type { BenchContext, BenchRow } from './types.js';

const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const N = env('BENCH_EVENTS', 200_000);
const PROFILES = env('BENCH_PROFILES', 1_000_000);
const RATE = env('BENCH_RATE', 5_000);
const LATENCY_S = env('BENCH_LATENCY_SECONDS', 20);
const PENDING = env('BENCH_PENDING', 1_000_000);
const COMMIT_MS = env('BENCH_COMMIT_MS', 100);
/** Seconds from the start of the timer phase to the first due timer (0: from the pending count). */
const FIRE_DELAY_S = env('BENCH_FIRE_DELAY_S', 0);
/** How many of the pending waits fall due in the measured window; the rest stay pending (due in a day). */
const FIRE_COUNT = env('BENCH_FIRE_COUNT', 20_000);
const PARTITIONS = 6;
const JO = fileURLToPath(new URL('../ops/bin/jo.js', import.meta.url));
const PASSTHROUGH = fileURLToPath(new URL('./passthrough-child.ts', import.meta.url));

// ---- configuration: 5 event types × 4 segments → 19 journeys + 1 timer journey ------------------------------
const TYPES = ['a', 'b', 'c', 'd', 'e'];

export function benchConfig(hookUrl: string): Array<[string, object]> {
  const out: Array<[string, object]> = [];
  for (const t of [...TYPES, 'timer', 'follow']) {
    out.push([
      `event/ev-${t}`,
      {
        id: `ev-${t}`,
        name: `bench ${t}`,
        recognition: { eventType: `bench.${t}` },
        identity: { namespace: 'crmId', path: 'person.id' },
      },
    ]);
  }
  out.push([
    'action/hook',
    {
      id: 'hook',
      type: 'http',
      url: `${hookUrl}/hook`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sentAt": {{params.sentAt}}, "journey": {{params.journey}}}',
    },
  ]);
  const now = new Date().toISOString();
  const live = (journey: JourneyConfig): [string, JourneyRecord] => [
    `journey/${journey.id}`,
    { id: journey.id, versions: [{ version: 1, state: 'live', createdAt: now, journey }] },
  ];
  for (let j = 0; j < 19; j++) {
    const type = TYPES[j % TYPES.length] ?? 'a';
    const segment = Math.floor(j / TYPES.length);
    const params = { sentAt: { var: 'event.xdm.sentAt' }, journey: `j${j}` };
    out.push(
      live({
        id: `j${j}`,
        name: `bench journey ${j}`,
        namespace: 'crmId',
        entry: { event: `ev-${type}`, condition: { '==': [{ var: 'event.xdm.segment' }, segment] } },
        start: 'first',
        nodes: {
          first: { type: 'action', action: 'hook', params, next: 'check' },
          check: {
            type: 'condition',
            paths: [{ when: { '>': [{ var: 'event.xdm.commerce.value' }, 50] }, next: 'big' }],
            otherwise: 'small',
          },
          big: { type: 'wait', duration: 'P1D', next: 'second' },
          small: {
            type: 'event',
            events: [{ event: 'ev-follow', next: 'second' }],
            timeout: 'P2D',
            onTimeout: 'done',
          },
          second: { type: 'action', action: 'hook', params, next: 'done' },
          done: { type: 'end' },
        },
      }),
    );
  }
  out.push(
    live({
      id: 'timers',
      name: 'bench timers',
      namespace: 'crmId',
      entry: { event: 'ev-timer' },
      start: 'pause',
      nodes: {
        pause: { type: 'wait', until: { var: 'event.xdm.fireAt' }, next: 'fire' },
        fire: {
          type: 'action',
          action: 'hook',
          params: { sentAt: { var: 'events.ev-timer.xdm.fireAt' }, journey: 'timers' },
          next: 'done',
        },
        done: { type: 'end' },
      },
    }),
  );
  return out;
}

const PAD = 'x'.repeat(420);

/** A ~1 KB XDM ExperienceEvent for profile `p`. */
export function xdmEvent(type: string, p: number, segment: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _id: randomUUID(),
    timestamp: new Date().toISOString(),
    eventType: `bench.${type}`,
    segment,
    sentAt: Date.now(),
    person: { id: `p${p}`, email: `p${p}@example.com`, firstName: 'Bench', lastName: 'Mark', loyaltyTier: 'gold' },
    commerce: { value: p % 100, currency: 'EUR', order: { id: `o${p}`, items: 3 } },
    device: { type: 'mobile', os: 'android', model: 'Pixel 9', screen: { width: 1080, height: 2400 } },
    environment: { browser: 'chrome', ip: '203.0.113.7', locale: 'en-GB', padding: PAD },
    ...extra,
  });
}

/** Event type and segment for event i: every (type, segment) pair has exactly one of the 19 journeys. */
export function typeAndSegment(i: number): [string, number] {
  const t = i % TYPES.length;
  const s = Math.floor(i / TYPES.length);
  return [TYPES[t] ?? 'a', t === TYPES.length - 1 ? s % 3 : s % 4];
}

/** Distinct profile ids out of `PROFILES` for i < PROFILES (a multiplicative permutation). */
export const profileOf = (i: number) => (i * 7_919 + 13) % PROFILES;

// ---- helpers ---------------------------------------------------------------------------------------------------
async function produceAll(
  producer: Producer,
  topic: string,
  values: (i: number) => string,
  n: number,
  log: (m: string) => void,
): Promise<void> {
  const batch = 2_000;
  for (let i = 0; i < n; i += batch) {
    await producer.send({
      topic,
      acks: 1,
      messages: Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({ value: values(i + j) })),
    });
    if ((i / batch) % 50 === 0) log(`produced ${i} of ${n}`);
  }
}

interface Engine {
  readonly child: ChildProcess;
  readonly address: string;
  stop(): Promise<void>;
  peakRssMb(): number;
  metrics(): Promise<string>;
}

async function startEngine(ctx: BenchContext, prefix: string, appId: string, stateDir: string): Promise<Engine> {
  const nodeArgs = (process.env.BENCH_ENGINE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, JO, 'start', '--only', 'pipeline'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: ctx.brokers.join(','),
      JO_TOPIC_PREFIX: prefix,
      JO_APPLICATION_ID: appId,
      JO_PARTITIONS: String(PARTITIONS),
      JO_STATE_DIR: stateDir,
      JO_API_PORT: '0',
      JO_LOG_FORMAT: 'json',
      JO_LOG_LEVEL: 'warn',
      JO_COMMIT_INTERVAL_MS: String(COMMIT_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    const tick = setInterval(() => {
      const m = /metrics\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out);
      if (m?.[1]) {
        clearInterval(tick);
        resolve(m[1]);
      } else if (child.exitCode !== null) {
        clearInterval(tick);
        reject(new Error(`engine exited: ${out.slice(-2000)}`));
      }
    }, 100);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // readiness: every task running
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${address}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  let peak = 0;
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m?.[1]) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* exited */
    }
  }, 500);
  return {
    child,
    address,
    peakRssMb: () => peak,
    metrics: async () => (await fetch(`${address}/metrics`)).text(),
    stop: async () => {
      clearInterval(sample);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Counts committed records of `topic`, calling `onMessage` for each; `stop()` ends it. */
async function watch(kafka: KafkaClient, topic: string, onMessage: (value: Buffer, seenAt: number) => void) {
  const consumer = kafka.consumer({
    groupId: `bench-watch-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const m of batch.messages) if (m.value) onMessage(m.value, at);
    },
  });
  return { stop: () => consumer.disconnect() };
}

async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  log: (m: string) => void,
  progress?: () => string,
): Promise<void> {
  const t0 = performance.now();
  let lastLog = t0;
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    if (progress && performance.now() - lastLog > 5_000) {
      log(progress());
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** p-quantile (seconds) from a Prometheus histogram's cumulative buckets. */
/** Cumulative bucket counts of a histogram, summed across label sets, by upper bound. */
function histogramBuckets(text: string, name: string): Map<number, number> {
  const byLe = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\d+(?:\\.\\d+)?)`).exec(line);
    if (m?.[1] && m[2]) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      byLe.set(le, (byLe.get(le) ?? 0) + Number(m[2]));
    }
  }
  return byLe;
}

/** Upper bound of the bucket holding quantile `q`; with `before`, of what was observed since that scrape. */
function histogramQuantile(text: string, name: string, q: number, before?: string): number {
  const byLe = histogramBuckets(text, name);
  if (before !== undefined) for (const [le, c] of histogramBuckets(before, name)) byLe.set(le, (byLe.get(le) ?? 0) - c);
  const sorted = [...byLe].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  for (const [le, c] of sorted) if (c >= q * total) return le;
  return NaN;
}

// ---- phases ----------------------------------------------------------------------------------------------------
async function setupTopics(kafka: KafkaClient, prefix: string, hookUrl: string): Promise<Producer> {
  const admin = kafka.admin();
  await admin.connect();
  const { topicCatalog } = await import('../schemas/index.js');
  const { ensureTopics } = await import('../ops/index.js');
  await ensureTopics(admin, topicCatalog({ prefix, partitions: PARTITIONS }));
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}config`,
    messages: benchConfig(hookUrl).map(([k, v]) => ({ key: k, value: JSON.stringify(v) })),
  });
  return producer;
}

async function throughput(
  ctx: BenchContext,
  kafka: KafkaClient,
  producer: Producer,
  prefix: string,
  engineStart: () => Promise<Engine>,
) {
  ctx.log(`throughput: producing ${N} events`);
  await produceAll(
    producer,
    `${prefix}events`,
    (i) => {
      const [type, segment] = typeAndSegment(i);
      return xdmEvent(type, profileOf(i), segment);
    },
    N,
    ctx.log,
  );
  let count = 0;
  let first = 0;
  let last = 0;
  const w = await watch(kafka, `${prefix}commands.http`, (_v, at) => {
    if (count === 0) first = at;
    count++;
    last = at;
  });
  const t0 = performance.now();
  const engine = await engineStart();
  ctx.log('throughput: engine started');
  await until(
    () => count >= N,
    900_000,
    `${N} commands`,
    ctx.log,
    () => `throughput: ${count} of ${N} commands`,
  );
  await w.stop();
  return { engine, eventsPerS: (N - 1) / ((last - first) / 1000), overallPerS: N / ((last - t0) / 1000) };
}

async function passThrough(ctx: BenchContext, prefix: string): Promise<number> {
  ctx.log('pass-through reference');
  const child = spawn(process.execPath, ['--import', 'tsx', PASSTHROUGH], {
    env: {
      ...process.env,
      BENCH_BROKERS: ctx.brokers.join(','),
      BENCH_IN: `${prefix}events`,
      BENCH_OUT: `${prefix}passthrough`,
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

async function latency(ctx: BenchContext, kafka: KafkaClient, producer: Producer, prefix: string, engine: Engine) {
  const total = RATE * LATENCY_S;
  const metricsBefore = await engine.metrics();
  ctx.log(`latency: ${RATE} events/s for ${LATENCY_S} s`);
  const lat: number[] = [];
  const sentAtMark = Date.now();
  const w = await watch(kafka, `${prefix}commands.http`, (v) => {
    const body = (JSON.parse(v.toString()) as { request?: { body?: string } }).request?.body;
    const sentAt = body ? (JSON.parse(body) as { sentAt?: number }).sentAt : undefined;
    if (typeof sentAt === 'number' && sentAt >= sentAtMark) lat.push(Date.now() - sentAt);
  });
  const tickMs = 20;
  const perTick = Math.round((RATE * tickMs) / 1000);
  const t0 = performance.now();
  let sent = 0;
  let i = 10_000_000;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE) + perTick);
    if (due > sent) {
      const n = due - sent;
      await producer.send({
        topic: `${prefix}events`,
        acks: 1,
        messages: Array.from({ length: n }, () => {
          i++;
          const [type, segment] = typeAndSegment(i);
          return { value: xdmEvent(type, (i * 104_729) % PROFILES, segment) };
        }),
      });
      sent = due;
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const offered = sent / ((performance.now() - t0) / 1000);
  // re-entrance refusals can drop a few; wait for the commands of most of them
  await until(
    () => lat.length >= sent * 0.95,
    300_000,
    'latency commands',
    ctx.log,
    () => `latency: ${lat.length} of ${sent}`,
  ).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 2_000));
  await w.stop();
  lat.sort((a, b) => a - b);
  const m = await engine.metrics();
  const q = (name: string, p: number) => histogramQuantile(m, name, p, metricsBefore) * 1000;
  return {
    offered,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    seen: lat.length,
    sent,
    commitP50: q('jo_stream_commit_duration_seconds', 0.5),
    commitP99: q('jo_stream_commit_duration_seconds', 0.99),
    emitP99: q('jo_event_to_command_seconds', 0.99),
  };
}

async function timers(ctx: BenchContext, kafka: KafkaClient, producer: Producer, prefix: string, engine: Engine) {
  const windowMs = 60_000;
  // ingestion takes PENDING / rate; fire after a margin generous enough for this machine
  const fireStart =
    Date.now() + (FIRE_DELAY_S > 0 ? FIRE_DELAY_S * 1_000 : Math.max(30_000, (PENDING / 2_000) * 1_000));
  const firing = Math.min(FIRE_COUNT, PENDING);
  ctx.log(
    `timers: ${PENDING} waits; ${firing} fall due from ${new Date(fireStart).toISOString()} over ${windowMs / 1000} s`,
  );
  let fired = 0;
  const late: number[] = [];
  const w = await watch(kafka, `${prefix}commands.http`, (v) => {
    const body = (JSON.parse(v.toString()) as { request?: { body?: string } }).request?.body;
    const parsed = body ? (JSON.parse(body) as { sentAt?: number; journey?: string }) : {};
    if (parsed.journey === 'timers' && typeof parsed.sentAt === 'number') {
      fired++;
      late.push(Date.now() - parsed.sentAt);
    }
  });
  await produceAll(
    producer,
    `${prefix}events`,
    (i) =>
      xdmEvent('timer', (i + 3) % PROFILES, 0, {
        // every (PENDING / firing)-th wait falls due in the window, in order; the others a day later
        fireAt:
          i % Math.ceil(PENDING / firing) === 0
            ? fireStart + Math.floor((i / PENDING) * windowMs)
            : fireStart + 86_400_000 + i,
      }),
    PENDING,
    ctx.log,
  );
  await until(() => Date.now() >= fireStart, fireStart - Date.now() + 1_000, 'fire window', ctx.log);
  const rssWithInstances = engine.peakRssMb();
  ctx.log(`timers: ingested; engine peak RSS so far ${rssWithInstances.toFixed(0)} MB`);
  await until(
    () => fired >= firing,
    windowMs + 600_000,
    'timer commands',
    ctx.log,
    () => `timers: ${fired} of ${firing} fired`,
  );
  await w.stop();
  late.sort((a, b) => a - b);
  const metrics = await engine.metrics();
  return {
    rssWithInstances,
    engineLatenessP99: histogramQuantile(metrics, 'jo_timer_lateness_seconds', 0.99),
    e2eLatenessP99: percentile(late, 99) / 1000,
    e2eLatenessP50: percentile(late, 50) / 1000,
  };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const prefix = `bench-e-${randomUUID().slice(0, 8)}.`;
  const appId = `${prefix}engine`;
  const stateDir = mkdtempSync(join(tmpdir(), 'jo-bench-'));
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-engine', logLevel: 'nothing' });
  const producer = await setupTopics(kafka, prefix, 'http://127.0.0.1:9');
  const rows: BenchRow[] = [];
  let engine: Engine | undefined;
  try {
    const tp = await throughput(ctx, kafka, producer, prefix, () => startEngine(ctx, prefix, appId, stateDir));
    engine = tp.engine;
    const reference = await passThrough(ctx, prefix);
    rows.push(
      {
        metric: 'end-to-end events/s (exactly-once, first→last command)',
        value: tp.eventsPerS,
        unit: 'events/s',
        target: '>= 10000',
      },
      { metric: 'end-to-end events/s incl. engine start-up', value: tp.overallPerS, unit: 'events/s' },
      { metric: 'plain kafkajs pass-through', value: reference, unit: 'records/s' },
      { metric: 'engine / pass-through', value: (100 * tp.eventsPerS) / reference, unit: '%', target: '>= 40' },
    );
    const l = await latency(ctx, kafka, producer, prefix, engine);
    rows.push(
      { metric: `offered load`, value: l.offered, unit: 'events/s', note: `${l.seen} of ${l.sent} commands seen` },
      { metric: 'event→command latency p50', value: l.p50, unit: 'ms', note: `commit interval ${COMMIT_MS} ms` },
      { metric: 'event→command latency p99', value: l.p99, unit: 'ms', target: '< 100' },
      {
        metric: 'engine: event→command emitted p99 (before commit)',
        value: l.emitP99,
        unit: 'ms',
        note: 'histogram bucket bound, latency phase',
      },
      { metric: 'engine: task commit duration p50', value: l.commitP50, unit: 'ms', note: 'bucket bound' },
      { metric: 'engine: task commit duration p99', value: l.commitP99, unit: 'ms', note: 'bucket bound' },
    );
    if (PENDING > 0) {
      const t = await timers(ctx, kafka, producer, prefix, engine);
      rows.push(
        {
          metric: `peak RSS with ${PENDING} instances in state`,
          value: t.rssWithInstances,
          unit: 'MB',
          target: '< 1024',
        },
        {
          metric: 'timer lateness p99 (engine histogram bucket)',
          value: t.engineLatenessP99,
          unit: 's',
          target: '< 1',
        },
        { metric: 'timer → committed command p50', value: t.e2eLatenessP50, unit: 's' },
        { metric: 'timer → committed command p99', value: t.e2eLatenessP99, unit: 's' },
      );
    }
    rows.push({ metric: 'engine peak RSS over the run', value: engine.peakRssMb(), unit: 'MB' });
  } finally {
    await engine?.stop();
    await producer.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return rows;
}
