// Issue 18 point 1 on the real broker: a throttled action's commands wait in the durable throttle queue and are sent
// at the rate. N commands (JO_THROTTLE_N, default 1,500: ~30 s at 50/s; the 30,000 is a 10-minute run by
// hand) → N `ok` results, none capped, the endpoint never above 50 requests in any second (±10%), the connector
// process SIGKILLed once mid-queue with no call lost and none sent twice beyond the open transaction (by
// Idempotency-Key). With maxDelay PT1M the commands that would wait longer are `capped`, without a call.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutboundPolicy, type ActionConfig } from '../schemas/index.js';
import { testBrokers, uniqueName, produce, readCommitted, testKafka } from '../topology/testing/index.js';
import {
  startHttpEndpoint,
  type TestHttpEndpoint,
  asRecords,
  command,
  createConnectorTopics,
  results,
} from './testing/index.js';
import { InMemoryMetrics, type Admin, type KafkaClient } from '../topology/index.js';
import { HttpClient } from './http-client.js';
import { createHttpActionConnector } from './http-action-connector.js';

const N = Number(process.env['JO_THROTTLE_N'] ?? 1_500);
const RATE = 50;
const MAX_IN_FLIGHT = 16;

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;
const children: ChildProcess[] = [];

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-throttle');
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

