/**
 * Stream runtime throughput on the real broker: records/s of a stateless pass-through topology and of a
 * stateful counting topology (RocksDB store, changelog) under exactly-once, the same pass-through at-least-once,
 * and restore speed (changelog records/s into fresh stores). Inputs are produced before the clock starts; a run
 * is timed from its first task running to the last input record processed and committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  StreamsApp,
  TopologyBuilder,
  createKafka,
  jsonSerde,
  serdes,
  type KafkaClient,
  type KeyValueStore,
  type ProcessorContext,
  type Topology,
} from '../topology/index.js';
import type { BenchContext, BenchRow } from './types.js';

const RECORDS = 50_000;
const PARTITIONS = 3;

function passThrough(input: string, output: string): Topology {
  return new TopologyBuilder()
    .addSource({
      name: 'in',
      topics: [input],
      keyDeserializer: serdes.bufferDeserializer,
      valueDeserializer: serdes.bufferDeserializer,
    })
    .addSink({
      name: 'out',
      topic: output,
      parents: ['in'],
      keySerializer: serdes.bufferSerializer,
      valueSerializer: serdes.bufferSerializer,
    })
    .build();
}

/** word -> running count, RocksDB store `counts` (change-logged), output `word -> count`. */
function counting(input: string, output: string): Topology {
  return new TopologyBuilder()
    .addSource({
      name: 'in',
      topics: [input],
      keyDeserializer: serdes.stringDeserializer,
      valueDeserializer: serdes.stringDeserializer,
    })
    .addStateStore({ name: 'counts', serde: jsonSerde<number>(), kind: 'rocksdb' })
    .addProcessor<string | null, string | null, string, string>({
      name: 'count',
      parents: ['in'],
      stores: ['counts'],
      supplier: () => {
        let ctx: ProcessorContext<string, string>;
        let store: KeyValueStore<number>;
        return {
          init: (c) => {
            ctx = c;
            store = c.getStateStore('counts');
          },
          process: async (r) => {
            const word = r.value ?? '';
            const n = ((await store.get(word)) ?? 0) + 1;
            await store.put(word, n);
            await ctx.forward({ ...r, key: word, value: String(n) });
          },
        };
      },
    })
    .addSink({
      name: 'out',
      topic: output,
      parents: ['count'],
      keySerializer: serdes.stringSerializer,
      valueSerializer: serdes.stringSerializer,
    })
    .build();
}

async function produce(kafka: KafkaClient, topic: string, words: readonly string[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < words.length; i += 5_000)
    await producer.send({ topic, acks: -1, messages: words.slice(i, i + 5_000).map((w) => ({ key: w, value: w })) });
  await producer.disconnect();
}

interface Run {
  readonly recordsPerSecond: number;
  readonly restoredPerSecond: number;
  readonly restored: number;
}

async function timeApp(app: StreamsApp, expected: number): Promise<Run> {
  let processed = 0;
  let first = 0;
  let restored = 0;
  let restoreMs = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  app.events.on('task-state', (e) => {
    if (e.state === 'running' && first === 0) first = performance.now();
  });
  app.events.on('restore-complete', (e) => {
    restored += e.restored;
    restoreMs = Math.max(restoreMs, e.durationMs);
  });
  app.events.on('records-processed', (e) => {
    processed += e.count;
    if (processed >= expected) resolveDone();
  });
  await app.start();
  await done;
  const seconds = (performance.now() - first) / 1000;
  await app.close();
  return {
    recordsPerSecond: expected / seconds,
    restored,
    restoredPerSecond: restoreMs > 0 ? restored / (restoreMs / 1000) : 0,
  };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-topology', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const id = randomUUID().slice(0, 8);
  const t = (n: string) => `bench-topology-${n}-${id}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: ['in', 'out', 'count-out', 'alos-out', 'dlq'].map((n) => ({
      topic: t(n),
      numPartitions: n === 'dlq' ? 1 : PARTITIONS,
    })),
  });
  ctx.log(`producing ${RECORDS} records`);
  const words = Array.from({ length: RECORDS }, (_, i) => `w${(i * 7) % 5_000}`);
  await produce(kafka, t('in'), words);
  const base = { kafka, dlqTopic: t('dlq') };
  ctx.log('stateless pass-through, exactly-once');
  const stateless = await timeApp(
    new StreamsApp({ ...base, applicationId: t('stateless'), topology: passThrough(t('in'), t('out')) }),
    RECORDS,
  );
  ctx.log('stateless pass-through, at-least-once');
  const alos = await timeApp(
    new StreamsApp({
      ...base,
      applicationId: t('alos'),
      topology: passThrough(t('in'), t('alos-out')),
      processingGuarantee: 'at-least-once',
    }),
    RECORDS,
  );
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-topology-'));
  try {
    ctx.log('stateful counting (RocksDB), exactly-once');
    const topology = counting(t('in'), t('count-out'));
    const stateful = await timeApp(
      new StreamsApp({ ...base, applicationId: t('stateful'), topology, stateDir: join(stateDir, 'a') }),
      RECORDS,
    );
    ctx.log('restore into a fresh state directory');
    // Same application id, new state directory: every task restores its whole changelog before processing.
    let restored = 0;
    let restoreMs = 0;
    const again = new StreamsApp({ ...base, applicationId: t('stateful'), topology, stateDir: join(stateDir, 'b') });
    const all = new Promise<void>((resolve) => {
      let tasks = 0;
      again.events.on('restore-complete', (e) => {
        restored += e.restored;
        restoreMs = Math.max(restoreMs, e.durationMs);
        if (++tasks === PARTITIONS) resolve();
      });
    });
    await again.start();
    await all;
    await again.close();
    return [
      { metric: 'stateless pass-through, exactly-once', value: stateless.recordsPerSecond, unit: 'records/s' },
      { metric: 'stateless pass-through, at-least-once', value: alos.recordsPerSecond, unit: 'records/s' },
      { metric: 'stateful counting (RocksDB), exactly-once', value: stateful.recordsPerSecond, unit: 'records/s' },
      {
        metric: 'restore from changelog',
        value: restoreMs > 0 ? restored / (restoreMs / 1000) : 0,
        unit: 'records/s',
        note: `${restored} changelog records, ${PARTITIONS} tasks in parallel`,
      },
    ];
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await admin.disconnect();
  }
}
