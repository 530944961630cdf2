// The outbound policy at call time, against real HTTP servers on 127.0.0.1: internal addresses are refused before
// any byte is sent (HTTP calls, data sources, OAuth2 token URLs), a name that resolves to an internal address is
// refused after resolution (DNS rebinding), and an allowed name is connected to at the address that was checked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type TestHttpEndpoint } from './testing/index.js';
import { parseOutboundPolicy, type OutboundPolicy } from '../schemas/index.js';
import { createDataSourceClient } from './datasource-client.js';
import { HttpClient } from './http-client.js';
import { LimitRegistry } from './limits.js';
import { SecretResolver } from './secrets.js';

let ep: TestHttpEndpoint;
let other: TestHttpEndpoint;
const clients: HttpClient[] = [];
beforeAll(async () => {
  ep = await startHttpEndpoint();
  other = await startHttpEndpoint();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await ep.close();
  await other.close();
});
beforeEach(() => {
  ep.reset();
  other.reset();
});

/** `rebind.example` and `public.example` resolve to 127.0.0.1 here, as an attacker's DNS could make them. */
const resolve = async (host: string) => (host.endsWith('.example') ? ['127.0.0.1'] : ['93.184.216.34']);

function client(outbound?: OutboundPolicy): HttpClient {
  const c = new HttpClient({
    ...(outbound ? { outbound } : {}),
    resolve,
    limits: new LimitRegistry(),
    secrets: new SecretResolver({ env: { JO_SECRET_CS: 'cs' } }),
  });
  clients.push(c);
  return c;
}

const port = (e: TestHttpEndpoint) => new URL(e.url).port;
const quick = { timeoutMs: 2_000, retries: 2 };

describe('outbound policy at call time', () => {
  it('by default refuses 127.0.0.1 in any spelling with URL_NOT_ALLOWED and sends nothing', async () => {
    const http = client();
    for (const host of ['127.0.0.1', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '[::ffff:127.0.0.1]', 'localhost']) {
      const o = await http.call({ url: `http://${host}:${port(ep)}/x`, method: 'GET' }, quick);
      expect(o, host).toMatchObject({ status: 'error', code: 'URL_NOT_ALLOWED', attempts: 0 });
    }
    expect(ep.requests()).toHaveLength(0);
  });

  it('refuses a name that resolves to an internal address (DNS rebinding), after resolution', async () => {
    const http = client();
    const o = await http.call({ url: `http://rebind.example:${port(ep)}/x`, method: 'GET' }, quick);
    expect(o).toMatchObject({ status: 'error', code: 'URL_NOT_ALLOWED', attempts: 0 });
    expect(o.error).toMatch(/127\.0\.0\.1/);
    expect(ep.requests()).toHaveLength(0);
  });

  it('connects an allowed name to the address it checked (the allow list names 127.0.0.1)', async () => {
    const http = client(parseOutboundPolicy(['public', '127.0.0.1']));
    ep.respond('/x', { status: 200, body: { ok: true } });
    const o = await http.call({ url: `http://rebind.example:${port(ep)}/x`, method: 'GET' }, quick);
    expect(o).toMatchObject({ status: 'ok', response: { ok: true } });
    expect(ep.requests('/x')[0]?.headers.host).toBe(`rebind.example:${port(ep)}`);
  });

  it('applies ports: 127.0.0.1:<one port> allows that port only', async () => {
    const http = client(parseOutboundPolicy([`127.0.0.1:${port(ep)}`]));
    expect((await http.call({ url: `${ep.url}/x`, method: 'GET' }, quick)).status).toBe('ok');
    const o = await http.call({ url: `${other.url}/x`, method: 'GET' }, quick);
    expect(o).toMatchObject({ status: 'error', code: 'URL_NOT_ALLOWED' });
    expect(other.requests()).toHaveLength(0);
  });

  it('refuses an OAuth2 token URL outside the policy without calling it', async () => {
    const issuer = other.oauth2('/token', { clients: { engine: 'cs' } });
    const http = client(parseOutboundPolicy([`127.0.0.1:${port(ep)}`]));
    const o = await http.call(
      { url: `${ep.url}/api`, method: 'GET' },
      {
        ...quick,
        auth: { type: 'oauth2', tokenUrl: issuer.tokenUrl, clientId: 'engine', clientSecret: { env: 'JO_SECRET_CS' } },
      },
    );
    expect(o).toMatchObject({ status: 'error', code: 'URL_NOT_ALLOWED' });
    expect(other.requests()).toHaveLength(0);
    expect(ep.requests()).toHaveLength(0);
  });

  it('reads OAuth2 token answers with a size cap', async () => {
    other.respond('/huge-token', {
      status: 200,
      body: { access_token: 'x'.repeat(100_000), expires_in: 3600 },
    });
    const http = client(parseOutboundPolicy(['127.0.0.1']));
    const o = await http.call(
      { url: `${ep.url}/api`, method: 'GET' },
      {
        ...quick,
        auth: {
          type: 'oauth2',
          tokenUrl: `${other.url}/huge-token`,
          clientId: 'c',
          clientSecret: { env: 'JO_SECRET_CS' },
        },
      },
    );
    expect(o).toMatchObject({ status: 'error', code: 'OAUTH_TOKEN_FAILED' });
    expect(o.error).toMatch(/more than 65536 bytes/);
    expect(ep.requests()).toHaveLength(0);
  });

  it('fails a data source outside the policy with URL_NOT_ALLOWED (not retryable), no request sent', async () => {
    const ds = createDataSourceClient({ http: client() });
    await expect(
      ds.fetch({ id: 'crm', type: 'http', method: 'GET', url: `${ep.url}/c/{{profile.id}}` }, { profile: { id: 1 } }),
    ).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED', retryable: false });
    await expect(
      ds.fetch({ id: 'crm2', type: 'http', method: 'GET', url: `http://public.example:${port(ep)}/c` }, {}),
    ).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    expect(ep.requests()).toHaveLength(0);
  });
});