/** Most requests in any window of `ms` (sliding, by arrival time). */
function maxInWindow(times: readonly number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while ((t[i] ?? 0) - (t[j] ?? 0) >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Send times (epoch ms) logged by the connector child(ren), by undici's send of the request headers. */
function sendTimes(file: string): { sent: number[]; queuedMs: number[]; byKey: Map<string, number> } {
  const sent: number[] = [];
  const queuedMs: number[] = [];
  const byKey = new Map<string, number>();
  if (!existsSync(file)) return { sent, queuedMs, byKey };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [a, b, key] = line.split(' ');
    const s = Number(a);
    const c = Number(b);
    if (!Number.isFinite(s) || s === 0 || c === 0) continue; // c = 0: a connection event
    sent.push(s);
    if (c) queuedMs.push(s - c);
    if (key) byKey.set(key, s);
  }
  return { sent, queuedMs, byKey };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

async function waitForKeys(path: string, n: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (keyCounts(path).size < n && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
}

function keyCounts(path: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const r of ep.requests(path)) {
    const k = String(r.headers['idempotency-key']);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return seen;
}

describe('throttle queue (issue 18)', () => {
  it(
    `${N} commands at ${RATE}/s: all ok, none capped, never above the rate, SIGKILL mid-queue loses and repeats none`,
    async () => {
      const t = await createConnectorTopics(admin, `${uniqueName('c-throttle')}.`);
      ep.respond('/slow', { status: 200, body: { ok: true } });
      // a deadline far enough for the whole queue (the engine adds maxDelay to it for a throttled action)
      const cmds = Array.from({ length: N }, () => command(`${ep.url}/slow`, { action: 'act' }, 2 * 3600_000));
      await produce(kafka, t.names.commands('http'), asRecords(cmds));
      const sendLog = join(mkdtempSync(join(tmpdir(), 'jo-throttle-')), 'sends.log');
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const config = {
        sendLog,
        brokers: testBrokers(),
        prefix: t.prefix,
        groupId: uniqueName('g-throttle'),
        transactionalId: uniqueName('tx-throttle'),
        perSecond: RATE,
        throttle: { perSecond: RATE, maxDelay: 'PT6H' },
        maxInFlight: MAX_IN_FLIGHT,
        url: ep.url,
      };
      const t0 = Date.now();
      const first = await startChild(config);
      await ep.waitForRequests(Math.floor(N / 3), 120_000 + N * 40, '/slow');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const beforeKill = ep.requests('/slow').length;
      expect(beforeKill).toBeLessThan(N);

      await startChild(config);
      // the endpoint shares this process: read the results topic only once every command was called, so that
      // reading 30,000 results does not stall the endpoint's event loop while calls arrive (bunching arrivals)
      await waitForKeys('/slow', N, 120_000 + N * 40);
      const got = results(await readCommitted(kafka, t.names.actionResults, N, 120_000 + N * 40, 3_000));
      const elapsed = (Date.now() - t0) / 1000;
      expect(got).toHaveLength(N);
      expect(new Set(got.map((r) => r.commandId))).toEqual(new Set(cmds.map((c) => c.commandId)));
      expect(got.filter((r) => r.status === 'capped')).toHaveLength(0);
      expect(got.every((r) => r.status === 'ok')).toBe(true);

      const calls = ep.requests('/slow');
      const seen = keyCounts('/slow');
      expect(seen.size).toBe(N); // every command called: none lost
      const repeated = [...seen.values()].filter((v) => v > 1).length;
      // only the calls of the transaction open at the kill are made again (same Idempotency-Key), at most a chunk
      expect(repeated).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
      const peak = maxInWindow(
        calls.map((r) => r.hr),
        1_000,
      );
      loopDelay.disable();
      const { sent, queuedMs, byKey } = sendTimes(sendLog);
      // send → arrival per call (both epoch ms on one machine): how long a call took to be seen by the endpoint
      const transit = calls.flatMap((r) => {
        const s = byKey.get(String(r.headers['idempotency-key']));
        return s === undefined ? [] : [performance.timeOrigin + r.hr - s];
      });
      const sentPeak = maxInWindow(sent, 1_000);
      const arrivedPeak = maxInWindow(
        calls.map((r) => performance.timeOrigin + r.hr),
        1_000,
      );
      console.log(
        `throttle-queue: peak ${sentPeak} calls sent by the connector in any 1 s (${sent.length} sends logged), ` +
          `${arrivedPeak} arrived; send→arrival p50 ${quantile(transit, 0.5).toFixed(1)} p99 ` +
          `${quantile(transit, 0.99).toFixed(1)} max ${Math.max(0, ...transit).toFixed(1)} ms; undici queue max ${Math.max(0, ...queuedMs).toFixed(1)} ms; ` +
          `test process event-loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms`,
      );
      expect(peak).toBeLessThanOrEqual(RATE * 1.1);
      const spanOf = (rs: typeof calls) => (Math.max(...rs.map((r) => r.hr)) - Math.min(...rs.map((r) => r.hr))) / 1000;
      const span = spanOf(calls);
      const firstRun = calls.slice(0, beforeKill);
      console.log(
        `throttle-queue: ${N} commands, ${calls.length} calls (${beforeKill} before the SIGKILL, ${repeated} repeated), ` +
          `peak ${peak} calls in any 1 s, ${(beforeKill / spanOf(firstRun)).toFixed(1)} calls/s before the kill, ` +
          `${(calls.length / span).toFixed(1)} calls/s over ${span.toFixed(1)} s ` +
          `(including the restart), ${elapsed.toFixed(1)} s to all results`,
      );
    },
    Math.max(180_000, 150_000 + N * 45),
  );

  it('maxDelay PT1M: commands that would wait longer are capped without a call; depth and age are reported', async () => {
    const M = 600;
    const t = await createConnectorTopics(admin, `${uniqueName('c-throttle-cap')}.`);
    ep.respond('/cap', { status: 200, body: { ok: true } });
    const action: ActionConfig = {
      id: 'capAct',
      type: 'http',
      url: `${ep.url}/cap`,
      method: 'POST',
      throttle: { perSecond: RATE, maxDelay: 'PT1M' },
    };
    const metrics = new InMemoryMetrics();
    const connector = createHttpActionConnector({
      kafka: testKafka(testBrokers(), 'connector-throttle-cap'),
      topicPrefix: t.prefix,
      groupId: uniqueName('g-throttle-cap'),
      transactionalId: uniqueName('tx-throttle-cap'),
      sessionTimeoutMs: 6_000,
      metrics,
      http: new HttpClient({ outbound: parseOutboundPolicy(['127.0.0.1']) }),
      actionConfig: (id) => (id === action.id ? action : undefined),
    });
    await connector.start();
    try {
      // created 55 s ago (say the engine's connectors were down): 5 s of maxDelay left, ~250 fit at 50/s
      const createdAt = Date.now() - 55_000;
      const cmds = Array.from({ length: M }, () => ({
        ...command(`${ep.url}/cap`, { action: action.id }, 2 * 3600_000),
        createdAt: new Date(createdAt).toISOString(),
      }));
      let maxDepth = 0;
      let maxAge = 0;
      const sample = setInterval(() => {
        maxDepth = Math.max(maxDepth, metrics.value('jo_action_queue_depth', { action: action.id }));
        maxAge = Math.max(maxAge, metrics.value('jo_action_queue_age_seconds', { action: action.id }));
      }, 50);
      await produce(kafka, t.names.commands('http'), asRecords(cmds));
      const got = results(await readCommitted(kafka, t.names.actionResults, M, 60_000, 1_000));
      clearInterval(sample);
      expect(got).toHaveLength(M);
      const ok = got.filter((r) => r.status === 'ok');
      const capped = got.filter((r) => r.status === 'capped');
      expect(ok.length + capped.length).toBe(M);
      expect(ok.length).toBeGreaterThan(100);
      // at most what the gate's bucket admits in the 5 s left: its burst (a quarter second of rate) + 5 s of rate
      expect(ok.length).toBeLessThanOrEqual(Math.floor(RATE / 4) + RATE * 5 + 1);
      expect(capped.every((r) => r.attempts === 0 && r.error?.startsWith('THROTTLE_DELAY_EXCEEDED:'))).toBe(true);
      const seen = keyCounts('/cap');
      expect(new Set(seen.keys())).toEqual(new Set(ok.map((r) => r.commandId)));
      // nothing sent after its maxDelay (a little slack for the request to arrive)
      expect(Math.max(...ep.requests('/cap').map((r) => r.at))).toBeLessThanOrEqual(createdAt + 60_000 + 500);
      expect(maxDepth).toBeGreaterThan(0);
      expect(maxAge).toBeGreaterThanOrEqual(55);
      expect(metrics.value('jo_action_queue_depth', { action: action.id })).toBe(0);
      console.log(
        `throttle-queue PT1M: ${ok.length} ok, ${capped.length} capped; depth ≤ ${maxDepth}, age ≤ ${maxAge}`,
      );
    } finally {
      await connector.stop();
    }
  });
});
