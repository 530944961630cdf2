// The test HTTP endpoint other folders' integration tests rely on: recording, programmed behaviours, OAuth2.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type TestHttpEndpoint } from './http-endpoint.js';

let ep: TestHttpEndpoint;
beforeEach(async () => {
  ep = await startHttpEndpoint();
});
afterEach(async () => {
  await ep.close();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; res: Response }> {
  const res = await fetch(`${ep.url}${path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text body
  }
  return { status: res.status, body, res };
}

describe('TestHttpEndpoint', () => {
  it('listens on 127.0.0.1 and records method, url, headers, parsed body and time', async () => {
    expect(ep.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const before = Date.now();
    const r = await call('/hook?a=1&b=x', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'c-1' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
    const [req] = ep.requests();
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/hook?a=1&b=x');
    expect(req?.path).toBe('/hook');
    expect(req?.query).toEqual({ a: '1', b: 'x' });
    expect(req?.headers['idempotency-key']).toBe('c-1');
    expect(req?.body).toEqual({ hello: 'world' });
    expect(req?.at).toBeGreaterThanOrEqual(before);
    expect(ep.requests('/other')).toHaveLength(0);
  });

  it('answers a programmed response per path, and a global one for other paths', async () => {
    ep.respond('/a', { status: 201, body: { id: 7 }, headers: { 'x-test': 'yes' } });
    ep.respond('*', { status: 404, body: 'nope' });
    const a = await call('/a');
    expect(a.status).toBe(201);
    expect(a.body).toEqual({ id: 7 });
    expect(a.res.headers.get('x-test')).toBe('yes');
    const b = await call('/b');
    expect(b.status).toBe(404);
    expect(b.body).toBe('nope');
  });

  it('fails N times then succeeds', async () => {
    ep.failTimes('/f', 2);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/f')).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
  });

  it('stalls forever until the client gives up, or answers after a delay', async () => {
    ep.stall('/never');
    ep.stall('/late', 300, { status: 202 });
    await expect(fetch(`${ep.url}/never`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(ep.requests('/never')).toHaveLength(1);
    const t0 = performance.now();
    const late = await call('/late');
    expect(late.status).toBe(202);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('rate-limits with 429 and Retry-After above the rate', async () => {
    ep.rateLimit('/rl', { perSecond: 3, retryAfterS: 2 });
    const rs = await Promise.all(Array.from({ length: 5 }, () => call('/rl')));
    const statuses = rs.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = rs.find((r) => r.status === 429);
    expect(limited?.res.headers.get('retry-after')).toBe('2');
  });

  it('issues expiring OAuth2 client-credentials tokens, counts them, and guards a path', async () => {
    const oauth = ep.oauth2('/token', { clients: { app: 's3cret' }, expiresInS: 1 });
    ep.protect('/api', oauth);
    expect((await call('/api')).status).toBe(401);
    const bad = await call('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=app&client_secret=wrong',
    });
    expect(bad.status).toBe(401);
    const ok = await call('/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('app:s3cret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=send',
    });
    expect(ok.status).toBe(200);
    const tok = ok.body as { access_token: string; expires_in: number; token_type: string };
    expect(tok.expires_in).toBe(1);
    expect(tok.token_type).toBe('Bearer');
    expect(oauth.issued()).toBe(1);
    expect((await call('/api', { headers: { authorization: `Bearer ${tok.access_token}` } })).status).toBe(200);
    oauth.revokeAll();
    expect(oauth.isValid(tok.access_token)).toBe(false);
    expect((await call('/api', { headers: { authorization: `Bearer ${tok.access_token}` } })).status).toBe(401);
  });

  it('expires OAuth2 tokens after expires_in', async () => {
    const oauth = ep.oauth2('/token', { expiresInS: 0.2 });
    const ok = await call('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=client&client_secret=secret',
    });
    const token = (ok.body as { access_token: string }).access_token;
    expect(oauth.isValid(token)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(oauth.isValid(token)).toBe(false);
  });

  it('waitForRequests resolves once n arrived and rejects with the count on timeout', async () => {
    const waiting = ep.waitForRequests(3, 5_000, '/w');
    await Promise.all([call('/w'), call('/x'), call('/w'), call('/w')]);
    expect((await waiting).map((r) => r.path)).toEqual(['/w', '/w', '/w']);
    await expect(ep.waitForRequests(5, 100, '/w')).rejects.toThrow('3 of 5 requests within 100 ms');
    expect(await ep.waitForRequests(1, 100, (r) => r.path === '/x')).toHaveLength(1);
  });

  it('reset forgets requests and rules; close drops stalled connections', async () => {
    ep.respond('/r', { status: 418 });
    expect((await call('/r')).status).toBe(418);
    ep.reset();
    expect(ep.requests()).toHaveLength(0);
    expect((await call('/r')).status).toBe(200);
    ep.stall('/s');
    const pending = fetch(`${ep.url}/s`);
    await ep.waitForRequests(1, 2_000, '/s');
    await ep.close();
    await expect(pending).rejects.toThrow();
    ep = await startHttpEndpoint();
  });
});
