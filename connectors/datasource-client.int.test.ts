// The data-source client against a real HTTP server on 127.0.0.1: templating, auth, cache, coalescing, rate
// limit, timeout and the circuit breaker.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type TestHttpEndpoint } from './testing/index.js';
import { parseOutboundPolicy, type DataSourceConfig } from '../schemas/index.js';
import { InMemoryMetrics } from '../topology/testing/index.js';
import { createDataSourceClient, type DataSourceClient } from './datasource-client.js';
import { HttpClient } from './http-client.js';
import { LimitRegistry } from './limits.js';
import { SecretResolver } from './secrets.js';

let ep: TestHttpEndpoint;
let http: HttpClient;
beforeAll(async () => {
  ep = await startHttpEndpoint();
  http = new HttpClient({
    outbound: parseOutboundPolicy(['127.0.0.1']),
    secrets: new SecretResolver({ env: { JO_SECRET_CS: 'secret', JO_SECRET_KEY: 'k1' } }),
    limits: new LimitRegistry(),
  });
});
afterAll(async () => {
  await http.close();
  await ep.close();
});
beforeEach(() => ep.reset());

const data = { profile: { id: 'p 1', tier: 'gold' }, event: { xdm: { orderId: 42 } } };
let n = 0;
const ds = (over: Partial<DataSourceConfig> = {}): DataSourceConfig => ({
  id: `ds${++n}`,
  type: 'http',
  method: 'GET',
  url: `${ep.url}/customers/{{profile.id}}?order={{event.xdm.orderId}}`,
  ...over,
});

function client(opts: Parameters<typeof createDataSourceClient>[0] = {}): DataSourceClient {
  return createDataSourceClient({ http, ...opts });
}

