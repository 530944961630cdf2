// The web console as a user meets it: `jo start` in a child process on the real broker (API, pipeline and
// connectors), the sample resources loaded through the REST API, and a real headless Chromium (Debian's package,
// driven by playwright-core) that opens /console, signs in with a token and works the pages. Screenshots of every
// page go to .infra/test-output/console/ (git-ignored).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../topology/index.js';
import { launchChromium, startHttpEndpoint, testBrokers, uniqueName, type TestHttpEndpoint } from '../testing/index.js';
import { sampleResources } from '../sample.js';

const jo = fileURLToPath(new URL('../bin/jo.js', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../.infra/test-output/console/', import.meta.url));
const ADMIN = `console-admin-${uniqueName('t')}`;
const READER = `console-read-${uniqueName('t')}`;
const prefix = `${uniqueName('console')}.`;

let endpoint: TestHttpEndpoint;
let child: ChildProcess | undefined;
let output = '';
let base = '';
let browser: Browser;
let admin: BrowserContext;
let page: Page;

function waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      const m = output.match(re);
      if (m) {
        clearInterval(tick);
        resolve(m);
      } else if (child?.exitCode !== null || Date.now() - started > timeoutMs) {
        clearInterval(tick);
        reject(new Error(`no ${String(re)} (exit ${String(child?.exitCode)}); output:\n${output.slice(-3000)}`));
      }
    }, 100);
  });
}

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${base}/console/`);
  await p.fill('#token', token);
  await p.click('#login button[type=submit]');
  await p.waitForSelector('#role');
}

/** Status of a GET sent with exactly this path (fetch would resolve the dot segments first). */
function rawStatus(path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    get({ host: hostname, port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** The named attributes of every element matching `selector`, sorted. */
async function attrs(p: Page, selector: string, ...names: string[]): Promise<string[][]> {
  const all = p.locator(selector);
  const out: string[][] = [];
  for (let i = 0; i < (await all.count()); i++)
    out.push(await Promise.all(names.map(async (n) => (await all.nth(i).getAttribute(n)) ?? '')));
  return out.sort((a, b) => a.join().localeCompare(b.join()));
}

/** One attribute of every element a locator finds, in page order. */
async function inOrder(all: Locator, name: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < (await all.count()); i++) out.push((await all.nth(i).getAttribute(name)) ?? '');
  return out;
}

/** Signup events (raw JSON, no key) for `<who>@example.com`, as a data engineer would produce them. */
async function produceSignups(who: readonly string[]): Promise<void> {
  const producer = createKafka({ brokers: testBrokers(), clientId: 'console-producer' }).producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}events`,
    messages: who.map((w, i) => ({
      value: JSON.stringify({
        _id: `console-signup-${w}`,
        timestamp: new Date().toISOString(),
        eventType: 'account.signup',
        person: { email: `${w}@example.com`, firstName: `C${i}` },
      }),
    })),
  });
  await producer.disconnect();
}

const today = () => new Date().toISOString().slice(0, 10);

const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  endpoint = await startHttpEndpoint();
  child = spawn(process.execPath, [jo, 'start'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testBrokers().join(','),
      JO_TOPIC_PREFIX: prefix,
      JO_APPLICATION_ID: uniqueName('console-app'),
      JO_PARTITIONS: '2',
      JO_STATE_DIR: mkdtempSync(join(tmpdir(), 'jo-console-')),
      JO_API_PORT: '0',
      JO_API_TOKENS: `${ADMIN}:admin,${READER}:read`,
      JO_LOG_FORMAT: 'json',
      // the sample endpoint is on 127.0.0.1, which the default outbound policy refuses
      JO_OUTBOUND_ALLOW: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const [, url = ''] = await waitForOutput(/API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/, 90_000);
  base = url;
  const r = sampleResources(endpoint.url);
  for (const e of r.events) expect((await api('PUT', `/v1/events/${e.id}`, e)).status).toBeLessThan(300);
  for (const a of r.actions) expect((await api('PUT', `/v1/actions/${a.id}`, a)).status).toBeLessThan(300);
  for (const j of r.journeys) {
    expect((await api('PUT', `/v1/journeys/${j.id}`, j)).status).toBe(201);
    expect((await api('POST', `/v1/journeys/${j.id}/publish`, {})).status).toBe(200);
  }
  browser = await launchChromium();
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await admin.newPage();
});

