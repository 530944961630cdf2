// A consumer that kafkajs stops for good is rebuilt, and `/readyz` says it was down. The first group consumer of a
// pipeline fails its first batch the way a missing codec did (`KafkaJSNotImplemented`: kafkajs bails and does not
// restart it, CRASH with restart: false). Through the engine's own health server: `/readyz` is 503 while it is down,
// ConsumerWatch builds a new consumer after its backoff, `/readyz` is 200 again, and every record is processed,
// the crashed batch included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsApp, TopologyBuilder, serdes, type KafkaClient } from '../topology/index.js';
import { loadEngineConfig } from './engine-config.js';
import { startEngine, type Engine } from './engine.js';
import { testBrokers, uniqueName } from './testing/index.js';
import { createTopics, produce, readCommitted, testKafka } from '../topology/testing/index.js';

const kafka = testKafka(testBrokers(), 'consumer-rebuild');
const dirs: string[] = [];
let engine: Engine | undefined;
afterAll(async () => {
  await engine?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The Kafka port, but the first consumer of `groupId` throws what kafkajs throws for a codec it lacks. */
function crashingOnce(inner: KafkaClient, groupId: string) {
  const seen = { consumers: 0, crashedAt: 0 };
  const client = Object.create(inner) as KafkaClient;
  client.consumer = (cfg) => {
    const consumer = inner.consumer(cfg);
    if (cfg.groupId !== groupId || ++seen.consumers > 1) return consumer;
    const run = consumer.run.bind(consumer);
    consumer.run = (opts) =>
      run({
        ...opts,
        eachBatch: async () => {
          seen.crashedAt = Date.now();
          throw Object.assign(new Error('Snappy compression not implemented'), { name: 'KafkaJSNotImplemented' });
        },
      });
    return consumer;
  };
  return { client, seen };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a consumer kafkajs stopped for good', () => {
  it('makes /readyz 503 until ConsumerWatch has rebuilt it; then every record is processed', async () => {
    const t = { in: uniqueName('rebuild-in'), out: uniqueName('rebuild-out'), dlq: uniqueName('rebuild-dlq') };
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [
      { name: t.in, partitions: 2 },
      { name: t.out, partitions: 1 },
      { name: t.dlq, partitions: 1 },
    ]);
    await admin.disconnect();
    const first = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await produce(kafka, t.in, first);

    const stateDir = mkdtempSync(join(tmpdir(), 'jo-rebuild-'));
    dirs.push(stateDir);
    const appId = uniqueName('rebuild-app');
    const { client, seen } = crashingOnce(kafka, appId);
    const app = new StreamsApp({
      kafka: client,
      applicationId: appId,
      topology: new TopologyBuilder()
        .addSource({
          name: 'in',
          topics: [t.in],
          keyDeserializer: serdes.stringDeserializer,
          valueDeserializer: serdes.stringDeserializer,
        })
        .addSink({
          name: 'out',
          topic: t.out,
          parents: ['in'],
          keySerializer: serdes.stringSerializer,
          valueSerializer: serdes.stringSerializer,
        })
        .build(),
      dlqTopic: t.dlq,
      stateDir,
      sessionTimeoutMs: 6_000,
    });
    const config = loadEngineConfig(
      {},
      {
        overrides: {
          kafkaBrokers: testBrokers(),
          topicPrefix: `${uniqueName('jo-rebuild')}.`,
          applicationId: uniqueName('jo-rebuild-engine'),
          partitions: 1,
          stateDir,
          only: ['connectors'],
          api: { host: '127.0.0.1', port: 0, tokens: [] },
        },
      },
    );
    engine = await startEngine(config, {
      logger: pino({ level: 'warn' }),
      moreComponents: () => [
        {
          name: 'rebuild-pipeline',
          start: () => app.start(),
          stop: () => app.close(),
          ready: () => app.state === 'running' && app.consumerHealthy,
        },
      ],
    });
    const readyz = async () => (await fetch(`${engine?.address}/readyz`)).status;

    await until('the crash', async () => (seen.crashedAt > 0 ? true : undefined), 60_000);
    // down from the CRASH until the rebuilt consumer has joined (ConsumerWatch waits 1 s before rebuilding)
    await until('/readyz 503 after the crash', async () => ((await readyz()) === 503 ? true : undefined), 5_000);
    expect(app.consumerHealthy).toBe(false);
    await until('/readyz 200 again', async () => ((await readyz()) === 200 ? true : undefined), 60_000);
    expect(seen.consumers).toBe(2); // a new consumer, not kafkajs restarting the old one

    const second = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `w${i}` }));
    await produce(kafka, t.in, second);
    const out = await readCommitted(kafka, t.out, (r) => r.length >= 20, 60_000, 1_000);
    expect(out.map((r) => r.value).sort()).toEqual([...first, ...second].map((r) => r.value).sort());
  }, 150_000);
});
