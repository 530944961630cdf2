/**
 * Timers and memory phase of the engine benchmark: `pending` entry events to a journey that waits `until` a time;
 * BENCH_FIRE_COUNT (default 20k) of them fall due spread over a 60 s window after ingestion, the rest stay pending.
 * Peak RSS of the engine with the instances in state; timer lateness p99 from the engine's
 * `jo_timer_lateness_seconds` histogram and, end to end, from the commands issued after the waits.
 */
import type { KafkaClient, Producer } from '../topology/index.js';
import type { EngineUnderTest } from './engine-child.js';
import { PROFILES, xdmEvent } from './engine-config.js';
import { percentile, produceAll, until, watch } from './harness.js';
import { rssSampler } from './process-stats.js';
import type { BenchContext, BenchRow } from './types.js';

const FIRE_DELAY_S = Number(process.env['BENCH_FIRE_DELAY_S'] ?? 0);
const FIRE_COUNT = Number(process.env['BENCH_FIRE_COUNT'] ?? 20_000);

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
export function histogramQuantile(text: string, name: string, q: number, before?: string): number {
  const byLe = histogramBuckets(text, name);
  if (before !== undefined) for (const [le, c] of histogramBuckets(before, name)) byLe.set(le, (byLe.get(le) ?? 0) - c);
  const sorted = [...byLe].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  for (const [le, c] of sorted) if (c >= q * total) return le;
  return NaN;
}

/** Phase 3: `pending` waits in the engine; returns the rows (peak RSS with them in state, timer lateness). */
export async function runTimers(
  ctx: BenchContext,
  kafka: KafkaClient,
  producer: Producer,
  engine: EngineUnderTest,
  pending: number,
): Promise<BenchRow[]> {
  const PENDING = pending;
  const rss = rssSampler(engine.pid);
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
  const w = await watch(kafka, [engine.commands], (v) => {
    const body = (JSON.parse(v.toString()) as { request?: { body?: string } }).request?.body;
    const parsed = body ? (JSON.parse(body) as { sentAt?: number; journey?: string }) : {};
    if (parsed.journey === 'timers' && typeof parsed.sentAt === 'number') {
      fired++;
      late.push(Date.now() - parsed.sentAt);
    }
  });
  await produceAll(
    producer,
    engine.input,
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
  const rssWithInstances = rss.peakMb();
  rss.stop();
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
  return [
    { metric: `peak RSS with ${PENDING} instances in state`, value: rssWithInstances, unit: 'MB', target: '< 1024' },
    {
      metric: 'timer lateness p99 (engine histogram bucket)',
      value: histogramQuantile(metrics, 'jo_timer_lateness_seconds', 0.99),
      unit: 's',
      target: '< 1',
    },
    { metric: 'timer → committed command p50', value: percentile(late, 50) / 1000, unit: 's' },
    { metric: 'timer → committed command p99', value: percentile(late, 99) / 1000, unit: 's' },
  ];
}
