/**
 * Run with tsx, arguments `[events] [workers]`: `jo replay`'s simulation split over `workers` shards
 * (ops/journey-test/replay-shards.ts: routing by profile on this thread, one worker thread per shard when more than
 * one) over the replay benchmark's events held in memory (bench/replay-journey.ts, no broker), fed in batches of
 * 1,000 as the reader would. Prints one JSON line: shard start-up time (worker threads loading the code), then wall
 * and CPU time (all threads of the process) of the run. Run it for 1 and for 2 workers back to back, under
 * `flock /work/bench.lock`; numbers in docs/benchmarks.md#replay.
 */
import { ReplayShards, type ReplayEvent } from '../ops/journey-test/index.js';
import { eventValue, record, resources } from './replay-journey.js';

const n = Number(process.argv[2] ?? 20_000);
const workers = Number(process.argv[3] ?? 2);
const SPAN_MS = 7_200_000;
const to = Date.parse('2026-01-01T00:00:00Z');
const from = to - SPAN_MS;
const events: ReplayEvent[] = Array.from({ length: n }, (_, i) => ({
  at: from + Math.floor((i * SPAN_MS) / n),
  key: null,
  value: Buffer.from(eventValue(i)),
}));
const t0 = performance.now();
const shards = new ReplayShards(workers);
await shards.setup({ resources, journeys: [record], start: from });
const t1 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < n; i += 1_000) {
  const batch = events.slice(i, i + 1_000);
  await shards.events(batch, (batch.at(-1)?.at ?? 0) - 1, batch.length);
}
const counts = await shards.finish(to);
const cpu = process.cpuUsage(cpu0);
const runS = (performance.now() - t1) / 1000;
await shards.close();
const cpuS = (cpu.user + cpu.system) / 1e6;
const result = {
  workers,
  events: n,
  startS: Number(((t1 - t0) / 1000).toFixed(2)),
  runS: Number(runS.toFixed(2)),
  cpuS: Number(cpuS.toFixed(2)),
  perS: Math.round(n / runS),
  perCpuS: Math.round(n / cpuS),
  commands: counts.commands,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