describe('data-source client', () => {
  it('renders URL, headers and JSON body templates and sends the auth', async () => {
    ep.respond('/customers/p%201', { body: { loyalty: 3 } });
    ep.respond('/lookup', { body: { score: 0.7 } });
    const c = client();
    const get = ds({
      headers: { 'x-tier': '{{profile.tier}}' },
      auth: { type: 'apiKey', in: 'query', name: 'key', value: { env: 'JO_SECRET_KEY' } },
    });
    expect(await c.fetch(get, data)).toEqual({ loyalty: 3 });
    const [g] = ep.requests('/customers/p%201');
    expect(g?.query).toEqual({ order: '42', key: 'k1' });
    expect(g?.headers['x-tier']).toBe('gold');
    const post = ds({
      method: 'POST',
      url: `${ep.url}/lookup`,
      body: '{"id": {{profile.id}}, "order": {{event.xdm.orderId}}}',
    });
    expect(await c.fetch(post, data)).toEqual({ score: 0.7 });
    expect(ep.requests('/lookup')[0]?.body).toEqual({ id: 'p 1', order: 42 });
  });

  it('uses OAuth2 client credentials with one token for many lookups', async () => {
    const issuer = ep.oauth2('/token', { clients: { engine: 'secret' } });
    ep.protect('/secure', issuer);
    const cfg = ds({
      url: `${ep.url}/secure?i={{i}}`,
      auth: { type: 'oauth2', tokenUrl: issuer.tokenUrl, clientId: 'engine', clientSecret: { env: 'JO_SECRET_CS' } },
      rateLimit: { perSecond: 1_000 },
    });
    const c = client();
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.fetch(cfg, { i })));
    expect(issuer.issued()).toBe(1);
    expect(ep.requests('/secure')).toHaveLength(20);
  });

  it('1,000 concurrent lookups of one key make one HTTP call; the answer is cached for cacheTtlMs', async () => {
    ep.stall('/customers/p%201', 100, { body: { loyalty: 9 } });
    const c = client();
    const cfg = ds({ cacheTtlMs: 60_000 });
    const all = await Promise.all(Array.from({ length: 1_000 }, () => c.fetch(cfg, data)));
    expect(all.every((v) => (v as { loyalty: number }).loyalty === 9)).toBe(true);
    expect(ep.requests()).toHaveLength(1);
    expect(await c.fetch(cfg, data)).toEqual({ loyalty: 9 });
    expect(ep.requests()).toHaveLength(1);
    await c.fetch(cfg, { ...data, profile: { id: 'other' } });
    expect(ep.requests()).toHaveLength(2);
  });

  it('without cacheTtlMs every sequential lookup calls the endpoint', async () => {
    const c = client();
    const cfg = ds();
    await c.fetch(cfg, data);
    await c.fetch(cfg, data);
    expect(ep.requests()).toHaveLength(2);
  });

  it('rate-limits lookups per data source and fails DATASOURCE_RATE_LIMITED beyond the wait', async () => {
    const metrics = new InMemoryMetrics();
    const c = client({ maxWaitMs: 0, metrics });
    const cfg = ds({ url: `${ep.url}/r?i={{i}}`, rateLimit: { perSecond: 1 } });
    await c.fetch(cfg, { i: 1 });
    await expect(c.fetch(cfg, { i: 2 })).rejects.toMatchObject({ code: 'DATASOURCE_RATE_LIMITED', datasource: cfg.id });
    expect(ep.requests('/r')).toHaveLength(1);
    expect(metrics.value('jo_datasource_calls_total', { datasource: cfg.id, status: 'rate_limited' })).toBe(1);
    expect(metrics.value('jo_datasource_calls_total', { datasource: cfg.id, status: 'ok' })).toBe(1);
  });

  it('times out with DATASOURCE_TIMEOUT and reports 4xx as a non-retryable DATASOURCE_HTTP_ERROR', async () => {
    ep.stall('/slow');
    ep.respond('/gone', { status: 404 });
    const c = client();
    const t0 = Date.now();
    await expect(c.fetch(ds({ url: `${ep.url}/slow`, timeoutMs: 300 }), data)).rejects.toMatchObject({
      code: 'DATASOURCE_TIMEOUT',
      retryable: true,
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(c.fetch(ds({ url: `${ep.url}/gone` }), data)).rejects.toMatchObject({
      code: 'DATASOURCE_HTTP_ERROR',
      httpStatus: 404,
      retryable: false,
    });
  });

  it('opens the circuit after failures (failing fast without calls) and closes it after recovery', async () => {
    ep.respond('/flaky', { status: 503 });
    const c = client({ breaker: { failureThreshold: 3, openMs: 500 } });
    const cfg = ds({ url: `${ep.url}/flaky?i={{i}}`, rateLimit: { perSecond: 1_000 } });
    for (let i = 0; i < 3; i++)
      await expect(c.fetch(cfg, { i })).rejects.toMatchObject({ code: 'DATASOURCE_HTTP_ERROR' });
    expect(c.circuitState(cfg.id)).toBe('open');
    await expect(c.fetch(cfg, { i: 9 })).rejects.toMatchObject({ code: 'DATASOURCE_CIRCUIT_OPEN' });
    expect(ep.requests('/flaky')).toHaveLength(3);
    ep.respond('/flaky', { body: { back: true } });
    await new Promise((r) => setTimeout(r, 550));
    expect(c.circuitState(cfg.id)).toBe('half-open');
    expect(await c.fetch(cfg, { i: 10 })).toEqual({ back: true });
    expect(c.circuitState(cfg.id)).toBe('closed');
    expect(await c.fetch(cfg, { i: 11 })).toEqual({ back: true });
  });

  it('a template reaching into prototypes is DATASOURCE_CONFIG_INVALID', async () => {
    const c = client();
    await expect(c.fetch(ds({ url: `${ep.url}/x/{{profile.__proto__}}` }), data)).rejects.toMatchObject({
      code: 'DATASOURCE_CONFIG_INVALID',
    });
  });
});
