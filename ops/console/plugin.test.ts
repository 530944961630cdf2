import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from './index.js';

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  registerConsole(app, { roleOf: (h) => (h === 'Bearer a' ? 'admin' : undefined) });
  await app.ready();
});
afterAll(() => app.close());

describe('console plugin', () => {
  it('serves the page with a strict CSP and no inline script', async () => {
    const res = await app.inject({ url: '/console/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(res.body).toContain('<script type="module" src="./app.js"></script>');
    expect(res.body).not.toMatch(/<script>(?!<)/);
    expect((await app.inject({ url: '/console' })).headers.location).toBe('/console/');
  });

  it('serves ES modules and the layout library from node_modules, with ETags', async () => {
    const js = await app.inject({ url: '/console/pages/journeys.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/text\/javascript/);
    const dagre = await app.inject({ url: '/console/vendor/dagre.js' });
    expect(dagre.statusCode).toBe(200);
    expect(dagre.body).toMatch(/export\{/);
    expect(dagre.body).not.toMatch(/sourceMappingURL/);
    const again = await app.inject({
      url: '/console/vendor/dagre.js',
      headers: { 'if-none-match': dagre.headers.etag },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves only the files it read at start: no directory walk', async () => {
    for (const url of ['/console/../plugin.ts', '/console/%2e%2e/plugin.ts', '/console/pages', '/console/plugin.ts'])
      expect((await app.inject({ url })).statusCode, url).toBe(404);
  });

  it("tells the page its token's role", async () => {
    const res = await app.inject({ url: '/v1/console/session', headers: { authorization: 'Bearer a' } });
    expect(res.json()).toEqual({ role: 'admin' });
  });
});
