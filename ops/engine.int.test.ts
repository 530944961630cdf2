// The engine as users run it: `jo start` in a child process against the real broker, a journey PUT through the
// REST API, events produced by a plain producer without keys, actions arriving at a real HTTP endpoint on
// 127.0.0.1, `jo_journey_entries_total` rising on /metrics, and a clean exit on SIGTERM. Then the same with
// `JO_PIPELINE_WORKERS=2`: a second pipeline process shares the partitions; every event is acted on, profile lookups
// reach the profiles the worker owns, `/metrics` sums both processes, a killed worker is started again (readiness
// drops meanwhile and no event is lost), and SIGTERM stops both.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../topology/index.js';
import { startHttpEndpoint, testBrokers, uniqueName, type TestHttpEndpoint } from './testing/index.js';
import { sampleResources } from './sample.js';

const jo = fileURLToPath(new URL('./bin/jo.js', import.meta.url));
const TOKEN = 'e2e-admin-token-0123456789';

let endpoint: TestHttpEndpoint;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  endpoint = await startHttpEndpoint();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await endpoint.close();
});

/** Resolves with the first match of `re` in the child's stdout+stderr. */
function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      const m = output.match(re);
      if (!m && child?.exitCode !== null) {
        clearInterval(tick);
        reject(
          new Error(
            `the engine exited (${String(child?.exitCode)}) before ${String(re)}; output:\n${output.slice(-3000)}`,
          ),
        );
      } else if (m) {
        clearInterval(tick);
        resolve(m);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error(`no ${String(re)} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`));
      }
    }, 100);
  });
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Starts `jo start` (the whole engine) on `prefix` with `env` on top; resolves with its exit code when it exits. */
function startJo(prefix: string, env: Record<string, string>): Promise<number | null> {
  output = '';
  child = spawn(process.execPath, [jo, 'start'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testBrokers().join(','),
      JO_TOPIC_PREFIX: prefix,
      JO_APPLICATION_ID: uniqueName('e2e-app'),
      JO_STATE_DIR: mkdtempSync(join(tmpdir(), 'jo-e2e-')),
      JO_API_PORT: '0',
      JO_API_TOKENS: `${TOKEN}:admin`,
      JO_OUTBOUND_ALLOW: '127.0.0.1',
      JO_LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
}

/** PUTs the sample's events and actions and its journey through the API, and publishes the journey. */
async function publishSample(base: string): Promise<void> {
  const r = sampleResources(endpoint.url);
  for (const e of r.events) expect((await api(base, 'PUT', `/v1/events/${e.id}`, e)).status).toBeLessThan(300);
  for (const a of r.actions) expect((await api(base, 'PUT', `/v1/actions/${a.id}`, a)).status).toBeLessThan(300);
  const j = r.journeys[0] ?? { id: 'missing' };
  expect((await api(base, 'PUT', `/v1/journeys/${j.id}`, j)).status).toBeLessThan(300);
  expect((await api(base, 'POST', `/v1/journeys/${j.id}/publish`, {})).status).toBeLessThan(300);
}

describe('jo start (the whole engine in one process)', () => {
  it('runs a journey from REST config and unkeyed events to HTTP actions, then exits cleanly on SIGTERM', async () => {
    const prefix = `${uniqueName('e2e')}.`;
    const exited = startJo(prefix, { JO_PARTITIONS: '3' });

    const [, base = ''] = await waitForOutput(/API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/, 90_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await api(base, 'PUT', '/v1/journeys/welcome', {})).status).toBe(400);

    await publishSample(base);
    const entries = async () => metricSum(await metrics(base), 'jo_journey_entries_total', 'journey="welcome"');
    const before = await entries();

    const emails = await produceSignups(prefix, 0, 20);

    const calls = await endpoint.waitForRequests(20, 90_000, '/email/welcome');
    const to = calls.map((c) => (c.body as { to?: string }).to).sort();
    expect(to).toEqual([...emails].sort());
    expect(new Set(calls.map((c) => c.headers['idempotency-key'])).size).toBe(20);
    await expect.poll(entries, { timeout: 15_000 }).toBe(before + 20);
    // one transaction per process (the default scope): its transactions are counted, none failed
    const text = await metrics(base);
    expect(metricSum(text, 'jo_stream_transactions_total', 'outcome="committed"')).toBeGreaterThan(0);
    expect(metricSum(text, 'jo_stream_transactions_total', 'outcome="failed"')).toBe(0);
    expect(metricSum(text, 'jo_stream_transaction_duration_seconds_count')).toBeGreaterThan(0);

    // state store sizes are sampled every 10 s: the instances of the 20 profiles show up there
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          return text
            .split('\n')
            .filter((l) => l.startsWith('jo_state_store_size{store="journey-instances"'))
            .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBeGreaterThanOrEqual(20);

    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped cleanly/);
  });
});

