// The shared HTTP machinery against a real HTTP server on 127.0.0.1: auth modes as the server sees them, OAuth2
// token caching and refresh, retries and their limits, deadlines, Retry-After, Idempotency-Key.
import { beforeEach, describe, expect, it } from 'vitest';
import { httpSuite, startHttpEndpoint } from './testing/index.js';
import { type Auth } from '../schemas/index.js';
import { SecretResolver } from './secrets.js';

const env = {
  JO_SECRET_PW: 'pa:ss',
  JO_SECRET_KEY: 'k-123',
  JO_SECRET_TOKEN: 'tok-xyz',
  JO_SECRET_CLIENT_SECRET: 's3cret',
};
const { ep, http } = httpSuite({ secrets: new SecretResolver({ env }), baseBackoffMs: 20 });
beforeEach(() => ep.reset());

const post = (path: string) => ({ url: `${ep.url}${path}`, method: 'POST', headers: {}, body: '{"a":1}' });
const quick = { timeoutMs: 2_000, retries: 3 };

/** Protects /api with a token issuer that knows client `app`, and the OAuth2 auth a caller uses to get through. */
function protectedByOAuth2(opts: { expiresInS?: number } = {}) {
  const issuer = ep.oauth2('/token', { clients: { app: 's3cret' }, ...opts });
  ep.protect('/api', issuer);
  const auth: Auth = {
    type: 'oauth2',
    tokenUrl: issuer.tokenUrl,
    clientId: 'app',
    clientSecret: { env: 'JO_SECRET_CLIENT_SECRET' },
  };
  return { issuer, auth };
}

describe('HttpClient auth modes', () => {
  it.each<[string, Auth, (h: Record<string, unknown>, q: Record<string, string>) => void]>([
    ['none', { type: 'none' }, (h) => expect(h['authorization']).toBeUndefined()],
    [
      'basic',
      { type: 'basic', username: 'ann', password: { env: 'JO_SECRET_PW' } },
      (h) => expect(h['authorization']).toBe(`Basic ${Buffer.from('ann:pa:ss').toString('base64')}`),
    ],
    [
      'apiKey header',
      { type: 'apiKey', in: 'header', name: 'X-Api-Key', value: { env: 'JO_SECRET_KEY' } },
      (h) => expect(h['x-api-key']).toBe('k-123'),
    ],
    [
      'apiKey query',
      { type: 'apiKey', in: 'query', name: 'api_key', value: { env: 'JO_SECRET_KEY' } },
      (h, q) => {
        expect(q['api_key']).toBe('k-123');
        expect(h['x-api-key']).toBeUndefined();
      },
    ],
    [
      'bearer',
      { type: 'bearer', token: { env: 'JO_SECRET_TOKEN' } },
      (h) => expect(h['authorization']).toBe('Bearer tok-xyz'),
    ],
  ])('%s is seen by the server', async (_name, auth, check) => {
    const o = await http.call(post('/auth?x=1'), { ...quick, auth, idempotencyKey: 'cmd-1' });
    expect(o.status).toBe('ok');
    const [req] = ep.requests('/auth');
    check(req?.headers as Record<string, unknown>, req?.query ?? {});
    expect(req?.query['x']).toBe('1');
    expect(req?.headers['idempotency-key']).toBe('cmd-1');
    expect(req?.body).toEqual({ a: 1 });
  });

  it('oauth2: one token for many calls, a new one after a 401', async () => {
    const { issuer, auth } = protectedByOAuth2();
    const outs = await Promise.all(Array.from({ length: 50 }, () => http.call(post('/api'), { ...quick, auth })));
    expect(outs.every((o) => o.status === 'ok')).toBe(true);
    expect(issuer.issued()).toBe(1);
    issuer.revokeAll();
    const after = await http.call(post('/api'), { ...quick, auth });
    expect(after).toMatchObject({ status: 'ok', attempts: 2 });
    expect(issuer.issued()).toBe(2);
    const seen = ep.requests('/api').map((r) => r.headers.authorization);
    expect(seen.slice(0, 50).every((a) => a === `Bearer ${issuer.tokens()[0]}`)).toBe(true);
    expect(seen.at(-1)).toBe(`Bearer ${issuer.tokens()[1]}`);
  });

  it('oauth2: refreshes an expired token before using it', async () => {
    const { issuer, auth } = protectedByOAuth2({ expiresInS: 1 });
    expect((await http.call(post('/api'), { ...quick, auth })).status).toBe('ok');
    await new Promise((r) => setTimeout(r, 1_050));
    expect(await http.call(post('/api'), { ...quick, auth })).toMatchObject({ status: 'ok', attempts: 1 });
    expect(issuer.issued()).toBe(2);
  });

  it('a secret that cannot be resolved is an error without a call', async () => {
    const o = await http.call(post('/x'), { ...quick, auth: { type: 'bearer', token: { env: 'JO_SECRET_MISSING' } } });
    expect(o).toMatchObject({ status: 'error', code: 'SECRET_UNRESOLVED' });
    expect(ep.requests()).toHaveLength(0);
  });
});

