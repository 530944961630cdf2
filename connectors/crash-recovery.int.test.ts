// At-least-once calls, exactly-once results: a connector process is SIGKILLed mid-batch and restarted; every
// command ends with exactly one result on jo.action-results (read_committed) and the endpoint saw every
// Idempotency-Key at least once.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, produce, readCommitted, testKafka } from '../topology/testing/index.js';
import {
  startHttpEndpoint,
  type TestHttpEndpoint,
  asRecords,
  command,
  createConnectorTopics,
  results,
} from './testing/index.js';
import type { Admin, KafkaClient } from '../topology/index.js';

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;
const children: ChildProcess[] = [];

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-crash');
  admin = kafka.admin();
  await admin.connect();
  ep = await startHttpEndpoint();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await ep.close();
  await admin.disconnect();
});

function startChild(config: object): Promise<ChildProcess> {
  const file = fileURLToPath(new URL('./testing/connector-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, JO_TEST_CONNECTOR: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`connector child exited (${code}) before starting: ${err}`)));
  });
}

describe('connector crash and restart', () => {
  it('every command gets exactly one result and every Idempotency-Key reached the endpoint', async () => {
    const N = 300;
    const t = await createConnectorTopics(admin, `${uniqueName('c-crash')}.`);
    ep.stall('/slow', 20, { status: 200, body: { ok: true } });
    const cmds = Array.from({ length: N }, () => command(`${ep.url}/slow`, { action: 'act' }, 120_000));
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    const config = {
      brokers: testBrokers(),
      prefix: t.prefix,
      groupId: uniqueName('g-crash'),
      transactionalId: uniqueName('tx-crash'),
      perSecond: 60,
      url: ep.url,
    };

    const first = await startChild(config);
    await ep.waitForRequests(N / 3, 60_000, '/slow');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const beforeRestart = ep.requests('/slow').length;
    expect(beforeRestart).toBeLessThan(N);

    await startChild(config);
    const got = results(await readCommitted(kafka, t.names.actionResults, N, 120_000, 3_000));
    const ids = got.map((r) => r.commandId);
    expect(ids).toHaveLength(N);
    expect(new Set(ids)).toEqual(new Set(cmds.map((c) => c.commandId)));
    expect(got.every((r) => r.status === 'ok')).toBe(true);

    const seen = new Map<string, number>();
    for (const r of ep.requests('/slow')) {
      const k = String(r.headers['idempotency-key']);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    for (const c of cmds) expect(seen.get(c.commandId) ?? 0).toBeGreaterThanOrEqual(1);
    const repeated = [...seen.values()].filter((v) => v > 1).length;
    console.log(`crash-recovery: ${beforeRestart} calls before the kill, ${repeated} commands called twice`);
  });
});