/** Sum of a metric's series in a /metrics text (those whose labels start with `labels`, when given). */
function metricSum(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((l) => (labels ? l.startsWith(`${name}{${labels}`) : l.startsWith(`${name} `) || l.startsWith(`${name}{`)))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const metrics = async (base: string) => (await fetch(`${base}/metrics`)).text();
const readyz = async (base: string) => (await fetch(`${base}/readyz`)).status;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function produceSignups(prefix: string, from: number, count: number): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, i) => `e2e-${from + i}@example.com`);
  const producer = createKafka({ brokers: testBrokers(), clientId: 'e2e-producer' }).producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}events`,
    messages: emails.map((email, i) => ({
      value: JSON.stringify({
        _id: `signup-${from + i}`,
        timestamp: new Date().toISOString(),
        eventType: 'account.signup',
        person: { email, firstName: `N${i}` },
      }),
    })),
  });
  await producer.disconnect();
  return emails;
}

/** The main process's log line for a started worker: its pid and the address of its server. */
const started = /"workerPid":(\d+),"address":"(http:\/\/127\.0\.0\.1:\d+)","msg":"pipeline worker started"/;

describe('jo start with JO_PIPELINE_WORKERS=2', () => {
  it('shares the partitions with a worker process, restarts it when killed, and stops it on SIGTERM', async () => {
    const prefix = `${uniqueName('workers')}.`;
    endpoint.reset();
    const exited = startJo(prefix, { JO_PARTITIONS: '6', JO_PIPELINE_WORKERS: '2' });

    const [, base = ''] = await waitForOutput(/API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/, 90_000);
    const workerLine = () => new RegExp(started.source, 'g');
    const firstWorker = await waitForOutput(started, 90_000);
    const workerPid = Number(firstWorker[1]);
    const workerBase = String(firstWorker[2]);
    await expect.poll(() => readyz(base), { timeout: 60_000, interval: 500 }).toBe(200);

    // 6 partitions × 2 sub-topologies: 12 tasks in all, some in each process; the parent's /metrics sums both
    await expect
      .poll(async () => metricSum(await metrics(base), 'jo_stream_tasks_running'), { timeout: 60_000 })
      .toBe(12);
    const workerTasks = metricSum(await metrics(workerBase), 'jo_stream_tasks_running');
    expect(workerTasks).toBeGreaterThan(0);
    expect(workerTasks).toBeLessThan(12);

    await publishSample(base);

    const emails = await produceSignups(prefix, 0, 40);
    const calls = await endpoint.waitForRequests(40, 90_000, '/email/welcome');
    expect(calls.map((c) => (c.body as { to?: string }).to).sort()).toEqual([...emails].sort());
    expect(new Set(calls.map((c) => c.headers['idempotency-key'])).size).toBe(40);
    // entries counted in both processes, summed on the parent's /metrics
    await expect
      .poll(async () => metricSum(await metrics(base), 'jo_journey_entries_total', 'journey="welcome"'), {
        timeout: 15_000,
      })
      .toBe(40);
    expect(metricSum(await metrics(workerBase), 'jo_journey_entries_total', 'journey="welcome"')).toBeGreaterThan(0);

    // every profile answers through the parent's API, those on the worker's partitions through the worker
    for (const email of emails) {
      const res = await api(base, 'GET', `/v1/profiles/${encodeURIComponent(`email:${email}`)}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        journeys?: Array<{ journeyId: string; instance?: { currentNode: string } }>;
      };
      expect(body.journeys?.find((x) => x.journeyId === 'welcome')?.instance?.currentNode).toBe('wait-purchase');
    }

    // a killed worker: not ready until it runs again, started again, and nothing produced meanwhile is lost
    process.kill(workerPid, 'SIGKILL');
    await expect.poll(() => readyz(base), { timeout: 10_000, interval: 100 }).toBe(503);
    const more = await produceSignups(prefix, 40, 10);
    await expect.poll(() => output.match(workerLine())?.length ?? 0, { timeout: 60_000 }).toBe(2);
    expect(output).toMatch(/"signal":"SIGKILL".*"msg":"pipeline worker exited"/);
    await expect.poll(() => readyz(base), { timeout: 90_000, interval: 500 }).toBe(200);
    // (an HTTP call may be repeated after a crash — delivery is at least once, with the same idempotency key)
    const recipients = () =>
      [...new Set(endpoint.requests('/email/welcome').map((c) => (c.body as { to?: string }).to))].sort();
    await expect.poll(recipients, { timeout: 90_000, interval: 500 }).toEqual([...emails, ...more].sort());

    const restarted = [...output.matchAll(workerLine())].at(-1);
    const restartedPid = Number(restarted?.[1]);
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/"name":"jo-worker-1".*"msg":"engine stopped cleanly"/);
    expect(alive(restartedPid)).toBe(false);
  });

  it('a worker whose main process is SIGKILLed stops by itself, draining first', async () => {
    const exited = startJo(`${uniqueName('workers-kill')}.`, { JO_PARTITIONS: '6', JO_PIPELINE_WORKERS: '2' });
    const workerPid = Number((await waitForOutput(started, 90_000))[1]);
    child?.kill('SIGKILL');
    await exited;
    await expect.poll(() => alive(workerPid), { timeout: 30_000, interval: 200 }).toBe(false);
    expect(output).toMatch(/"name":"jo-worker-1".*"msg":"engine stopped cleanly"/);
  });
});
