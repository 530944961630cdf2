/**
 * Stream runtime throughput and CPU per record on the real broker, before and after, in one run: a stateful
 * counting topology (RocksDB store, changelog) and a stateless pass-through, both exactly-once, each run on the
 * current tree and on a BASELINE build of the runtime (the tree at `BENCH_BASELINE_REF`, see baseline.ts). Each
 * run is a child process (bench/topology-child.ts) reading the same input from the start under its own application
 * id; baseline and current alternate, `BENCH_TOPOLOGY_ROUNDS` times (default 2;
 * odd rounds run the current tree first). The machine is shared: CPU µs per record moves much less with its load
 * than records/s does, so both are printed (means over the rounds).
 * Then, on the current tree only: the pass-through at-least-once and the restore of the stateful case's changelog
 * into a fresh state directory.
 *
 * `BENCH_BASELINE_REF=none` skips the baseline. `BENCH_TOPOLOGY_PROFILE=<dir>` writes a V8 CPU profile per child.
 */
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createKafka, type KafkaClient } from '../topology/index.js';
import { BASELINE_REF, mean, runChild as run1, variants as trees, type Variant } from './baseline.js';
import type { ChildArgs, ChildResult } from './topology-child.js';
import type { BenchContext, BenchRow } from './types.js';

const RECORDS = Number(process.env['BENCH_TOPOLOGY_RECORDS'] ?? 100_000);
const PARTITIONS = 3;
const ROUNDS = Number(process.env['BENCH_TOPOLOGY_ROUNDS'] ?? 2);
const PROFILE_DIR = process.env['BENCH_TOPOLOGY_PROFILE'];

type Case = ChildArgs['case'];

const runChild = (v: Variant, args: ChildArgs, label: string) =>
  run1<ChildResult>(v, 'topology-child.ts', args, label, PROFILE_DIR);

async function produce(kafka: KafkaClient, topic: string, words: readonly string[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < words.length; i += 5_000)
    await producer.send({ topic, acks: -1, messages: words.slice(i, i + 5_000).map((w) => ({ key: w, value: w })) });
  await producer.disconnect();
}

const load = () => `load ${loadavg()[0]?.toFixed(1)}`;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-topology', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const id = randomUUID().slice(0, 8);
  const t = (n: string) => `bench-topology-${n}-${id}`;
  const variants = trees(['topology-child.ts']);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: ['in', 'out', 'count-out', 'dlq'].map((n) => ({
        topic: t(n),
        numPartitions: n === 'dlq' ? 1 : PARTITIONS,
      })),
    });
    ctx.log(`producing ${RECORDS} records`);
    await produce(
      kafka,
      t('in'),
      Array.from({ length: RECORDS }, (_, i) => `w${(i * 7) % 5_000}`),
    );
    const args = (c: Case, app: string): ChildArgs => ({
      brokers: ctx.brokers,
      case: c,
      input: t('in'),
      output: t(c === 'stateful' || c === 'restore' ? 'count-out' : 'out'),
      dlq: t('dlq'),
      applicationId: t(app),
      records: RECORDS,
      partitions: PARTITIONS,
    });
    const results = new Map<string, { r: ChildResult; load: string }[]>();
    let lastStatefulApp = '';
    for (let round = 0; round < ROUNDS; round++)
      for (const c of ['stateful', 'passthrough'] as const)
        for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
          const app = `${c}-${v.name}-${round}`;
          const label = `${c}-${v.name}-${round}-${id}`;
          const r = await runChild(v, args(c, app), label);
          const l = load();
          ctx.log(
            `${label}: ${r.recordsPerSecond.toFixed(0)} records/s, ${r.cpuUsPerRecord.toFixed(1)} µs CPU/record; ${l}`,
          );
          const key = `${c}/${v.name}`;
          results.set(key, [...(results.get(key) ?? []), { r, load: l }]);
          if (c === 'stateful' && v.name === 'current') lastStatefulApp = app;
        }
    const current = variants[variants.length - 1] as Variant;
    ctx.log('stateless pass-through, at-least-once (current)');
    const alos = await runChild(current, args('passthrough-alos', 'alos'), `alos-${id}`);
    ctx.log('restore into a fresh state directory (current)');
    const restore = await runChild(current, args('restore', lastStatefulApp), `restore-${id}`);
    return [
      ...caseRows(results, 'stateful', 'stateful counting (RocksDB), exactly-once'),
      ...caseRows(results, 'passthrough', 'stateless pass-through, exactly-once'),
      { metric: 'stateless pass-through, at-least-once', value: alos.recordsPerSecond, unit: 'records/s' },
      { metric: '… CPU per record', value: alos.cpuUsPerRecord, unit: 'µs' },
      {
        metric: 'restore from changelog',
        value: restore.restoredPerSecond ?? 0,
        unit: 'records/s',
        note: `${restore.restored ?? 0} changelog records, ${PARTITIONS} tasks in parallel`,
      },
    ];
  } finally {
    await admin.deleteTopics({ topics: ['in', 'out', 'count-out', 'dlq'].map(t) }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Per variant: mean records/s and CPU µs/record over the rounds; then current/baseline ratios. */
function caseRows(
  results: ReadonlyMap<string, ReadonlyArray<{ r: ChildResult; load: string }>>,
  c: Case,
  title: string,
): BenchRow[] {
  const rows: BenchRow[] = [];
  const of = (v: Variant['name']) => results.get(`${c}/${v}`) ?? [];
  for (const v of ['baseline', 'current'] as const) {
    const runs = of(v);
    if (runs.length === 0) continue;
    const note = `${v === 'baseline' ? `baseline ${BASELINE_REF}` : 'current tree'}; ${runs.map((x) => x.load).join(', ')}`;
    rows.push(
      { metric: `${title} [${v}]`, value: mean(runs.map((x) => x.r.recordsPerSecond)), unit: 'records/s', note },
      { metric: `… CPU per record [${v}]`, value: mean(runs.map((x) => x.r.cpuUsPerRecord)), unit: 'µs' },
    );
  }
  const b = of('baseline');
  const a = of('current');
  if (b.length && a.length) {
    const rate = mean(a.map((x) => x.r.recordsPerSecond)) / mean(b.map((x) => x.r.recordsPerSecond));
    const cpu = mean(b.map((x) => x.r.cpuUsPerRecord)) / mean(a.map((x) => x.r.cpuUsPerRecord));
    rows.push(
      {
        metric: `… current / baseline records/s`,
        value: rate,
        unit: '×',
        ...(c === 'stateful' ? { target: '>= 2' } : {}),
      },
      {
        metric: `… baseline / current CPU per record`,
        value: cpu,
        unit: '×',
        ...(c === 'stateful' ? { target: '>= 2' } : {}),
      },
    );
  }
  return rows;
}
