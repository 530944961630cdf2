/**
 * The 20-journey benchmark case on the broker-less TopologyTestDriver: the journey code's own cost per event, with
 * no broker, transactions or RocksDB. `node --import tsx bench/driver-twenty.ts [events]`; add `--cpu-prof
 * --cpu-prof-dir=DIR` to profile it. Prints `DRIVER <events/s> <µs per event>`.
 */
import { buildJourneyTopology } from '../processors/index.js';
import { TopologyTestDriver } from '../topology/testing/index.js';
import { benchConfig, twentyJourneyEvent } from './engine-config.js';

export async function driverTwenty(n: number, warmup = 2_000): Promise<number> {
  const { topology } = buildJourneyTopology();
  const d = await TopologyTestDriver.create(topology, { partitions: 6, topicPartitions: { 'jo.config': 1 } });
  for (const [k, v] of benchConfig('http://127.0.0.1:9')) await d.pipeInput('jo.config', k, v);
  for (let i = 0; i < warmup; i++) await d.pipeInput('jo.events', null, twentyJourneyEvent(1_000_000 + i));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await d.pipeInput('jo.events', null, twentyJourneyEvent(i));
  const s = (performance.now() - t0) / 1000;
  const commands = d.readOutput('jo.commands.http').length;
  await d.close();
  if (commands < n) throw new Error(`driver: ${commands} commands for ${n} events`);
  return n / s;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 20_000);
  const rate = await driverTwenty(n);
  process.stdout.write(`DRIVER ${rate.toFixed(0)} events/s ${(1e6 / rate).toFixed(1)} µs/event\n`);
}
