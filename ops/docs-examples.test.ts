// The docs' shell examples cannot rot: each ```sh block that follows a `<!-- run: NAME -->` marker is run with bash.
// `api-walkthrough` (docs/api.md): real curl against the admin API (in-memory config store, listening on
// 127.0.0.1), every HTTP status is recorded, and every error code the block's comments promise must appear in what
// the API answered. `governance-pause` and `governance-throttle` (docs/governance.md) likewise, the first after the
// fixtures' cartRecovery journey is published, the second under the outbound policy the page's engine ran with.
// `jo-test` (docs/testing-journeys.md): the CLI from the repository root; every output line the
// block's comments show must be printed, and the exit code its `(exit N)` note gives must be the one returned.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy } from '../schemas/index.js';
import { buildApi } from './api/index.js';
import { MemoryConfigStore } from './api/memory-config-store.js';
import { configFixtures } from '../schemas/testing/index.js';
import { docsBlock, promisedCodes, runBlock, shownOutput, squash } from './testing/docs-blocks.js';

const ADMIN = 'docs-admin-token-0123456789abcdef';

/** An API over an in-memory store on 127.0.0.1; `allow` is the outbound policy (`JO_OUTBOUND_ALLOW`). */
async function listen(allow?: string[]): Promise<{ app: FastifyInstance; url: string }> {
  const policy = { outbound: parseOutboundPolicy(allow), secrets: DEFAULT_SECRET_POLICY };
  const app = await buildApi({ store: new MemoryConfigStore(), tokens: [{ token: ADMIN, role: 'admin' }], policy });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

/** A block of curl calls run with bash in `cwd` (see runBlock). */
const runCurlBlock = (block: string, cwd: string, env: Record<string, string>) => runBlock(block, { cwd, env });

describe('docs examples run', () => {
  const apis: FastifyInstance[] = [];
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jo-docs-'));
  });
  afterAll(async () => {
    for (const a of apis) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function api(allow?: string[]) {
    const a = await listen(allow);
    apis.push(a.app);
    return a;
  }

  it('docs/api.md worked example: every call answers as its comments say', async () => {
    const block = docsBlock('api.md', 'api-walkthrough');
    const [main, other] = [await api(), await api()];
    const env = { JO_API_TOKENS: `${ADMIN}:admin`, OTHER_TOKEN: ADMIN, OTHER_API: other.url, API: main.url };
    const { calls, refused, stdout } = await runCurlBlock(block, dir, env);
    // the two refusals the walkthrough shows on purpose, and nothing else
    expect(refused).toEqual(['400 PUT /v1/journeys/broken', '409 DELETE /v1/actions/sendSms']);
    expect(calls.length).toBeGreaterThan(15);
    for (const code of promisedCodes(block)) expect(stdout, `promised ${code}`).toContain(`"${code}"`);
    expect(stdout).toMatch(/"state":\s*"live"/);
  }, 90_000);

  it('docs/governance.md pause and resume: both answer the journey record, paused then resumed', async () => {
    const block = docsBlock('governance.md', 'governance-pause');
    const { app, url } = await api(['127.0.0.1:9999']); // where the fixtures' endpoints are
    const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;
    const auth = { authorization: `Bearer ${ADMIN}` };
    for (const [kind, r] of [
      ['events', cartEvent],
      ['events', purchaseEvent],
      ['datasources', loyaltyDatasource],
      ['actions', emailAction],
      ['actions', smsAction],
      ['journeys', cartJourney],
    ] as const)
      expect(
        (await app.inject({ method: 'PUT', url: `/v1/${kind}/${r.id}`, headers: auth, payload: r })).statusCode,
      ).toBeLessThan(300);
    const publish = await app.inject({ method: 'POST', url: `/v1/journeys/${cartJourney.id}/publish`, headers: auth });
    expect(publish.statusCode).toBe(200);
    const { calls, refused, stdout } = await runCurlBlock(block, dir, { ADMIN, API: url });
    expect(refused).toEqual([]);
    expect(calls).toHaveLength(2);
    const [paused, resumed] = stdout.split(/(?<=\})(?=\{)/).map((t) => JSON.parse(t) as Record<string, unknown>);
    expect(paused).toHaveProperty('pausedAt');
    expect(resumed).toHaveProperty('resumedAt');
    expect(resumed).not.toHaveProperty('pausedAt');
  }, 90_000);

  it('docs/governance.md throttle example: the configuration calls answer as the page shows', async () => {
    const block = docsBlock('governance.md', 'governance-throttle');
    // the page's engine ran with JO_OUTBOUND_ALLOW=127.0.0.1 (its endpoint is 127.0.0.1:19411)
    const { url } = await api(['127.0.0.1']);
    const { calls, refused, stdout } = await runCurlBlock(block, dir, { API: url, TOKEN: ADMIN });
    expect(refused).toEqual(['400 PUT /v1/actions/welcome-email']);
    expect(calls).toHaveLength(5);
    for (const code of promisedCodes(block)) expect(stdout, `promised ${code}`).toContain(`"${code}"`);
    expect(promisedCodes(block)).toEqual(['INVALID_INPUT', 'THROTTLE_WITH_RATE_LIMIT', 'THROTTLE_DELAY_TOO_LONG']);
  }, 90_000);

  it('docs/testing-journeys.md `jo test`: prints every line the page shows and exits as it says', async () => {
    const block = docsBlock('testing-journeys.md', 'jo-test');
    const shown = shownOutput(block);
    expect(shown.lines.length).toBeGreaterThan(2);
    const r = await runBlock(block, { exit: shown.exit, timeoutMs: 80_000 });
    const printed = squash(`${r.stdout}\n${r.stderr}`);
    for (const line of shown.lines) expect(printed, `the page shows: ${line}`).toContain(line);
    expect(r.code).toBe(shown.exit);
  }, 90_000);
});