afterAll(async () => {
  await browser?.close();
  child?.kill('SIGTERM');
  await endpoint?.close();
});

describe('web console at /console (headless Chromium)', () => {
  it('prints its URL at start, asks for a token, keeps it in sessionStorage and out of the URL', async () => {
    expect(output).toContain(`${base}/console/`);
    // the assets are open, the data is not: a path that merely starts with /console gets no pass
    expect((await fetch(`${base}/console/app.js`)).status).toBe(200);
    expect((await fetch(`${base}/v1/console/session`)).status).toBe(401);
    for (const raw of ['/console/../v1/journeys', '/console/%2e%2e/v1/journeys', '/console/..%2fv1/journeys'])
      expect(await rawStatus(raw), raw).toBe(404);
    await page.goto(`${base}/console/`);
    await page.waitForSelector('#login');
    await shot(page, '01-sign-in');
    await page.fill('#token', 'not-a-token');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/not accepted/);

    await signIn(page, ADMIN);
    expect(await page.textContent('#role')).toBe('admin');
    expect(page.url()).not.toContain(ADMIN);
    expect(await page.evaluate('sessionStorage.getItem("jo.console.token")')).toBe(ADMIN);
    const first = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
    expect(first).toBeGreaterThan(0);
  });

  it('lists journeys with their versions and state', async () => {
    await page.goto(`${base}/console/#/journeys`);
    const row = page.locator('tr[data-journey="welcome"]');
    await row.waitFor();
    expect(await row.locator('.chip').allTextContents()).toEqual(['v1 live']);
    expect(await row.locator('[data-action="publish"]').isDisabled()).toBe(true);
    await shot(page, '02-journeys');
  });

  it("draws the sample journey's canvas: every node by type, labelled edges, the node's definition on click", async () => {
    const producedOn = today();
    await produceSignups(Array.from({ length: 5 }, (_, i) => `console-${i}`));
    await endpoint.waitForRequests(5, 60_000, '/email/welcome');

    await page.goto(`${base}/console/#/journeys/welcome`);
    await page.waitForSelector('svg.graph');
    const nodes = (await attrs(page, '[data-node-id]', 'data-node-id', 'data-node-type')).map((a) => a.join(':'));
    expect(nodes).toEqual([
      '@entry:entry',
      'done:end',
      'send-reminder:action',
      'send-welcome:action',
      'wait-purchase:event',
    ]);
    const labels = (await page.locator('.edge-label').allTextContents()).sort();
    expect(labels).toEqual(['onTimeout P3D', 'purchase']);
    // live counts from the journey report, refreshed every few seconds: the 5 stand at wait-purchase
    const counts = (id: string) =>
      attrs(page, `[data-node-id="${id}"] .node-counts`, 'data-waiting', 'data-passed', 'data-errors');
    await expect.poll(() => counts('wait-purchase'), { timeout: 30_000 }).toEqual([['5', '0', '0']]);
    expect(await counts('send-welcome')).toEqual([['0', '5', '0']]);
    expect(await counts('@entry')).toEqual([['0', '5', '0']]);
    expect(await counts('done')).toEqual([['0', '0', '0']]);
    await page.click('[data-node-id="wait-purchase"]');
    await expect.poll(() => page.textContent('#node-panel pre')).toContain('"onTimeout": "send-reminder"');
    expect(await page.textContent('#node-counts tr[data-count="entered"] td')).toBe('5');
    expect(await page.textContent('#node-counts tr[data-count="waiting now"] td')).toBe('5');
    await shot(page, '03-canvas');
    await page.goto(`${base}/console/#/journeys`);
    const row = page.locator('tr[data-journey="welcome"]');
    await expect.poll(() => row.locator('td[data-col="entries"]').textContent()).toBe('5');
    expect(await row.locator('td[data-col="running"]').textContent()).toBe('5');
    // entries today: the report's count for the API's UTC day (the entry steps' days add up to the entries)
    const report = (await (await api('GET', '/v1/journeys/welcome/report')).json()) as {
      entriesToday: number;
      entriesByDay: Record<string, number>;
    };
    expect(Object.values(report.entriesByDay).reduce((a, b) => a + b, 0)).toBe(5);
    expect(await row.locator('td[data-col="entries-today"]').textContent()).toBe(String(report.entriesToday));
    if (producedOn === today()) expect(report.entriesToday).toBe(5); // unless the test ran across midnight UTC
    await shot(page, '02-journeys-counts');
  });

  it('looks up a profile: its journey, status, current node and what it waits for', async () => {
    const link = page.locator('[data-nav="profiles"]');
    expect(await link.isVisible()).toBe(true); // /openapi.json lists GET /v1/profiles/{key}
    await link.click();
    await page.fill('#profile-key', 'email:console-0@example.com');
    const row = page.locator('#profile-journeys tr[data-journey="welcome"]');
    // the owner of the profile's partition answers; right after start it may still say 503 (rebalancing)
    await expect
      .poll(
        async () => {
          await page.click('#profile-lookup');
          await page.waitForSelector('#profile-journeys, #profile-error, #profile-none');
          return row.count();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe(1);
    expect(await row.getAttribute('data-status')).toBe('running');
    expect(await row.getAttribute('data-node')).toBe('wait-purchase');
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['welcome', 'running', 'v1', 'wait-purchase (event)']);
    // waiting for a purchase until the node's P3D timeout (timed from when the instance reached the node, just
    // after it entered and sent the welcome email)
    const until = /^event purchase until (\S+)$/.exec(cells[4] ?? '')?.[1] ?? '';
    const afterEntry = Date.parse(until) - Date.parse(cells[5] ?? '') - 3 * 24 * 3600_000;
    expect(afterEntry).toBeGreaterThanOrEqual(0);
    expect(afterEntry).toBeLessThan(60_000);
    expect(page.url()).toContain('#/profiles/email%3Aconsole-0%40example.com');
    await shot(page, '09-profile');
    await page.fill('#profile-key', 'email:nobody@example.com');
    await page.click('#profile-lookup');
    await expect.poll(() => page.textContent('#profile-result')).toMatch(/email:nobody@example.com is in no journey/);
  });

  it('publishes a new draft from the list; the previous version closes', async () => {
    const r = sampleResources(endpoint.url);
    const j = { ...(r.journeys[0] as Record<string, unknown>), name: 'Welcome, take two' };
    expect((await api('PUT', '/v1/journeys/welcome', j)).status).toBe(201);
    await page.goto(`${base}/console/#/journeys`);
    await page.reload(); // the list is already open (same hash): draw it again now
    const row = page.locator('tr[data-journey="welcome"]');
    await expect.poll(() => row.locator('.chip').allTextContents()).toEqual(['v1 live', 'v2 draft']);
    await row.locator('[data-action="publish"]').click();
    await expect.poll(() => row.locator('.chip').allTextContents()).toEqual(['v1 closed', 'v2 live']);
    const rec = (await (await api('GET', '/v1/journeys/welcome')).json()) as { versions: Array<{ state: string }> };
    expect(rec.versions.map((v) => v.state)).toEqual(['closed', 'live']);
  });

  it('marks a problem on the node its pointer names as you type, then saves a draft and publishes it', async () => {
    await page.goto(`${base}/console/#/journeys/welcome/edit`);
    await expect.poll(() => page.textContent('#verdict')).toBe('valid');
    const j = JSON.parse(await page.inputValue('#journey-json')) as { nodes: Record<string, Record<string, unknown>> };
    (j.nodes['send-reminder'] as Record<string, unknown>)['next'] = 'nowhere';
    await page.fill('#journey-json', JSON.stringify(j, null, 2));
    const problem = page.locator('#problems li[data-pointer="/nodes/send-reminder/next"]');
    await problem.waitFor();
    expect(await problem.getAttribute('data-code')).toBe('NODE_REF_UNKNOWN');
    expect(await attrs(page, '#editor-canvas [data-problems]', 'data-node-id')).toEqual([['send-reminder']]);
    expect(await page.getAttribute('#editor-canvas [data-node-id="nowhere"]', 'data-node-type')).toBe('missing');
    const line =
      JSON.stringify(j, null, 2)
        .split('\n')
        .findIndex((l) => l.includes('"nowhere"')) + 1;
    expect(await page.locator('.gutter .bad').allTextContents()).toEqual([String(line)]);
    await shot(page, '05-editor-problem');

    (j.nodes['send-reminder'] as Record<string, unknown>)['next'] = 'done';
    (j as Record<string, unknown>)['name'] = 'Welcome, edited in the console';
    await page.fill('#journey-json', JSON.stringify(j, null, 2));
    await expect.poll(() => page.textContent('#verdict')).toBe('valid');
    expect(await page.locator('#editor-canvas [data-problems]').count()).toBe(0);
    await page.click('#save-draft');
    await expect.poll(() => page.textContent('#version-state')).toBe('v3 draft');
    await page.click('#publish');
    await expect.poll(() => page.textContent('#version-state')).toBe('v3 live');
    const rec = (await (await api('GET', '/v1/journeys/welcome')).json()) as {
      versions: Array<{ state: string; journey: { name: string } }>;
    };
    expect(rec.versions.map((v) => v.state)).toEqual(['closed', 'closed', 'live']);
    expect(rec.versions[2]?.journey.name).toBe('Welcome, edited in the console');
  });

  it('runs the edited journey in test mode: trail, commands not sent, per-node counts', async () => {
    const before = endpoint.requests().length;
    await page.goto(`${base}/console/#/journeys/welcome/edit`);
    await expect.poll(() => page.textContent('#verdict')).toBe('valid');
    // the request is prefilled from the entry event's configuration: one signup of ada@example.com
    await expect.poll(() => page.inputValue('#test-request')).toContain('"person": {');
    await page.click('#run-test');
    await page.locator('#test-report').waitFor();
    expect(await page.textContent('#status')).toMatch(/saved as v4 draft · tested v4/);
    const trail = page.locator('[data-profile="email:ada@example.com"] tr[data-step]');
    expect(await inOrder(trail, 'data-step')).toEqual([
      'send-welcome:entered',
      'wait-purchase:transitioned',
      'wait-purchase:timedout',
      'send-reminder:transitioned',
      'done:ended',
    ]);
    // the 3-day timeout took no time: the simulated clock
    expect(await trail.last().locator('td').first().textContent()).toBe('2026-01-04T00:00:00.000Z');
    expect(await inOrder(page.locator('#test-commands tr[data-command]'), 'data-command')).toEqual([
      'welcome-email',
      'reminder-email',
    ]);
    expect(await page.textContent('#test-counts tr[data-node="done"][data-status="ended"] td:last-child')).toBe('1');
    await shot(page, '08-editor-test-mode');
    // nothing was sent: the sample endpoint saw no new request
    expect(endpoint.requests().length).toBe(before);
    const rec = (await (await api('GET', '/v1/journeys/welcome')).json()) as { versions: Array<{ state: string }> };
    expect(rec.versions.map((v) => v.state)).toEqual(['closed', 'closed', 'live', 'draft']);
  });

  it('edits catalog resources with the same inline validation', async () => {
    await page.goto(`${base}/console/#/catalog/actions`);
    await page.locator('#catalog [data-resource]').first().waitFor();
    expect((await attrs(page, '#catalog [data-resource]', 'data-resource')).flat()).toEqual([
      'reminder-email',
      'welcome-email',
    ]);
    await shot(page, '06-catalog-actions');
    await page.click('[data-resource="welcome-email"] a');
    await expect.poll(() => page.textContent('#verdict')).toBe('valid');
    const a = JSON.parse(await page.inputValue('#resource-json')) as Record<string, unknown>;
    await page.fill('#resource-json', JSON.stringify({ ...a, timeoutMs: -5 }, null, 2));
    await page.locator('#problems li[data-pointer="/timeoutMs"]').waitFor();
    expect(await page.locator('.gutter .bad').count()).toBe(1);
    await shot(page, '07-catalog-problem');
    await page.fill('#resource-json', JSON.stringify({ ...a, timeoutMs: 7000 }, null, 2));
    await expect.poll(() => page.textContent('#verdict')).toBe('valid');
    await page.click('#save-resource');
    await expect.poll(() => page.textContent('#status')).toBe('saved action welcome-email');
    const saved = (await (await api('GET', '/v1/actions/welcome-email')).json()) as { timeoutMs: number };
    expect(saved.timeoutMs).toBe(7000);
  });

  it("shows a node's recent errors: an action whose endpoint answers 500", async () => {
    endpoint.respond('/hooks/fail', { status: 500, body: { error: 'boom' } });
    const hook = {
      id: 'failing-hook',
      name: 'Failing hook',
      type: 'http',
      url: `${endpoint.url}/hooks/fail`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"to": {{params.email}}}',
      timeoutMs: 2000,
      retries: 0,
    };
    expect((await api('PUT', '/v1/actions/failing-hook', hook)).status).toBeLessThan(300);
    const alerts = {
      id: 'alerts',
      name: 'Alerts',
      namespace: 'email',
      entry: { event: 'signup' },
      start: 'call',
      nodes: {
        call: {
          type: 'action',
          action: 'failing-hook',
          params: { email: { var: 'event.xdm.person.email' } },
          next: 'done',
          onError: 'failed',
        },
        failed: { type: 'end' },
        done: { type: 'end' },
      },
    };
    expect((await api('PUT', '/v1/journeys/alerts', alerts)).status).toBe(201);
    expect((await api('POST', '/v1/journeys/alerts/publish', {})).status).toBe(200);
    await produceSignups(['failing-0']);
    await endpoint.waitForRequests(1, 60_000, '/hooks/fail');

    await page.goto(`${base}/console/#/journeys/alerts`);
    await page.waitForSelector('svg.graph');
    const errors = () => attrs(page, '[data-node-id="call"] .node-counts', 'data-errors');
    await expect.poll(errors, { timeout: 30_000 }).toEqual([['1']]);
    await page.click('[data-node-id="call"]');
    const item = page.locator('#recent-errors li');
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.getAttribute('data-code')).toBe('actionError');
    expect(await item.locator('.error-message').textContent()).toMatch(/^error: .*endpoint answered 500$/);
    expect(Date.parse((await item.getAttribute('data-at')) ?? '')).toBeGreaterThan(Date.now() - 120_000);
    // a node without errors says so
    await page.click('[data-node-id="done"]');
    await page.locator('#recent-errors-none').waitFor();
    await page.click('[data-node-id="call"]');
    await item.waitFor();
    await shot(page, '10-canvas-recent-errors');
  });

  it('a read token sees everything and no write buttons', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const reader = await ctx.newPage();
    await signIn(reader, READER);
    expect(await reader.textContent('#role')).toBe('read');
    await reader.locator('tr[data-journey="welcome"]').waitFor();
    expect(await reader.locator('[data-action], #new-journey').count()).toBe(0);
    await shot(reader, '04-journeys-read-only');
    await reader.goto(`${base}/console/#/journeys/welcome/v/1`);
    await reader.waitForSelector('svg.graph');
    expect(await reader.locator('#publish').count()).toBe(0);
    expect(await reader.textContent('#open-editor')).toBe('View JSON');
    await reader.goto(`${base}/console/#/catalog/events/signup`);
    await expect.poll(() => reader.textContent('#verdict')).toBe('valid');
    expect(await reader.locator('#save-resource, #delete-resource, #new-resource').count()).toBe(0);
    expect(await reader.getAttribute('#resource-json', 'readonly')).toBe('');
    await ctx.close();
  });
});
