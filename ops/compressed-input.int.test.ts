// Events produced by Kafka's own Java console producer (not kafkajs) in every codec, interleaved with uncompressed
// batches on the same partitions, reach the engine (`jo start` in a child process, against a broker of this test's
// own): every good event is consumed, a batch the engine refuses to decode is dead-lettered `BATCH_UNDECODABLE` and
// processing goes on, and `/readyz` is 503 while the consumers are down (broker stopped) and 200 once they are back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createKafka } from '../topology/index.js';
import { startPrivateBroker, type PrivateBroker } from '../topology/testing/index.js';

const jo = fileURLToPath(new URL('./bin/jo.js', import.meta.url));
const PREFIX = 'jo.';

let broker: PrivateBroker;
let child: ChildProcess | undefined;
let output = '';

beforeAll(() => {
  broker = startPrivateBroker();
}, 330_000);
afterAll(() => {
  child?.kill('SIGKILL');
  broker?.destroy();
});

async function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = output.match(re);
    if (m) return m;
    if (child?.exitCode !== null || Date.now() > until)
      throw new Error(`no ${String(re)} (exit ${String(child?.exitCode)}); output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(base: string, prefix: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

let lastReadyz = '';
const readyz = async (base: string) => {
  const res = await fetch(`${base}/readyz`).catch(() => undefined);
  lastReadyz = `${new Date().toISOString()} ${res?.status ?? 0} ${(await res?.text()) ?? ''}`;
  return res?.status ?? 0;
};

function events(codec: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const value = JSON.stringify({
      _id: `${codec}-${i}`,
      timestamp: new Date().toISOString(),
      eventType: 'test.compressed',
      identityMap: { email: [{ id: `${codec}-${i}@example.com`, primary: true }] },
    });
    return `key-${i % 7}|${value}`; // keys spread the records over both partitions
  });
}

describe('compressed input from a non-kafkajs producer', () => {
  it('consumes every codec interleaved with uncompressed batches, dead-letters an undecodable batch, reports consumers down', async () => {
    onTestFailed(() =>
      console.log(`last /readyz: ${lastReadyz}\nengine output (last 12 kB):\n${output.slice(-12_000)}`),
    );
    const { SCHEMA_REGISTRY_URL: _registry, ...env } = process.env;
    const stateDir = mkdtempSync(join(tmpdir(), 'jo-codecs-'));
    child = spawn(process.execPath, [jo, 'start'], {
      env: {
        ...env,
        KAFKA_BROKERS: broker.brokers.join(','),
        JO_TOPIC_PREFIX: PREFIX,
        JO_PARTITIONS: '2',
        JO_STATE_DIR: stateDir,
        JO_API_PORT: '0',
        JO_API_TOKENS: 'codec-test-token-0123456789:admin',
        JO_MAX_DECOMPRESSED_BATCH_BYTES: '65536',
        JO_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const [, base = ''] = await waitForOutput(/API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/, 90_000);
    await expect.poll(() => readyz(base), { timeout: 60_000, interval: 500 }).toBe(200);

    const topic = `${PREFIX}events`;
    const codecs = ['none', 'gzip', 'none', 'snappy', 'none', 'lz4', 'none', 'zstd'];
    let good = 0;
    for (const [i, codec] of codecs.entries()) {
      const lines = events(`${codec}${i}`, 20);
      await broker.consoleProduce(topic, lines, codec, { keyed: true });
      good += lines.length;
    }
    // one batch that expands past the engine's decompressed-batch limit (64 KiB): refused, dead-lettered
    const bomb = JSON.stringify({ _id: 'bomb', eventType: 'test.compressed', pad: 'a'.repeat(200_000) });
    await broker.consoleProduce(topic, [`key-0|${bomb}`], 'zstd', { keyed: true });
    const after = events('after', 10);
    await broker.consoleProduce(topic, after, 'snappy', { keyed: true });
    good += after.length;

    const consumed = `jo_events_consumed_total{topic="${topic}"}`;
    await expect.poll(() => metric(base, consumed), { timeout: 60_000, interval: 500 }).toBe(good);
    await expect
      .poll(() => metric(base, 'jo_events_dead_lettered_total{code="BATCH_UNDECODABLE"'), { timeout: 10_000 })
      .toBe(1);

    const kafka = createKafka({ brokers: broker.brokers, clientId: 'codec-test-dlq' });
    const consumer = kafka.consumer({ groupId: 'codec-test-dlq' });
    const dead: Array<{ code: string; source: string; bytes: number }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${PREFIX}dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          code: String(message.headers?.['jo.error.code']),
          source: String(message.headers?.['jo.source.topic']),
          bytes: message.value?.length ?? 0,
        });
      },
    });
    await expect.poll(() => dead.length, { timeout: 30_000 }).toBe(1);
    await consumer.disconnect();
    expect(dead[0]?.code).toBe('BATCH_UNDECODABLE');
    expect(dead[0]?.source).toBe(topic);
    expect(dead[0]?.bytes).toBeGreaterThan(0);
    expect(dead[0]?.bytes).toBeLessThan(10_000); // the compressed bytes, not the 200 kB it expands to
    expect(output).not.toMatch(/compression not implemented/i);

    // consumers down: not ready; back: ready, and processing goes on
    const members = () => JSON.parse(readFileSync(join(stateDir, 'group-members.json'), 'utf8')) as object;
    const membersBefore = members();
    expect(Object.keys(membersBefore)).toEqual(
      expect.arrayContaining(['journey-engine', 'journey-engine-connector-http', 'journey-engine-connector-campaign']),
    );
    broker.stop();
    await expect.poll(() => readyz(base), { timeout: 60_000, interval: 250 }).toBe(503);
    broker.start();
    const backAt = Date.now();
    await expect.poll(() => readyz(base), { timeout: 120_000, interval: 500 }).toBe(200);
    console.log(`readyz 200 again ${Date.now() - backAt} ms after the broker restarted`);
    // every group was rejoined as the member it was (the coordinator reloaded them): no waiting out a session
    expect(members()).toEqual(membersBefore);
    const late = events('late', 5);
    await broker.consoleProduce(topic, late, 'lz4', { keyed: true });
    await expect.poll(() => metric(base, consumed), { timeout: 60_000, interval: 500 }).toBe(good + late.length);
  }, 600_000);
});
