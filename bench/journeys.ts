/**
 * Journey pipeline throughput (`npm run bench -- journeys`):
 * 1. broker-less: sign-up events through the whole topology on the TopologyTestDriver (normalize, repartition,
 *    enrich, match, action command, wait timer), i.e. the processors' own cost;
 * 2. real broker: the same topology under `StreamsApp` (exactly-once, in-memory stores, 6 partitions) in this
 *    process; unkeyed events produced at once, measured until every welcome command is visible to a
 *    read_committed consumer. Shares 2 cores with the broker and everything else: indicative numbers only.
 *
 * `BENCH_JOURNEYS_ONLY=twenty`: instead, the engine benchmark's 20-journey case on the test driver
 * (bench/driver-twenty.ts: the journey code's own CPU per event, no broker) on the baseline tree and on the current
 * tree, alternating (`BENCH_BASELINE_REF`, bench/baseline.ts; `BENCH_TWENTY_ROUNDS`, default 2;
 * `BENCH_TWENTY_EVENTS`, default 20k): before/after in one run, CPU µs per event being the figure to compare.
 */
import { randomUUID } from 'node:crypto';
import { buildJourneyTopology } from '../processors/index.js';
import { topicCatalog, type JourneyConfig, type JourneyRecord } from '../schemas/index.js';
import { createKafka, restoreChangelogs, StreamsApp, type KafkaClient } from '../topology/index.js';
import { TopologyTestDriver } from '../topology/testing/index.js';
import { loadavg } from 'node:os';
import { BASELINE_REF, mean, runChild, variants, type Variant } from './baseline.js';
import type { TwentyResult } from './driver-twenty.js';
import type { BenchContext, BenchRow } from './types.js';

const journey: JourneyConfig = {
  id: 'welcome',
  name: 'Welcome',
  namespace: 'email',
  entry: { event: 'signup' },
  start: 'email',
  nodes: {
    email: { type: 'action', action: 'sendEmail', params: { firstName: '{{profile.firstName}}' }, next: 'pause' },
    pause: { type: 'wait', duration: 'P1D', next: 'done' },
    done: { type: 'end' },
  },
};
const config: Array<[string, object]> = [
  [
    'event/signup',
    {
      id: 'signup',
      name: 'Sign-up',
      recognition: { eventType: 'user.signup' },
      identity: { namespace: 'email', path: 'identityMap.email' },
    },
  ],
  [
    'action/sendEmail',
    { id: 'sendEmail', type: 'campaign', url: 'http://127.0.0.1:9/ts', channel: 'email', eventType: 'welcome' },
  ],
  [
    'journey/welcome',
    {
      id: 'welcome',
      versions: [{ version: 1, state: 'live', createdAt: new Date().toISOString(), journey }],
    } satisfies JourneyRecord,
  ],
];
const event = (i: number) =>
  JSON.stringify({
    timestamp: new Date().toISOString(),
    eventType: 'user.signup',
    identityMap: { email: [{ id: `b${i}@example.com`, primary: true }] },
  });

async function driverRun(n: number): Promise<number> {
  const { topology } = buildJourneyTopology();
  const d = await TopologyTestDriver.create(topology, { partitions: 6, topicPartitions: { 'jo.config': 1 } });
  for (const [k, v] of config) await d.pipeInput('jo.config', k, v);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await d.pipeInput('jo.events', null, event(i));
  const s = (performance.now() - t0) / 1000;
  const cmds = d.readOutput('jo.commands.campaign').length;
  await d.close();
  if (cmds !== n) throw new Error(`driver: ${cmds} commands for ${n} events`);
  return n / s;
}

async function countCommitted(kafka: KafkaClient, topic: string, n: number, timeoutMs: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, readUncommitted: false });
  await consumer.connect();
  let count = 0;
  let last = 0;
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      last = performance.now();
    },
  });
  const t0 = performance.now();
  while (count < n && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (count < n) throw new Error(`broker: only ${count} of ${n} commands within ${timeoutMs} ms`);
  return last;
}

