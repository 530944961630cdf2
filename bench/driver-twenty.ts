/**
 * The 20-journey benchmark case on the broker-less TopologyTestDriver: the journey code's own cost per event, with
 * no broker, transactions or RocksDB. `node --import tsx bench/driver-twenty.ts [events]`; add `--cpu-prof
 * --cpu-prof-dir=DIR` to profile it. Prints `DRIVER <events/s> <µs per event> <CPU µs per event>`.
 *
 * Also the child of `BENCH_JOURNEYS_ONLY=twenty npm run bench -- journeys` (bench/journeys.ts), which runs it on the
 * baseline tree and on the current tree (bench/baseline.ts): with a JSON argument `{"events": n}` it prints one JSON
 * line {@link TwentyResult}. It uses only names that existed at the baseline too.
 */
import { buildJourneyTopology } from '../processors/index.js';
import { TopologyTestDriver } from '../topology/testing/index.js';
import { benchConfig, twentyJourneyEvent } from './engine-config.js';

export interface TwentyResult {
  readonly perS: number;
  /** Process CPU (user + system) per event over the measured events. */
  readonly cpuUsPerEvent: number;
}

export async function driverTwenty(n: number, warmup = 2_000): Promise<TwentyResult> {
  const { topology } = buildJourneyTopology();
  const d = await TopologyTestDriver.create(topology, { partitions: 6, topicPartitions: { 'jo.config': 1 } });
  for (const [k, v] of benchConfig('http://127.0.0.1:9')) await d.pipeInput('jo.config', k, v);
  for (let i = 0; i < warmup; i++) await d.pipeInput('jo.events', null, twentyJourneyEvent(1_000_000 + i));
  const events = Array.from({ length: n }, (_, i) => twentyJourneyEvent(i));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const e of events) await d.pipeInput('jo.events', null, e);
  const cpu = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  const commands = d.readOutput('jo.commands.http').length;
  await d.close();
  if (commands < n) throw new Error(`driver: ${commands} commands for ${n} events`);
  return { perS: n / s, cpuUsPerEvent: (cpu.user + cpu.system) / n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = process.argv[2] ?? '20000';
  if (arg.startsWith('{')) {
    const r = await driverTwenty((JSON.parse(arg) as { events: number }).events);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    const r = await driverTwenty(Number(arg));
    const line = `DRIVER ${r.perS.toFixed(0)} events/s ${(1e6 / r.perS).toFixed(1)} µs/event`;
    process.stdout.write(`${line} ${r.cpuUsPerEvent.toFixed(1)} CPU µs/event\n`);
  }
}
