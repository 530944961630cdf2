/**
 * The simulation half of `npm run bench -- replay` in a child process, so it runs on the current tree and on the
 * baseline tree (bench/baseline.ts) back to back: the replay benchmark's journey over `events` events held in
 * memory, spread evenly over `spanMs` before 2026-01-01 (no broker). Prints one JSON line {@link SimResult}.
 */
import { JourneySimulation } from '../processors/index.js';
import { eventValue, record, resources } from './replay-journey.js';

export interface SimArgs {
  readonly events: number;
  readonly spanMs: number;
}

export interface SimResult {
  readonly perS: number;
  readonly perCpuS: number;
  readonly commands: number;
}

async function main({ events: n, spanMs }: SimArgs): Promise<SimResult> {
  const to = Date.parse('2026-01-01T00:00:00Z');
  const from = to - spanMs;
  const values = Array.from({ length: n }, (_, i) => Buffer.from(eventValue(i)));
  let commands = 0;
  const sim = await JourneySimulation.create({
    resources,
    journeys: [record],
    start: from,
    observer: { command: () => void (commands += 1) },
  });
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) sim.addEvent(from + Math.floor((i * spanMs) / n), values[i] ?? Buffer.alloc(0));
    await sim.run(to);
    const cpu = process.cpuUsage(cpu0);
    return { perS: n / ((performance.now() - t0) / 1000), perCpuS: n / ((cpu.user + cpu.system) / 1e6), commands };
  } finally {
    await sim.close();
  }
}

const result = await main(JSON.parse(process.argv[2] ?? '{}') as SimArgs);
process.stdout.write(`${JSON.stringify(result)}\n`);
