// `npm start --dev` loads the sample journey through the API right after start-up: a broker away for a moment then
// (the API answers 500) must not stop the engine. A real HTTP server on 127.0.0.1 stands in for the API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSampleRetrying } from './sample.js';

let server: Server | undefined;

/** An API that answers the first `failures` requests with 500, then 200 `{}`; it records each request. */
async function api(failures: number): Promise<{ address: string; requests: string[] }> {
  const requests: string[] = [];
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const failing = requests.length <= failures;
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      res.end(failing ? '{"code":"INTERNAL"}' : '{}');
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('loading the sample journey at start-up', () => {
  it('tries again while the API fails, then loads and publishes it', async () => {
    const { address, requests } = await api(3);
    await expect(loadSampleRetrying(address, 't', 'http://127.0.0.1:8090', { pauseMs: 10 })).resolves.toBe(
      'loaded and published',
    );
    // three failed attempts (each stopped at its first failing call), then a whole one ending with the publish
    expect(requests.slice(0, 4)).toEqual(Array.from({ length: 4 }, () => 'GET /v1/journeys/welcome'));
    expect(requests.at(-1)).toBe('POST /v1/journeys/welcome/publish');
  });

  it('gives up after its time with the last failure', async () => {
    const { address, requests } = await api(Infinity);
    await expect(
      loadSampleRetrying(address, 't', 'http://127.0.0.1:8090', { withinMs: 100, pauseMs: 20 }),
    ).rejects.toThrow('GET /v1/journeys/welcome → 500');
    expect(requests.length).toBeGreaterThan(1);
  });
});
