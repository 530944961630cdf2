// The API's unit tier: every route driven with inject() over an in-memory config store (no broker, milliseconds).
// What only a broker shows — replay after a restart, two API processes racing on one topic — is in api.int.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configFixtures } from '../../schemas/testing/index.js';
import {
  ADMIN_TOKEN,
  API_TOKENS,
  CART_CONFIG_KEYS,
  cartResourcePuts,
  FIXTURE_POLICY,
  READ_TOKEN,
} from '../testing/index.js';
import { buildApi } from './app.js';
import { MemoryConfigStore } from './memory-config-store.js';

const { cartEvent, purchaseEvent, emailAction, smsAction, cartJourney } = configFixtures;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

async function newApi(store = new MemoryConfigStore()): Promise<{ app: FastifyInstance; store: MemoryConfigStore }> {
  let tick = 0;
  const app = await buildApi({
    store,
    tokens: API_TOKENS,
    policy: FIXTURE_POLICY,
    console: false,
    now: () => new Date(T0 + 1000 * tick++),
  });
  return { app, store };
}

async function call(
  app: FastifyInstance,
  method: string,
  url: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

async function putResources(app: FastifyInstance): Promise<void> {
  for (const [path, body] of cartResourcePuts()) expect((await call(app, 'PUT', path, body)).status).toBe(201);
}

const states = (a: Answer) =>
  ((a.body?.['versions'] ?? []) as Array<{ version: number; state: string }>).map((v) => `${v.version}:${v.state}`);

describe('admin API, unit tier (inject over an in-memory config store)', () => {
  let app: FastifyInstance;
  let store: MemoryConfigStore;
  beforeEach(async () => {
    ({ app, store } = await newApi());
  });

  it('PUTs resources and a journey, publishes; the records written are the keyed ones of the contract', async () => {
    await putResources(app);
    const saved = await call(app, 'PUT', `/v1/journeys/${cartJourney.id}`, cartJourney);
    expect(saved).toMatchObject({ status: 201, body: { id: 'cartRecovery', version: 1, state: 'draft' } });
    expect(states(await call(app, 'GET', '/v1/journeys/cartRecovery'))).toEqual(['1:draft']);
    const published = await call(app, 'POST', '/v1/journeys/cartRecovery/publish');
    expect(published.status).toBe(200);
    expect(states(published)).toEqual(['1:live']);
    expect(store.records.map((r) => r.key.replace(/\/[0-9a-f]{16}$/, '/<config>'))).toEqual(CART_CONFIG_KEYS);
    expect(JSON.parse(store.records[5]?.value ?? 'null')).toEqual(cartJourney);
    expect(JSON.parse(store.records[7]?.value ?? 'null')).not.toHaveProperty('versions.0.journey');
    expect(store.records[2]?.value).toContain('"env":"JO_SECRET_LOYALTY_TOKEN"');
    expect(((await call(app, 'GET', '/v1/events')).body?.['items'] as unknown[]).length).toBe(2);
  });

  it('v2 closes v1; a resource a live journey uses cannot be deleted; an unused one can', async () => {
    await putResources(app);
    await call(app, 'PUT', '/v1/journeys/cartRecovery', cartJourney);
    await call(app, 'POST', '/v1/journeys/cartRecovery/publish');
    const v2 = { ...cartJourney, name: 'Cart recovery v2' };
    expect((await call(app, 'PUT', '/v1/journeys/cartRecovery', v2)).body).toMatchObject({ version: 2 });
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/publish', { version: 2 })).status).toBe(200);
    expect(states(await call(app, 'GET', '/v1/journeys/cartRecovery'))).toEqual(['1:closed', '2:live']);
    expect((await call(app, 'GET', '/v1/journeys/cartRecovery/versions/1')).body).toMatchObject({
      state: 'closed',
      journey: { name: 'Cart recovery' },
    });
    expect(await call(app, 'DELETE', '/v1/actions/sendEmail')).toMatchObject({
      status: 409,
      body: { code: 'RESOURCE_IN_USE', journeys: ['cartRecovery'] },
    });
    expect((await call(app, 'PUT', '/v1/events/unused', { ...purchaseEvent, id: 'unused' })).status).toBe(201);
    expect((await call(app, 'DELETE', '/v1/events/unused')).status).toBe(204);
    expect((await call(app, 'GET', '/v1/events/unused')).status).toBe(404);
    // stop ends every version instances may still run on (the closed one too); a stopped one cannot be published
    expect(states(await call(app, 'POST', '/v1/journeys/cartRecovery/stop'))).toEqual(['1:stopped', '2:stopped']);
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/publish', { version: 2 })).status).toBe(409);
  });

  it('auth: 401 without a valid token, 403 for a read token on writes; reads and validate are fine for it', async () => {
    await putResources(app);
    const written = store.records.length;
    expect((await call(app, 'GET', '/v1/events', undefined, null)).status).toBe(401);
    expect((await call(app, 'GET', '/v1/events', undefined, 'wrong-token-0123456789')).status).toBe(401);
    expect((await call(app, 'PUT', '/v1/events/x', purchaseEvent, READ_TOKEN)).status).toBe(403);
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/stop', undefined, READ_TOKEN)).status).toBe(403);
    expect((await call(app, 'POST', '/v1/profiles/crm:1/journeys/j/exit', undefined, READ_TOKEN)).status).toBe(403);
    expect((await call(app, 'GET', '/v1/events', undefined, READ_TOKEN)).status).toBe(200);
    expect((await call(app, 'POST', '/v1/journeys/validate', cartJourney, READ_TOKEN)).status).toBe(200);
    expect((await call(app, 'GET', '/healthz', undefined, null)).status).toBe(200);
    expect((await call(app, 'GET', '/readyz', undefined, null)).body).toEqual({ status: 'ready' });
    expect(store.records.length).toBe(written);
  });

  it('refuses bad input with a code and a JSON pointer, writing nothing', async () => {
    await putResources(app);
    const n = store.records.length;
    const bad = {
      ...cartJourney,
      nodes: { ...cartJourney.nodes, x: { type: 'action', action: 'nope', next: 'done' } },
    };
    const r = await call(app, 'PUT', '/v1/journeys/cartRecovery', bad);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/"pointer":"\/nodes\/x\//);
    const ssrf = await call(app, 'PUT', '/v1/actions/meta', {
      ...emailAction,
      id: 'meta',
      url: 'http://169.254.169.254/',
    });
    expect(ssrf).toMatchObject({ status: 400, body: { errors: [{ code: 'URL_NOT_ALLOWED', pointer: '/url' }] } });
    expect((await call(app, 'PUT', '/v1/events/x', '{"id": ')).status).toBe(400);
    expect((await call(app, 'PUT', '/v1/events/other', cartEvent)).status).toBe(400); // id in body ≠ id in path
    expect((await call(app, 'PUT', '/v1/events/big', { ...cartEvent, pad: 'x'.repeat(1_100_000) })).status).toBe(413);
    expect((await call(app, 'GET', '/v1/nothing-here')).body).toMatchObject({ code: 'NOT_FOUND' });
    expect(store.records.length).toBe(n);
  });

  it('pauses and resumes (admin only); repeats are 409; the next save keeps the journey-level fields', async () => {
    await putResources(app);
    await call(app, 'PUT', '/v1/journeys/cartRecovery', cartJourney);
    await call(app, 'POST', '/v1/journeys/cartRecovery/publish');
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/pause', undefined, READ_TOKEN)).status).toBe(403);
    const paused = await call(app, 'POST', '/v1/journeys/cartRecovery/pause');
    expect(paused.body?.['pausedAt']).toMatch(/^2026-03-01T00:00:0\d\.000Z$/); // the API's injected clock
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/pause')).status).toBe(409);
    const list = (await call(app, 'GET', '/v1/journeys')).body as { items: Array<{ id: string; paused: boolean }> };
    expect(list.items.find((j) => j.id === 'cartRecovery')?.paused).toBe(true);
    const resumed = await call(app, 'POST', '/v1/journeys/cartRecovery/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body?.['pausedAt']).toBeUndefined();
    expect((await call(app, 'POST', '/v1/journeys/cartRecovery/resume')).status).toBe(409);
    expect((await call(app, 'PUT', '/v1/journeys/cartRecovery', cartJourney)).status).toBe(201);
    expect((await call(app, 'GET', '/v1/journeys/cartRecovery')).body?.['resumedAt']).toBe(resumed.body?.['resumedAt']);
  });

  it('exports a version with what it references and imports it into another API', async () => {
    await putResources(app);
    await call(app, 'PUT', '/v1/journeys/cartRecovery', cartJourney);
    const bundle = (await call(app, 'GET', '/v1/journeys/cartRecovery/versions/1/export')).body as Record<
      string,
      unknown[]
    >;
    expect((bundle['actions'] as Array<{ id: string }>).map((a) => a.id).sort()).toEqual(['sendEmail', 'sendSms']);
    const other = (await newApi()).app;
    expect(await call(other, 'POST', '/v1/import', bundle)).toMatchObject({ status: 201, body: { version: 1 } });
    expect((await call(other, 'GET', '/v1/actions/sendEmail')).body).toEqual(emailAction);
    expect((await call(other, 'POST', '/v1/import', bundle)).status).toBe(201);
    const changed = { ...bundle, actions: [{ ...emailAction, timeoutMs: 9000 }, smsAction] };
    expect((await call(other, 'POST', '/v1/import', changed)).body).toMatchObject({ code: 'IMPORT_CONFLICT' });
    expect((await call(other, 'POST', '/v1/import?overwrite=true', changed)).status).toBe(201);
    expect((await call(other, 'GET', '/v1/actions/sendEmail')).body).toMatchObject({ timeoutMs: 9000 });
  });

  it('routes that need the pipeline answer 503 without it, never 500', async () => {
    await putResources(app);
    await call(app, 'PUT', '/v1/journeys/cartRecovery', cartJourney);
    expect((await call(app, 'GET', '/v1/journeys/cartRecovery/report')).status).toBe(503);
    expect((await call(app, 'POST', '/v1/profiles/crm:1/journeys/cartRecovery/exit')).status).toBe(503);
    expect((await call(app, 'GET', '/v1/profiles/crm:1')).status).toBe(503);
  });

  it('serves an OpenAPI document listing the routes', async () => {
    const doc = await call(app, 'GET', '/openapi.json', undefined, null);
    expect(doc.body?.['openapi']).toMatch(/^3\./);
    expect(Object.keys(doc.body?.['paths'] as object)).toEqual(
      expect.arrayContaining(['/v1/events/{id}', '/v1/journeys/{id}/publish', '/v1/journeys/validate', '/v1/import']),
    );
  });
});
