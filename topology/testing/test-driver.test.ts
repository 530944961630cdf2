import { afterEach, describe, expect, it } from 'vitest';
import { TerminalError } from '../api/errors.js';
import { TopologyBuilder } from '../api/builder.js';
import { defaultRuntimeNames, type RuntimeNames } from '../api/runtime-names.js';
import { partitionForKey } from '../kafka/murmur2.js';
import type { Processor, ProcessorContext } from '../api/processor.js';
import { serdes, withKey, type StreamRecord } from '../api/record.js';
import { jsonSerde, type KeyValueStore } from '../api/store.js';
import { TopologyTestDriver } from './test-driver.js';

const str = serdes.stringDeserializer;
const json = serdes.jsonDeserializer<Record<string, unknown>>();
const strOut = serdes.stringSerializer;
const jsonOut = serdes.jsonSerializer<unknown>();

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

/** Counts records per key in store `counts` and emits `key -> count`. */
class Counter implements Processor<string | null, unknown, string, number> {
  private ctx!: ProcessorContext<string, number>;
  private store!: KeyValueStore<number>;
  init(ctx: ProcessorContext<string, number>): void {
    this.ctx = ctx;
    this.store = ctx.getStateStore<number>('counts');
  }
  async process(r: StreamRecord<string | null, unknown>): Promise<void> {
    const key = r.key ?? '(null)';
    const n = ((await this.store.get(key)) ?? 0) + 1;
    await this.store.put(key, n);
    await this.ctx.forward({ ...r, key, value: n });
  }
}

function countingTopology() {
  return new TopologyBuilder()
    .addSource({ name: 'in', topics: ['words'], keyDeserializer: str, valueDeserializer: str })
    .addStateStore({ name: 'counts', serde: jsonSerde<number>() })
    .addProcessor({ name: 'count', supplier: () => new Counter(), parents: ['in'], stores: ['counts'] })
    .addSink({ name: 'out', topic: 'counts-out', parents: ['count'], keySerializer: strOut, valueSerializer: jsonOut })
    .build();
}

