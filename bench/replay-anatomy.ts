/**
 * `npx tsx bench/replay-anatomy.ts [events]`: what one replayed event costs beyond its CPU time, to judge designs
 * (a synchronous store path, batching) before building them. Runs the replay benchmark's simulation (bench/
 * replay-journey.ts, events in memory, no broker) three times over the same events and prints one JSON line:
 *
 * - `perCpuS`, `inputs` (events, timer firings and action results the simulation processed) and `gcPauseShare`
 *   (main-thread GC pauses / wall time, from `perf_hooks` gc entries) of a plain run;
 * - `promisesPerEvent`: promises created per event (an `async_hooks` count; a second run, slowed by the hook);
 * - `kbAllocatedPerEvent`: bytes allocated per event (V8 sampling heap profiler, objects kept until collected;
 *   a third run).
 *
 * Not part of `npm run bench` (the counting runs are slow and their timings meaningless); numbers in
 * docs/benchmarks.md#replay and the issue notes.
 */
import { createHook } from 'node:async_hooks';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { JourneySimulation } from '../processors/index.js';
import { eventValue, record, resources } from './replay-journey.js';

const SPAN_MS = 7_200_000;
const TO = Date.parse('2026-01-01T00:00:00Z');

/** One simulation over `values` (spread evenly over the span); returns the inputs it processed. */
async function simulate(values: readonly Buffer[]): Promise<number> {
  const from = TO - SPAN_MS;
  const sim = await JourneySimulation.create({ resources, journeys: [record], start: from, observer: {} });
  try {
    values.forEach((v, i) => sim.addEvent(from + Math.floor((i * SPAN_MS) / values.length), v));
    await sim.run(TO);
    return sim.processed;
  } finally {
    await sim.close();
  }
}

async function plain(values: readonly Buffer[]) {
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const inputs = await simulate(values);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  // gc entries reach the callback a tick later: let them arrive, then take what is still queued
  await new Promise((resolve) => setImmediate(resolve));
  for (const e of obs.takeRecords()) gcMs += e.duration;
  obs.disconnect();
  const perCpuS = values.length / ((cpu.user + cpu.system) / 1e6);
  return { perCpuS: Math.round(perCpuS), inputs, gcPauseShare: Number((gcMs / wallMs).toFixed(3)) };
}

async function promisesPerEvent(values: readonly Buffer[]): Promise<number> {
  let n = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'PROMISE' && (n += 1)) });
  hook.enable();
  try {
    await simulate(values);
  } finally {
    hook.disable();
  }
  return Number((n / values.length).toFixed(1));
}

interface SamplingNode {
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

const sizeOf = (n: SamplingNode): number => n.children.reduce((s, c) => s + sizeOf(c), n.selfSize);

async function kbAllocatedPerEvent(values: readonly Buffer[]): Promise<number> {
  const s = new Session();
  s.connect();
  try {
    await s.post('HeapProfiler.enable');
    await s.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await simulate(values);
    const { profile } = (await s.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
    return Number((sizeOf(profile.head) / 1024 / values.length).toFixed(1));
  } finally {
    s.disconnect();
  }
}

const n = Number(process.argv[2] ?? 20_000);
const values = Array.from({ length: n }, (_, i) => Buffer.from(eventValue(i)));
const run = await plain(values);
const result = {
  events: n,
  ...run,
  inputsPerEvent: Number((run.inputs / n).toFixed(2)),
  promisesPerEvent: await promisesPerEvent(values),
  kbAllocatedPerEvent: await kbAllocatedPerEvent(values),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
