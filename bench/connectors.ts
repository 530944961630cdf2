/**
 * Connector throughput: calls/s one HTTP action connector (in this process) sustains against a fast local
 * endpoint (a separate node process answering 200 at once), commands pre-produced to the real broker, results
 * written transactionally with offsets. Measured from the first to the last result visible to a read_committed
 * consumer. Shares the CPU with the broker (and with whatever else runs), so numbers are indicative.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createHttpActionConnector, HttpClient, LimitRegistry } from '../connectors/index.js';
import { topicNames, type ActionCommand } from '../schemas/index.js';
import { createKafka, type KafkaClient } from '../topology/index.js';
import type { BenchContext, BenchRow } from './types.js';

const ENDPOINT = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }); res.end('{"ok":true}'); }); });
s.keepAliveTimeout = 30000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;

async function startEndpoint(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', ENDPOINT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => void child.kill() };
}

async function produceCommands(kafka: KafkaClient, topic: string, url: string, n: number): Promise<void> {
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  const deadline = new Date(Date.now() + 3_600_000).toISOString();
  for (let i = 0; i < n; i += 1_000) {
    const messages = Array.from({ length: Math.min(1_000, n - i) }, (_, j) => {
      const cmd: ActionCommand = {
        commandId: `bench-${randomUUID()}`,
        journeyId: 'bench',
        journeyVersion: 1,
        instanceId: `i-${i + j}`,
        nodeId: 'n',
        profileKey: `email:p${i + j}@example.com`,
        action: 'bench',
        request: { url: `${url}/hook`, method: 'POST', headers: {}, body: '{"n":1}' },
        createdAt: new Date().toISOString(),
        deadline,
      };
      return { key: cmd.profileKey, value: JSON.stringify(cmd) };
    });
    await p.send({ topic, messages });
  }
  await p.disconnect();
}

async function waitResults(kafka: KafkaClient, topic: string, n: number): Promise<{ first: number; last: number }> {
  const c = kafka.consumer({ groupId: `bench-read-${randomUUID()}`, readUncommitted: false });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let first = 0;
  const last = await new Promise<number>((resolve) => {
    void c.run({
      eachBatch: async ({ batch }) => {
        if (count === 0) first = performance.now();
        count += batch.messages.length;
        if (count >= n) resolve(performance.now());
      },
    });
  });
  await c.disconnect();
  return { first, last };
}

async function one(ctx: BenchContext, n: number, maxInFlight: number): Promise<BenchRow> {
  const kafka = createKafka({ brokers: ctx.brokers, clientId: 'bench-connectors', logLevel: 'nothing' });
  const admin = kafka.admin();
  await admin.connect();
  const prefix = `bench-conn-${randomUUID().slice(0, 8)}.`;
  const t = topicNames(prefix);
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t.commands('http'), numPartitions: 6 },
      { topic: t.actionResults, numPartitions: 6 },
      { topic: t.dlq, numPartitions: 1 },
    ],
  });
  const ep = await startEndpoint();
  ctx.log(`producing ${n} commands`);
  await produceCommands(kafka, t.commands('http'), ep.url, n);
  const http = new HttpClient({ limits: new LimitRegistry() });
  const connector = createHttpActionConnector({
    kafka,
    http,
    topicPrefix: prefix,
    transactionalId: `bench-tx-${randomUUID()}`,
    maxInFlight,
    partitionsConsumedConcurrently: 6,
  });
  const done = waitResults(kafka, t.actionResults, n);
  await connector.start();
  ctx.log(`connector running (maxInFlight ${maxInFlight})`);
  const { first, last } = await done;
  await connector.stop();
  await http.close();
  ep.stop();
  await admin.disconnect();
  const rate = (n - 1) / ((last - first) / 1000);
  return {
    metric: `http connector calls/s (maxInFlight ${maxInFlight})`,
    value: Math.round(rate),
    unit: 'calls/s',
    note: `${n} commands, 6 partitions, results in Kafka transactions; shared CPU`,
  };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const n = Number(process.env['BENCH_CONNECTOR_COMMANDS'] ?? 20_000);
  return [await one(ctx, n, 64), await one(ctx, n, 256)];
}