describe('TopologyTestDriver', () => {
  it('runs a stateless topology and exposes key, value, headers and timestamp of outputs', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['a'], keyDeserializer: str, valueDeserializer: json })
      .addProcessor<string | null, Record<string, unknown> | null, string | null, unknown>({
        name: 'upper',
        parents: ['in'],
        supplier: () => {
          let ctx: ProcessorContext<string | null, unknown>;
          return {
            init: (c) => void (ctx = c),
            process: (r) =>
              ctx.forward({ ...r, value: { ...r.value, seen: ctx.recordMetadata()?.offset }, headers: { h: 'x' } }),
          };
        },
      })
      .addSink({ name: 'out', topic: 'b', parents: ['upper'], keySerializer: strOut, valueSerializer: jsonOut })
      .build();
    driver = await TopologyTestDriver.create(t);
    await driver.pipeInput('a', 'k1', { n: 1 }, { timestamp: 42 });
    await driver.pipeInput('a', 'k2', { n: 2 });
    const out = driver.readOutput('b');
    expect(out.map((r) => [r.key, r.value, r.headers, r.timestamp])).toEqual([
      ['k1', { n: 1, seen: '0' }, { h: 'x' }, 42],
      ['k2', { n: 2, seen: '1' }, { h: 'x' }, driver.clock.now()],
    ]);
    expect(driver.readOutput('b')).toEqual([]);
  });

  it('keeps counts in a store, one task per partition, and restores them from the changelog on restart', async () => {
    driver = await TopologyTestDriver.create(countingTopology(), { partitions: 3 });
    expect(driver.taskIds()).toEqual(['0_0', '0_1', '0_2']);
    for (const w of ['a', 'b', 'a', 'c', 'a', 'b']) await driver.pipeInput('words', w, 'x');
    const first = driver.readOutput('counts-out').map((r) => `${r.key}=${String(r.value)}`);
    expect(first).toEqual(['a=1', 'b=1', 'a=2', 'c=1', 'a=3', 'b=2']);
    const partitionOfA = driver.readOutput('words').length; // consumed already; inputs are recorded too
    expect(partitionOfA).toBe(6);
    await driver.restart();
    for (const w of ['a', 'b', 'd']) await driver.pipeInput('words', w, 'x');
    expect(driver.readOutput('counts-out').map((r) => `${r.key}=${String(r.value)}`)).toEqual(['a=4', 'b=3', 'd=1']);
    const total = [0, 1, 2].map((p) => driver!.changelogOf('counts', p).length).reduce((a, b) => a + b, 0);
    expect(total).toBe(9);
  });

  it('restart with a store that has no changelog starts empty', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['words'], keyDeserializer: str, valueDeserializer: str })
      .addStateStore({ name: 'counts', serde: jsonSerde<number>(), changelog: false })
      .addProcessor({ name: 'count', supplier: () => new Counter(), parents: ['in'], stores: ['counts'] })
      .addSink({ name: 'out', topic: 'o', parents: ['count'], keySerializer: strOut, valueSerializer: jsonOut })
      .build();
    driver = await TopologyTestDriver.create(t);
    await driver.pipeInput('words', 'a', 'x');
    await driver.restart();
    await driver.pipeInput('words', 'a', 'x');
    expect(driver.readOutput('o').map((r) => r.value)).toEqual([1, 1]);
  });

  it('routes through a repartition topic by the new key (murmur2) into a second sub-topology', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['events'], keyDeserializer: str, valueDeserializer: json })
      .addProcessor<string | null, Record<string, unknown> | null, string, Record<string, unknown> | null>({
        name: 'rekey',
        parents: ['in'],
        supplier: () => {
          let ctx: ProcessorContext<string, Record<string, unknown> | null>;
          return {
            init: (c) => void (ctx = c),
            process: (r) => ctx.forward(withKey(r, String(r.value?.['user']))),
          };
        },
      })
      .addRepartition({
        name: 'by-user',
        parents: ['rekey'],
        keySerializer: strOut,
        valueSerializer: jsonOut,
        keyDeserializer: str,
        valueDeserializer: json,
      })
      .addStateStore({ name: 'counts', serde: jsonSerde<number>() })
      .addProcessor({ name: 'count', supplier: () => new Counter(), parents: ['by-user'], stores: ['counts'] })
      .addSink({ name: 'out', topic: 'per-user', parents: ['count'], keySerializer: strOut, valueSerializer: jsonOut })
      .build();
    expect(t.subTopologies.length).toBe(2);
    driver = await TopologyTestDriver.create(t, { topicPartitions: { events: 2, 'per-user': 4 }, partitions: 4 });
    for (let i = 0; i < 10; i++) await driver.pipeInput('events', `e${i}`, { user: `u${i % 3}` });
    const out = driver.readOutput('per-user');
    expect(out.filter((r) => r.key === 'u0').map((r) => r.value)).toEqual([1, 2, 3, 4]);
    const rep = driver.readOutput('test-app-by-user-repartition');
    expect(rep).toHaveLength(10);
    // Sized like its writer's input (2), as Kafka Streams does; partitioned by murmur2 of the new key.
    expect(driver.partitionsOf('test-app-by-user-repartition')).toBe(2);
    for (const r of rep) expect(r.partition).toBe(partitionForKey(Buffer.from(String(r.key)), 2));
    const u0 = partitionForKey(Buffer.from('u0'), 2);
    expect(await driver.getStore<number>('counts', u0).get('u0')).toBe(4);
  });

  it('fires wall-clock punctuators with no input, earliest first, and stops after cancel', async () => {
    const fired: string[] = [];
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['t'], keyDeserializer: str, valueDeserializer: str })
      .addProcessor({
        name: 'tick',
        parents: ['in'],
        supplier: (): Processor<string | null, string | null> => ({
          init: (ctx) => {
            ctx.schedule(1000, 'wall-clock', (ts) => void fired.push(`slow@${ts - start}`));
            const fast = ctx.schedule(300, 'wall-clock', (ts) => {
              fired.push(`fast@${ts - start}`);
              if (ts - start >= 900) fast.cancel();
            });
          },
          process: () => undefined,
        }),
      })
      .build();
    driver = await TopologyTestDriver.create(t);
    const start = driver.clock.now();
    await driver.advanceWallClockTime(299);
    expect(fired).toEqual([]);
    await driver.advanceWallClockTime(1);
    await driver.advanceWallClockTime(600);
    await driver.advanceWallClockTime(100);
    await driver.advanceWallClockTime(2000);
    expect(fired).toEqual(['fast@300', 'fast@900', 'slow@1000', 'slow@3000']);
  });

  it('fires stream-time punctuators as record timestamps advance', async () => {
    const fired: number[] = [];
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['t'], keyDeserializer: str, valueDeserializer: str })
      .addProcessor({
        name: 'p',
        parents: ['in'],
        supplier: (): Processor<string | null, string | null> => ({
          init: (ctx) => void ctx.schedule(100, 'stream-time', (ts) => void fired.push(ts)),
          process: () => undefined,
        }),
      })
      .build();
    driver = await TopologyTestDriver.create(t);
    for (const ts of [50, 99, 100, 20, 350]) await driver.pipeInput('t', 'k', 'v', { timestamp: ts });
    expect(fired).toEqual([50, 100, 350]);
  });

  it('dead-letters bad input and thrown errors with the contract headers, and keeps going', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['in'], keyDeserializer: str, valueDeserializer: json })
      .addProcessor<string | null, Record<string, unknown> | null, string | null, unknown>({
        name: 'p',
        parents: ['in'],
        supplier: () => {
          let ctx: ProcessorContext<string | null, unknown>;
          return {
            init: (c) => void (ctx = c),
            process: async (r) => {
              if (r.value?.['boom']) throw new TerminalError('BOOM', 'exploded');
              if (r.value?.['bad']) return ctx.deadLetter({ code: 'BAD_THING', message: 'bad thing' });
              await ctx.forward(r);
            },
          };
        },
      })
      .addSink({ name: 'out', topic: 'out', parents: ['p'], keySerializer: strOut, valueSerializer: jsonOut })
      .build();
    // the application names its dead-letter topic, headers and metrics (topology/ has only neutral defaults)
    const h = { code: 'x.code', message: 'x.msg', sourceTopic: 'x.t', sourcePartition: 'x.p', sourceOffset: 'x.o' };
    const names: RuntimeNames = { deadLetterHeaders: h, metricPrefix: 'app_' };
    driver = await TopologyTestDriver.create(t, { dlqTopic: 'app.dead', names });
    await driver.pipeInput('in', 'k0', '{not json', { headers: { trace: 't0' } });
    await driver.pipeInput('in', 'k1', { boom: true });
    await driver.pipeInput('in', 'k2', { bad: true });
    await driver.pipeInput('in', 'k3', { ok: true });
    expect(driver.readOutput('out').map((r) => r.key)).toEqual(['k3']);
    const dlq = driver.readOutput('app.dead');
    expect(dlq.map((r) => [r.key, r.headers[h.code], r.headers[h.sourceOffset]])).toEqual([
      ['k0', 'DESERIALIZATION_FAILED', '0'],
      ['k1', 'BOOM', '1'],
      ['k2', 'BAD_THING', '2'],
    ]);
    expect(dlq[0]?.rawValue?.toString()).toBe('{not json');
    expect(dlq[0]?.headers).toMatchObject({
      trace: 't0',
      [h.sourceTopic]: 'in',
      [h.sourcePartition]: '0',
    });
    expect(dlq[1]?.headers[h.message]).toBe('exploded');
    expect(driver.metrics.value('app_events_dead_lettered_total', { code: 'BOOM', topic: 'in' })).toBe(1);
  });

  it('rejects pipeInput when the error policy is stop', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['in'], keyDeserializer: str, valueDeserializer: json })
      .build();
    driver = await TopologyTestDriver.create(t, { errorPolicy: 'stop' });
    await expect(driver.pipeInput('in', 'k', 'nope{')).rejects.toThrow(SyntaxError);
    expect(driver.readOutput(driver.dlqTopic)).toEqual([]);
  });

  it('materializes a global store from its topic, with an update processor, readable from every task', async () => {
    const views: string[] = [];
    const t = new TopologyBuilder()
      .addGlobalStore({
        store: { name: 'config', serde: jsonSerde<Record<string, unknown>>() },
        topic: 'cfg',
        keyDeserializer: str,
        valueDeserializer: json,
        processor: () => {
          let store: KeyValueStore<unknown>;
          return {
            init: (ctx) => void (store = ctx.getStateStore('config')),
            process: async (r) => {
              if (r.key === null) return;
              views.push(`${r.key}:${r.value === null ? 'deleted' : 'set'}`);
              if (r.value === null) await store.delete(r.key);
              else await store.put(r.key, r.value);
            },
          };
        },
      })
      .addSource({ name: 'in', topics: ['in'], keyDeserializer: str, valueDeserializer: str })
      .addProcessor<string | null, string | null, string | null, unknown>({
        name: 'lookup',
        parents: ['in'],
        supplier: () => {
          let ctx: ProcessorContext<string | null, unknown>;
          return {
            init: (c) => void (ctx = c),
            process: async (r) =>
              ctx.forward({ ...r, value: (await ctx.getStateStore('config').get(r.value ?? '')) ?? null }),
          };
        },
      })
      .addSink({ name: 'out', topic: 'out', parents: ['lookup'], keySerializer: strOut, valueSerializer: jsonOut })
      .build();
    driver = await TopologyTestDriver.create(t, { partitions: 2 });
    await driver.pipeInput('cfg', 'journey/j1', { v: 1 });
    await driver.pipeInput('cfg', 'journey/j2', { v: 2 });
    await driver.pipeInput('cfg', 'journey/j2', null);
    await driver.pipeInput('in', 'p1', 'journey/j1', { partition: 0 });
    await driver.pipeInput('in', 'p2', 'journey/j1', { partition: 1 });
    await driver.pipeInput('in', 'p2', 'journey/j2', { partition: 1 });
    expect(driver.readOutput('out').map((r) => r.value)).toEqual([{ v: 1 }, { v: 1 }, null]);
    expect(views).toEqual(['journey/j1:set', 'journey/j2:set', 'journey/j2:deleted']);
    await driver.restart();
    expect(await driver.getStore('config').get('journey/j1')).toEqual({ v: 1 });
  });

  it('dead-letters and counts under neutral names when the application gives none', async () => {
    const t = new TopologyBuilder()
      .addSource({ name: 'in', topics: ['in'], keyDeserializer: str, valueDeserializer: json })
      .build();
    driver = await TopologyTestDriver.create(t);
    await driver.pipeInput('in', 'k', 'nope{');
    const [d] = driver.readOutput('dlq');
    const neutral = defaultRuntimeNames.deadLetterHeaders;
    expect(d?.headers).toMatchObject({ [neutral.code]: 'DESERIALIZATION_FAILED', [neutral.sourceTopic]: 'in' });
    expect(Object.keys(d?.headers ?? {}).sort()).toEqual(Object.values(neutral).sort());
    expect(driver.metrics.value('events_dead_lettered_total', { code: 'DESERIALIZATION_FAILED', topic: 'in' })).toBe(1);
  });
});
