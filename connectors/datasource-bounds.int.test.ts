// Issue 13 point 8 through the data-source client, against a real HTTP server on 127.0.0.1: data source ids come
// from configs (any number of them), answers from third parties (any size) — neither may grow the client's memory
// without bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpEndpoint, type TestHttpEndpoint } from './testing/index.js';
import { parseOutboundPolicy, type DataSourceConfig } from '../schemas/index.js';
import { createDataSourceClient, MAX_BREAKERS } from './datasource-client.js';
import { HttpClient } from './http-client.js';
import { LimitRegistry } from './limits.js';

let ep: TestHttpEndpoint;
let http: HttpClient;
beforeAll(async () => {
  ep = await startHttpEndpoint();
  http = new HttpClient({ outbound: parseOutboundPolicy(['127.0.0.1']), limits: new LimitRegistry() });
});
afterAll(async () => {
  await http.close();
  await ep.close();
});

const ds = (id: string, path: string, over: Partial<DataSourceConfig> = {}): DataSourceConfig => ({
  id,
  type: 'http',
  method: 'GET',
  url: `${ep.url}${path}`,
  rateLimit: { perSecond: 1_000 },
  ...over,
});

describe('data-source client bounds', () => {
  it(`keeps at most ${MAX_BREAKERS} circuit breakers over 1,500 data sources; an open one survives`, async () => {
    ep.respond('/down', { status: 503 });
    ep.respond('/up', { body: { ok: true } });
    const c = createDataSourceClient({ http, breaker: { failureThreshold: 2, openMs: 600_000 } });
    const down = ds('down', '/down');
    for (let i = 0; i < 2; i++)
      await expect(c.fetch(down, {})).rejects.toMatchObject({ code: 'DATASOURCE_HTTP_ERROR' });
    expect(c.circuitState('down')).toBe('open');
    for (let from = 0; from < 1_500; from += 50) {
      const batch = Array.from({ length: 50 }, (_, i) => c.fetch(ds(`ds-${from + i}`, '/up'), {}));
      expect(await Promise.all(batch)).toHaveLength(50);
    }
    expect(ep.requests('/up')).toHaveLength(1_500);
    expect(c.sizes().breakers).toBe(MAX_BREAKERS);
    // the open breaker was not the one dropped: the data source still fails fast, without a call
    await expect(c.fetch(down, {})).rejects.toMatchObject({ code: 'DATASOURCE_CIRCUIT_OPEN' });
    expect(ep.requests('/down')).toHaveLength(2);
    await c.close();
  });

  it('bounds the answer cache in bytes: 200 KB answers past cacheMaxBytes evict the oldest', async () => {
    const big = 'x'.repeat(100_000); // ~200 KB by the client's UTF-16 estimate (answers are read up to 256 KiB)
    ep.respond('/big', { body: { big } });
    const c = createDataSourceClient({ http, cacheMaxBytes: 1024 * 1024 });
    const cfg = ds('big', '/big?k={{k}}', { cacheTtlMs: 600_000 });
    for (let k = 0; k < 20; k++) expect(((await c.fetch(cfg, { k })) as { big: string }).big).toHaveLength(100_000);
    expect(ep.requests('/big')).toHaveLength(20);
    expect(c.sizes().cacheBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(c.sizes().cacheEntries).toBe(5);
    await c.fetch(cfg, { k: 19 }); // the newest is cached: no call
    expect(ep.requests('/big')).toHaveLength(20);
    await c.fetch(cfg, { k: 0 }); // the oldest was evicted: called again
    expect(ep.requests('/big')).toHaveLength(21);
    await c.close();
  });
});