async function brokerRun(ctx: BenchContext, n: number): Promise<number> {
  const prefix = `bench-j-${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-journeys', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = topicCatalog({ prefix, partitions: 6 });
  await admin.createTopics({ topics: topics.map((s) => ({ topic: s.name, numPartitions: s.partitions })) });
  // kafkajs' waitForLeaders can fail on a busy broker: poll the metadata instead
  for (let i = 0; i < 100; i++) {
    const ok = await admin
      .fetchTopicMetadata({ topics: topics.map((t) => t.name) })
      .then((m) => m.topics.every((t) => t.partitions.every((p) => p.leader >= 0)))
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}config`,
    messages: config.map(([k, v]) => ({ key: k, value: JSON.stringify(v) })),
  });
  const { topology } = buildJourneyTopology({ topicPrefix: prefix });
  const app = new StreamsApp({
    applicationId: `${prefix}engine`,
    topology,
    kafka,
    dlqTopic: `${prefix}dlq`,
    restorer: restoreChangelogs,
  });
  await app.start();
  ctx.log(`producing ${n} unkeyed events`);
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1_000)
    await producer.send({
      topic: `${prefix}events`,
      messages: Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ key: null, value: event(i + j) })),
    });
  const last = await countCommitted(kafka, `${prefix}commands.campaign`, n, 300_000);
  await app.close();
  await producer.disconnect();
  await admin.disconnect();
  return n / ((last - t0) / 1000);
}

/** The 20-journey driver case on the baseline and the current tree, alternating; rows per tree and the ratios. */
async function twentyRows(ctx: BenchContext): Promise<BenchRow[]> {
  const n = Number(process.env['BENCH_TWENTY_EVENTS'] ?? 20_000);
  const rounds = Number(process.env['BENCH_TWENTY_ROUNDS'] ?? 2);
  const trees = variants(['driver-twenty.ts', 'engine-config.ts']);
  const runs = new Map<Variant['name'], Array<TwentyResult & { load: string }>>();
  for (let round = 0; round < rounds; round++)
    for (const v of round % 2 === 0 ? trees : [...trees].reverse()) {
      const r = await runChild<TwentyResult>(v, 'driver-twenty.ts', { events: n }, `twenty-${v.name}-${round}`);
      const load = `load ${loadavg()[0]?.toFixed(2)}`;
      ctx.log(
        `20 journeys, driver [${v.name}]: ${r.perS.toFixed(0)} events/s, ${r.cpuUsPerEvent.toFixed(1)} CPU µs/event; ${load}`,
      );
      runs.set(v.name, [...(runs.get(v.name) ?? []), { ...r, load }]);
    }
  const rows: BenchRow[] = [];
  for (const [name, list] of runs) {
    const note = `${name === 'baseline' ? `baseline ${BASELINE_REF}` : 'current tree'}; ${n} events; ${list.map((x) => x.load).join(', ')}`;
    rows.push(
      {
        metric: `20 journeys on the test driver [${name}]`,
        value: mean(list.map((x) => x.perS)),
        unit: 'events/s',
        note,
      },
      {
        metric: `20 journeys on the test driver, CPU per event [${name}]`,
        value: mean(list.map((x) => x.cpuUsPerEvent)),
        unit: 'µs',
      },
    );
  }
  const b = runs.get('baseline');
  const a = runs.get('current');
  if (a && b)
    rows.push({
      metric: '20 journeys on the test driver: baseline / current CPU per event',
      value: mean(b.map((x) => x.cpuUsPerEvent)) / mean(a.map((x) => x.cpuUsPerEvent)),
      unit: '×',
    });
  return rows;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  if (process.env['BENCH_JOURNEYS_ONLY'] === 'twenty') return twentyRows(ctx);
  ctx.log('driver run');
  const driver = await driverRun(5_000);
  ctx.log('broker run');
  const broker = await brokerRun(ctx, 20_000);
  return [
    {
      metric: 'test driver: sign-up → command + wait timer',
      value: driver,
      unit: 'events/s',
      note: 'one process, no broker',
    },
    {
      metric: 'StreamsApp on the broker: unkeyed events → committed commands',
      value: broker,
      unit: 'events/s',
      target: '>= 5000',
      note: '6 partitions, exactly-once, in-memory stores, 1 process; shared CPU',
    },
  ];
}
