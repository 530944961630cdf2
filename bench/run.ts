/**
 * `npm run bench [-- name ...]`: runs benchmarks against the real local broker (started when KAFKA_BROKERS is
 * unset), prints a table per benchmark and writes JSON to bench/results/<name>-<timestamp>.json.
 *
 * A benchmark is a file `bench/<name>.ts` exporting `run(ctx: BenchContext): Promise<BenchRow[]>`; add its name
 * to BENCHES below. Benchmarks print numbers; they never fail on a target (targets are reported next to results).
 *
 * `BENCH_TINY=1`: every case end-to-end on a few hundred records (each size variable below that is not set gets
 * its tiny value), nothing written to bench/results/. It shows the case still runs (CI runs some of them that way:
 * ops/docs-examples.int.test.ts); its numbers mean nothing — the docs' numbers come from full runs.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from '../ops/testing/index.js';
import type { BenchContext, BenchRow } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Run order for `npm run bench` with no names. */
const BENCHES = ['stores', 'topology', 'connectors', 'engine', 'codecs'];

/** The size settings of the cases and their `BENCH_TINY=1` values. */
export const TINY_SIZES: Readonly<Record<string, string>> = {
  BENCH_STORES_KEYS: '300',
  BENCH_STORES_RESTORE: '300',
  BENCH_STORES_SPREAD: '2',
  BENCH_CONNECTOR_COMMANDS: '300',
  BENCH_TWENTY_EVENTS: '300',
  BENCH_TWENTY_ROUNDS: '1',
  BENCH_REPLAY_EVENTS: '300',
  BENCH_REPLAY_ROUNDS: '1',
  BENCH_RESTARTS: '1',
  BENCH_AUDIENCE_PROFILES: '300',
  BENCH_EVENTS: '300',
  BENCH_LATENCY_SECONDS: '1',
  BENCH_PENDING: '0',
  BENCH_TOPOLOGY_RECORDS: '300',
  BENCH_TOPOLOGY_ROUNDS: '1',
};
const tiny = process.env['BENCH_TINY'] === '1';
if (tiny) for (const [name, value] of Object.entries(TINY_SIZES)) process.env[name] ??= value;

function table(rows: BenchRow[]): string {
  const head = ['metric', 'value', 'unit', 'target', 'note'];
  const body = rows.map((r) => [r.metric, formatValue(r.value), r.unit, r.target ?? '', r.note ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1);
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = (asked.length ? asked : BENCHES).filter((n) => {
    const ok = existsSync(join(here, `${n}.ts`));
    if (!ok) process.stderr.write(`bench ${n}: bench/${n}.ts does not exist, skipping\n`);
    return ok;
  });
  const infra = await ensureInfra({ needRegistry: false });
  const ctx: BenchContext = {
    brokers: infra.kafkaBrokers,
    log: (msg) => process.stderr.write(`  … ${msg}\n`),
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  const all: Record<string, BenchRow[]> = {};
  for (const name of names) {
    process.stdout.write(`\n== bench ${name}\n`);
    const mod = (await import(`./${name}.ts`)) as { run: (c: BenchContext) => Promise<BenchRow[]> };
    const started = Date.now();
    const rows = await mod.run(ctx);
    all[name] = rows;
    process.stdout.write(`${table(rows)}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (tiny) {
      process.stdout.write('(BENCH_TINY=1: a few hundred records, the numbers mean nothing; not saved)\n');
      continue;
    }
    const file = join(here, 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), node: process.version, rows }, null, 2));
  }
  return 0;
}

process.exitCode = await main();
