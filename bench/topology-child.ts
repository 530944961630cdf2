/**
 * One case of `npm run bench -- topology`, run in a child process so the same case can run on two builds of the
 * runtime back to back: the current tree and a baseline extracted from a git ref (bench/topology.ts copies this
 * file into the baseline's tree; it uses only names `topology/index.ts` has exported since before the work it
 * measures). Reads its arguments from JSON in argv[2], prints one JSON line `{ recordsPerSecond, cpuUsPerRecord }`.
 *
 * Timed from the first task running to the last input record processed and committed; CPU is the whole process
 * (every thread: RocksDB's included) over the same span.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StreamsApp,
  TopologyBuilder,
  createKafka,
  jsonSerde,
  serdes,
  type KeyValueStore,
  type StoreSpec,
  type ProcessorContext,
  type Topology,
} from '../topology/index.js';

export interface ChildArgs {
  readonly brokers: string[];
  /** `restore`: the stateful case's application again on a fresh state directory (its changelog restored). */
  readonly case: 'stateful' | 'passthrough' | 'passthrough-alos' | 'restore';
  readonly input: string;
  readonly output: string;
  readonly dlq: string;
  readonly applicationId: string;
  readonly records: number;
  readonly partitions: number;
}

export interface ChildResult {
  readonly recordsPerSecond: number;
  readonly cpuUsPerRecord: number;
  /** `restore`: changelog records restored, and per second of the slowest task's restore. */
  readonly restored?: number;
  readonly restoredPerSecond?: number;
}

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

/**
 * The counting store, keyed by the record's value (the word), with a read-ahead of the words each batch will count.
 * A baseline from before the function form of `prefetchInputKeys` (it knew only `true`) ignores it and reads each
 * uncached word on its own.
 */
const countsStore: StoreSpec = {
  name: 'counts',
  serde: jsonSerde<number>(),
  kind: 'rocksdb',
  prefetchInputKeys: (r) => r.value?.toString('utf8'),
};

/** word -> running count, RocksDB store `counts` (change-logged), output `word -> count`. */
function counting(input: string, output: string): Topology {
  return new TopologyBuilder()
    .addSource({
      name: 'in',
      topics: [input],
      keyDeserializer: serdes.stringDeserializer,
      valueDeserializer: serdes.stringDeserializer,
    })
    .addStateStore(countsStore)
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

async function main(args: ChildArgs): Promise<ChildResult> {
  const kafka = createKafka({ brokers: args.brokers, clientId: 'bench-topology', logLevel: 'nothing' });
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-topology-'));
  const stateful = args.case === 'stateful' || args.case === 'restore';
  const topology = stateful ? counting(args.input, args.output) : passThrough(args.input, args.output);
  const app = new StreamsApp({
    kafka,
    dlqTopic: args.dlq,
    applicationId: args.applicationId,
    topology,
    stateDir,
    ...(args.case === 'passthrough-alos' ? { processingGuarantee: 'at-least-once' as const } : {}),
  });
  try {
    return args.case === 'restore' ? await timeRestore(app, args.partitions) : await timeRun(app, args.records);
  } finally {
    await app.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function timeRestore(app: StreamsApp, partitions: number): Promise<ChildResult> {
  let restored = 0;
  let restoreMs = 0;
  let tasks = 0;
  const cpu0 = process.cpuUsage();
  const all = new Promise<void>((resolve) => {
    app.events.on('restore-complete', (e) => {
      restored += e.restored;
      restoreMs = Math.max(restoreMs, e.durationMs);
      if (++tasks === partitions) resolve();
    });
  });
  await app.start();
  await all;
  const cpu = process.cpuUsage(cpu0);
  const perS = restoreMs > 0 ? restored / (restoreMs / 1000) : 0;
  return {
    recordsPerSecond: perS,
    cpuUsPerRecord: (cpu.user + cpu.system) / Math.max(1, restored),
    restored,
    restoredPerSecond: perS,
  };
}

async function timeRun(app: StreamsApp, records: number): Promise<ChildResult> {
  let processed = 0;
  let first = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  app.events.on('task-state', (e) => {
    if (e.state === 'running' && first === 0) {
      first = performance.now();
      cpu0 = process.cpuUsage();
    }
  });
  app.events.on('records-processed', (e) => {
    processed += e.count;
    if (processed >= records) resolveDone();
  });
  await app.start();
  await done;
  const seconds = (performance.now() - first) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { recordsPerSecond: records / seconds, cpuUsPerRecord: (cpu.user + cpu.system) / records };
}

const result = await main(JSON.parse(process.argv[2] ?? '{}') as ChildArgs);
process.stdout.write(`${JSON.stringify(result)}\n`);
// A kafkajs socket or RocksDB handle left behind must not keep the bench waiting.
process.exit(0);