describe('HttpClient retries and time limits', () => {
  it('500 then 200 gives ok after 2 attempts with the same Idempotency-Key', async () => {
    ep.failTimes('/f', 1);
    const o = await http.call(post('/f'), { ...quick, idempotencyKey: 'k-1' });
    expect(o).toMatchObject({ status: 'ok', attempts: 2, httpStatus: 200, response: { ok: true } });
    expect(ep.requests('/f').map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1']);
  });

  it.each([400, 401, 403, 404, 422])('%i is not retried', async (status) => {
    ep.respond('/e', { status, body: { why: 'no' } });
    const o = await http.call(post('/e'), quick);
    expect(o).toMatchObject({ status: 'error', attempts: 1, httpStatus: status, response: { why: 'no' } });
    expect(o.code).toBe('HTTP_STATUS');
  });

  it('gives up after the retries', async () => {
    ep.respond('/down', { status: 503 });
    const o = await http.call(post('/down'), { timeoutMs: 1_000, retries: 2 });
    expect(o).toMatchObject({ status: 'error', attempts: 3, httpStatus: 503 });
  });

  it('retries a refused connection as a network error', async () => {
    const gone = await startHttpEndpoint();
    const url = `${gone.url}/x`;
    await gone.close();
    const o = await http.call({ url, method: 'GET' }, { timeoutMs: 1_000, retries: 1 });
    expect(o).toMatchObject({ status: 'error', attempts: 2, code: 'HTTP_NETWORK' });
  });

  it('a stalled server gives timedout at the deadline', async () => {
    ep.stall('/stall');
    const deadline = Date.now() + 2_500;
    const o = await http.call(post('/stall'), { timeoutMs: 1_000, retries: 3, deadline });
    const end = Date.now();
    expect(o.status).toBe('timedout');
    expect(end).toBeGreaterThanOrEqual(deadline - 200);
    expect(end).toBeLessThan(deadline + 1_000);
    expect(ep.requests('/stall').length).toBeGreaterThanOrEqual(2);
  });

  it('honors Retry-After on 429', async () => {
    ep.sequence('/rl', [{ status: 429, headers: { 'retry-after': '1' } }]);
    const o = await http.call(post('/rl'), { timeoutMs: 1_000, retries: 1, deadline: Date.now() + 10_000 });
    expect(o).toMatchObject({ status: 'ok', attempts: 2 });
    const [a, b] = ep.requests('/rl');
    expect((b?.hr ?? 0) - (a?.hr ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After past the deadline', async () => {
    ep.respond('/rl', { status: 429, headers: { 'retry-after': '30' } });
    const t0 = Date.now();
    const o = await http.call(post('/rl'), { timeoutMs: 1_000, retries: 3, deadline: t0 + 3_000 });
    expect(o).toMatchObject({ status: 'error', attempts: 1, httpStatus: 429 });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('does not keep an answer over 256 KiB in the outcome', async () => {
    ep.respond('/big', { body: { blob: 'x'.repeat(300_000) } });
    const o = await http.call(post('/big'), quick);
    expect(o).toMatchObject({ status: 'ok', httpStatus: 200, attempts: 1 });
    expect(o.response).toBeUndefined();
  });

  it('a deadline already passed makes no call: expired, attempts 0', async () => {
    const o = await http.call(post('/late'), { ...quick, deadline: Date.now() - 1 });
    expect(o).toMatchObject({ status: 'expired', attempts: 0, code: 'DEADLINE_EXPIRED' });
    expect(ep.requests()).toHaveLength(0);
  });

  it('attempts made before a restart: a passed deadline is timedout with them, never expired', async () => {
    const o = await http.call(post('/late'), { ...quick, deadline: Date.now() - 1, priorAttempts: 2 });
    expect(o).toMatchObject({ status: 'timedout', attempts: 2, code: 'DEADLINE_EXCEEDED' });
    expect(ep.requests()).toHaveLength(0);
  });

  it('attempts made before a restart count towards retries; the deadline allowing, the call is made again', async () => {
    ep.failTimes('/again', 5, { status: 503 });
    const recorded: number[] = [];
    const beforeAttempt = async (n: number) => void recorded.push(n);
    const o = await http.call(post('/again'), { timeoutMs: 1_000, retries: 2, priorAttempts: 1, beforeAttempt });
    expect(o).toMatchObject({ status: 'error', attempts: 3, httpStatus: 503 });
    expect(recorded).toEqual([2, 3]);
    expect(ep.requests('/again')).toHaveLength(2);
    // all attempts used before the restart: one more call (same Idempotency-Key) to learn the answer
    ep.reset();
    const replay = await http.call(post('/ok'), { ...quick, retries: 1, priorAttempts: 2, idempotencyKey: 'k' });
    expect(replay).toMatchObject({ status: 'ok', attempts: 3 });
    expect(ep.requests('/ok')).toHaveLength(1);
  });

  it('an attempt that cannot be recorded is not sent', async () => {
    const beforeAttempt = () => Promise.reject(new Error('broker away'));
    await expect(http.call(post('/unrecorded'), { ...quick, beforeAttempt })).rejects.toThrow('broker away');
    expect(ep.requests()).toHaveLength(0);
  });

  it('caps a call that cannot get a concurrency permit within maxWait', async () => {
    ep.stall('/slow', 600);
    const limits = [{ key: 'action:capped-test', maxConcurrency: 1 }];
    const [a, b] = await Promise.all([
      http.call(post('/slow'), { ...quick, limits, maxWaitMs: 100 }),
      http.call(post('/slow'), { ...quick, limits, maxWaitMs: 100 }),
    ]);
    expect([a?.status, b?.status].sort()).toEqual(['capped', 'ok']);
    expect(ep.requests('/slow')).toHaveLength(1);
  });
});
