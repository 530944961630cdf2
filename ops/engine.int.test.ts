// The engine as users run it: `jo start` in a child process against the real broker, a journey PUT through the
// REST API, events produced by a plain producer without keys, actions arriving at a real HTTP endpoint on
// 127.0.0.1, `jo_journey_entries_total` rising on /metrics, and a clean exit on SIGTERM.
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

async function entries(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('jo_journey_entries_total{journey="welcome"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('jo start (the whole engine in one process)', () => {
  it('runs a journey from REST config and unkeyed events to HTTP actions, then exits cleanly on SIGTERM', async () => {
    const prefix = `${uniqueName('e2e')}.`;
    child = spawn(process.execPath, [jo, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: testBrokers().join(','),
        JO_TOPIC_PREFIX: prefix,
        JO_APPLICATION_ID: uniqueName('e2e-app'),
        JO_PARTITIONS: '3',
        JO_STATE_DIR: mkdtempSync(join(tmpdir(), 'jo-e2e-')),
        JO_API_PORT: '0',
        JO_API_TOKENS: `${TOKEN}:admin`,
        JO_OUTBOUND_ALLOW: '127.0.0.1',
        JO_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    const [, base = ''] = await waitForOutput(/API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/, 90_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await api(base, 'PUT', '/v1/journeys/welcome', {})).status).toBe(400);

    const r = sampleResources(endpoint.url);
    for (const e of r.events) expect((await api(base, 'PUT', `/v1/events/${e.id}`, e)).status).toBeLessThan(300);
    for (const a of r.actions) expect((await api(base, 'PUT', `/v1/actions/${a.id}`, a)).status).toBeLessThan(300);
    const j = r.journeys[0] ?? { id: 'missing' };
    expect((await api(base, 'PUT', `/v1/journeys/${j.id}`, j)).status).toBeLessThan(300);
    expect((await api(base, 'POST', `/v1/journeys/${j.id}/publish`, {})).status).toBeLessThan(300);
    const before = await entries(base);

    const producer = createKafka({ brokers: testBrokers(), clientId: 'e2e-producer' }).producer();
    await producer.connect();
    const emails = Array.from({ length: 20 }, (_, i) => `e2e-${i}@example.com`);
    await producer.send({
      topic: `${prefix}events`,
      messages: emails.map((email, i) => ({
        value: JSON.stringify({
          _id: `signup-${i}`,
          timestamp: new Date().toISOString(),
          eventType: 'account.signup',
          person: { email, firstName: `N${i}` },
        }),
      })),
    });
    await producer.disconnect();

    const calls = await endpoint.waitForRequests(20, 90_000, '/email/welcome');
    const to = calls.map((c) => (c.body as { to?: string }).to).sort();
    expect(to).toEqual([...emails].sort());
    expect(new Set(calls.map((c) => c.headers['idempotency-key'])).size).toBe(20);
    await expect.poll(() => entries(base), { timeout: 15_000 }).toBe(before + 20);

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

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped cleanly/);
  });
});
