// The Kafka runtime on the real broker: DLQ, start-up errors, global stores, rebalancing with three instances,
// rebuilding from the changelog after the state directory is wiped, and a slow task not stalling the others.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  uniqueName,
  countingTopology,
  produce,
  readCommitted,
  waitFor,
  exactlyOnceProblems,
  expectedCounts,
  streamsSuite,
  stringPipeline,
} from '../testing/index.js';
import { defaultRuntimeNames } from '../api/runtime-names.js';

const DlqHeaders = defaultRuntimeNames.deadLetterHeaders;
import { TopologyBuilder } from '../api/builder.js';
import { InMemoryMetrics } from '../api/metrics.js';
import type { ProcessorContext } from '../api/processor.js';
import { serdes } from '../api/record.js';
import { jsonSerde, type KeyValueStore } from '../api/store.js';

const { kafka, app, topics, tempDir } = streamsSuite('topology-int');

const words = (n: number, distinct: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `w${(i + from) % distinct}`);

describe('StreamsApp on Kafka', () => {
  it("dead-letters a poison record with the app's headers (neutral by default) inside the transaction and keeps going", async () => {
    const t = await topics({ in: 3, out: 3, dlq: 1 });
    const input = words(300, 10).map((w, i) => ({ key: w, value: i === 123 ? 'poison' : w }));
    await produce(kafka, t.in, input);
    const metrics = new InMemoryMetrics();
    const a = app({
      applicationId: uniqueName('app-dlq'),
      topology: countingTopology({ input: t.in, output: t.out }),
      dlqTopic: t.dlq,
      metrics,
    });
    await a.start();
    const out = await readCommitted(kafka, t.out, (r) => r.length >= 299, 60_000);
    const dlq = await readCommitted(kafka, t.dlq, (r) => r.length >= 1, 30_000);
    expect(exactlyOnceProblems(out, expectedCounts(input.filter((_, i) => i !== 123).map((m) => m.value)))).toEqual([]);
    expect(dlq).toHaveLength(1);
    const d = dlq[0]!;
    expect(d.key).toBe('w3');
    expect(d.value).toBe('poison');
    expect(d.headers[DlqHeaders.code]).toBe('POISON_RECORD');
    expect(d.headers[DlqHeaders.message]).toBe('poison record with key w3');
    expect(d.headers[DlqHeaders.sourceTopic]).toBe(t.in);
    // The poison record's own partition and offset: count how many w3 records precede it in its partition.
    const { partitionForKey } = await import('../kafka/murmur2.js');
    const p = partitionForKey(Buffer.from('w3'), 3);
    expect(d.headers[DlqHeaders.sourcePartition]).toBe(String(p));
    const offset = input.slice(0, 123).filter((m) => partitionForKey(Buffer.from(m.key), 3) === p).length;
    expect(d.headers[DlqHeaders.sourceOffset]).toBe(String(offset));
    await waitFor(
      () => metrics.value('events_dead_lettered_total', { code: 'POISON_RECORD', topic: t.in }) === 1,
      5_000,
      'metric',
    );
    await a.close();
    expect(a.state).toBe('closed');
  });

  it('refuses to start when co-partitioned topics have different partition counts, or a topic is missing', async () => {
    const t = await topics({ a: 2, b: 3, out: 1, dlq: 1 });
    const topology = new TopologyBuilder()
      .addSource({
        name: 'both',
        topics: [t.a, t.b],
        keyDeserializer: serdes.stringDeserializer,
        valueDeserializer: serdes.stringDeserializer,
      })
      .addProcessor({ name: 'p', parents: ['both'], supplier: () => ({ process: () => undefined }) })
      .build();
    const bad = app({ applicationId: uniqueName('app-copart'), topology, dlqTopic: t.dlq });
    await expect(bad.start()).rejects.toMatchObject({
      code: 'TOPOLOGY_COPARTITION_MISMATCH',
      message: expect.stringContaining(`different partition counts: ${t.a}=2, ${t.b}=3`) as unknown,
    });
    expect(bad.state).toBe('failed');
    const missing = app({
      applicationId: uniqueName('app-missing'),
      topology: countingTopology({ input: uniqueName('nope'), output: t.out }),
      dlqTopic: t.dlq,
    });
    await expect(missing.start()).rejects.toMatchObject({ code: 'TOPOLOGY_TOPIC_MISSING' });
  });

  it('materializes a global store on every instance before processing, and keeps it updated', async () => {
    const t = await topics({ cfg: 1, in: 2, out: 2, dlq: 1 });
    await produce(kafka, t.cfg, [
      { key: 'greeting', value: JSON.stringify('hello') },
      { key: 'other', value: JSON.stringify('x') },
    ]);
    const topology = new TopologyBuilder()
      .addGlobalStore({
        store: { name: 'config', serde: jsonSerde<string>() },
        topic: t.cfg,
        keyDeserializer: serdes.stringDeserializer,
        valueDeserializer: serdes.jsonDeserializer<string>(),
      })
      .addSource({
        name: 'in',
        topics: [t.in],
        keyDeserializer: serdes.stringDeserializer,
        valueDeserializer: serdes.stringDeserializer,
      })
      .addProcessor<string | null, string | null, string | null, string>({
        name: 'lookup',
        parents: ['in'],
        supplier: () => {
          let ctx: ProcessorContext<string | null, string>;
          let cfg: KeyValueStore<string>;
          return {
            init: (c) => {
              ctx = c;
              cfg = c.getStateStore('config');
            },
            process: async (r) => ctx.forward({ ...r, value: `${(await cfg.get(r.value ?? '')) ?? 'none'}` }),
          };
        },
      })
      .addSink({
        name: 'out',
        topic: t.out,
        parents: ['lookup'],
        keySerializer: serdes.stringSerializer,
        valueSerializer: serdes.stringSerializer,
      })
      .build();
    const a = app({ applicationId: uniqueName('app-global'), topology, dlqTopic: t.dlq });
    await a.start();
    expect(await a.getStore<string>('config')?.get('greeting')).toBe('hello');
    await produce(kafka, t.in, [{ key: 'k1', value: 'greeting', partition: 0 }]);
    await readCommitted(kafka, t.out, (r) => r.length >= 1, 30_000);
    await produce(kafka, t.cfg, [{ key: 'greeting', value: JSON.stringify('bonjour') }]);
    await waitFor(
      async () => (await a.getStore<string>('config')?.get('greeting')) === 'bonjour',
      20_000,
      'global update',
    );
    await produce(kafka, t.in, [
      { key: 'k2', value: 'greeting', partition: 1 },
      { key: 'k3', value: 'missing', partition: 1 },
    ]);
    const out = await readCommitted(kafka, t.out, (r) => r.length >= 3, 30_000);
    expect(out.map((r) => `${r.key}=${r.value}`).sort()).toEqual(['k1=hello', 'k2=bonjour', 'k3=none']);
  });

  for (const transactionScope of ['task', 'process'] as const)
    it(`shares work between instances; a third joins and one leaves mid-stream without loss or duplicates (transactions per ${transactionScope})`, async () => {
      const t = await topics({ in: 6, out: 6, dlq: 1 });
      const appId = uniqueName('app-rebalance');
      const topology = countingTopology({ input: t.in, output: t.out });
      const all: string[] = [];
      const send = async (ws: string[]) => {
        all.push(...ws);
        await produce(
          kafka,
          t.in,
          ws.map((w) => ({ key: w, value: w })),
        );
      };
      const mk = (name: string) =>
        app({ applicationId: appId, topology, dlqTopic: t.dlq, instanceId: name, transactionScope });
      const a = mk('a');
      const b = mk('b');
      await send(words(1_000, 30));
      await Promise.all([a.start(), b.start()]);
      await waitFor(() => a.runningTasks().length > 0 && b.runningTasks().length > 0, 60_000, 'a and b share tasks');
      // Keep records flowing while the membership changes.
      let stop = false;
      const flowing = (async () => {
        for (let i = 0; !stop || i < 40; i++) {
          await send(words(100, 30, i));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const c = mk('c');
      await c.start();
      await waitFor(() => c.runningTasks().length > 0, 60_000, 'c gets tasks');
      const moved = c.runningTasks();
      await a.close();
      await waitFor(() => b.runningTasks().length + c.runningTasks().length === 6, 60_000, 'b and c own every task');
      stop = true;
      await flowing;
      expect(moved.length).toBeGreaterThan(0);
      const out = await readCommitted(kafka, t.out, (r) => r.length >= all.length, 90_000);
      // Exactly-once across moves: each word's counts run 1..N once, which needs each store to follow its partition.
      expect(exactlyOnceProblems(out, expectedCounts(all))).toEqual([]);
      expect(out).toHaveLength(all.length);
    });

  it('rebuilds a wiped state directory from the changelog and continues with identical results', async () => {
    const t = await topics({ in: 2, out: 2, dlq: 1 });
    const appId = uniqueName('app-wipe');
    const stateDir = tempDir('topology-wipe-');
    const topology = countingTopology({ input: t.in, output: t.out, storeKind: 'rocksdb' });
    const first = words(2_000, 20);
    await produce(
      kafka,
      t.in,
      first.map((w) => ({ key: w, value: w })),
    );
    const a = app({ applicationId: appId, topology, dlqTopic: t.dlq, stateDir });
    await a.start();
    await readCommitted(kafka, t.out, (r) => r.length >= first.length, 60_000);
    await a.close();
    rmSync(stateDir, { recursive: true, force: true });
    const second = words(1_000, 20, 3);
    await produce(
      kafka,
      t.in,
      second.map((w) => ({ key: w, value: w })),
    );
    const b = app({ applicationId: appId, topology, dlqTopic: t.dlq, stateDir });
    let restored = 0;
    b.events.on('restore-complete', (e) => (restored += e.restored));
    await b.start();
    const out = await readCommitted(kafka, t.out, (r) => r.length >= first.length + second.length, 60_000);
    expect(exactlyOnceProblems(out, expectedCounts([...first, ...second]))).toEqual([]);
    expect(restored).toBeGreaterThanOrEqual(20); // at least one changelog entry per word came back
    for (const w of ['w0', 'w7', 'w19']) {
      const p = (await import('../kafka/murmur2.js')).partitionForKey(Buffer.from(w), 2);
      expect(await b.getStore<number>('counts', p)?.get(w)).toBe(expectedCounts([...first, ...second]).get(w));
    }
  });

  it('keeps heartbeating through a slow record, and a slow task does not stall the others', async () => {
    const t = await topics({ in: 2, out: 2, dlq: 1 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const topology = stringPipeline({
      input: t.in,
      output: t.out,
      name: 'maybe-slow',
      processor: () => {
        let ctx: ProcessorContext<string | null, string | null>;
        return {
          init: (c) => void (ctx = c),
          process: async (r) => {
            if (r.value === 'slow') await gate;
            await ctx.forward(r);
          },
        };
      },
    });
    const a = app({ applicationId: uniqueName('app-slow'), topology, dlqTopic: t.dlq });
    const states: string[] = [];
    a.events.on('task-state', (e) => states.push(`${e.taskId}:${e.state}`));
    await produce(kafka, t.in, [
      { key: 's', value: 'slow', partition: 0 },
      ...Array.from({ length: 50 }, (_, i) => ({ key: `f${i}`, value: 'fast', partition: 1 })),
    ]);
    await a.start();
    const fast = await readCommitted(kafka, t.out, (r) => r.length >= 50, 30_000);
    expect(fast.map((r) => r.value)).toEqual(Array.from({ length: 50 }, () => 'fast'));
    // Hold the slow record for longer than the session timeout (6 s): the member must not be evicted.
    await new Promise((r) => setTimeout(r, 8_000));
    release();
    const all = await readCommitted(kafka, t.out, (r) => r.length >= 51, 30_000);
    expect(all).toHaveLength(51);
    expect(states.filter((s) => s.endsWith(':closed'))).toEqual([]);
    expect(a.runningTasks().sort()).toEqual(['0_0', '0_1']);
  });

  it('survives being fenced: the task is closed and rebuilt, the output stays exactly once', async () => {
    const t = await topics({ in: 1, out: 1, dlq: 1 });
    const appId = uniqueName('app-fenced');
    const a = app({
      applicationId: appId,
      topology: countingTopology({ input: t.in, output: t.out }),
      dlqTopic: t.dlq,
    });
    const errors: string[] = [];
    a.events.on('task-error', (e) => errors.push(`${e.taskId}:${String(e.fatal)}`));
    const first = words(500, 5);
    await produce(
      kafka,
      t.in,
      first.map((w) => ({ key: w, value: w })),
    );
    await a.start();
    await readCommitted(kafka, t.out, (r) => r.length >= first.length, 60_000);
    // A "new owner" with the task's transactional id fences the running task's producer.
    const zombieKiller = kafka.producer({ transactionalId: `${appId}-0_0`, idempotent: true, maxInFlightRequests: 1 });
    await zombieKiller.connect();
    await (await zombieKiller.transaction()).abort();
    await zombieKiller.disconnect();
    const second = words(500, 5, 2);
    await produce(
      kafka,
      t.in,
      second.map((w) => ({ key: w, value: w })),
    );
    const out = await readCommitted(kafka, t.out, (r) => r.length >= first.length + second.length, 60_000, 1_000);
    expect(exactlyOnceProblems(out, expectedCounts([...first, ...second]))).toEqual([]);
    expect(errors).toContain('0_0:false');
    expect(a.state).toBe('running');
    expect(a.runningTasks()).toEqual(['0_0']);
  });

  it('fires wall-clock punctuators with no input, and stops the app on a processing error under the stop policy', async () => {
    const t = await topics({ in: 1, out: 1, dlq: 1 });
    const topology = stringPipeline({
      input: t.in,
      output: t.out,
      name: 'ticker',
      processor: () => {
        let ctx: ProcessorContext<string, string>;
        return {
          init: (c) => {
            ctx = c;
            c.schedule(200, 'wall-clock', (ts) =>
              ctx.forward({ key: 'tick', value: String(ts), timestamp: ts, headers: {} }),
            );
          },
          process: () => {
            throw new Error('cannot handle input');
          },
        };
      },
    });
    const a = app({ applicationId: uniqueName('app-tick'), topology, dlqTopic: t.dlq, errorPolicy: 'stop' });
    await a.start();
    const ticks = await readCommitted(kafka, t.out, (r) => r.length >= 3, 30_000);
    expect(ticks.map((r) => r.key)).toEqual(['tick', 'tick', 'tick']);
    await produce(kafka, t.in, [{ key: 'k', value: 'v' }]);
    await waitFor(() => a.state === 'failed', 30_000, 'the app to stop');
    expect((a.error as { code?: string }).code).toBe('TASK_PROCESSING_STOPPED');
    expect(await readCommitted(kafka, t.dlq, () => false, 1_500)).toEqual([]);
  });
});
