// The docs' shell examples cannot rot: each ```sh block that follows a `<!-- run: NAME -->` marker is run with bash.
// `api-walkthrough` (docs/api.md): real curl against the admin API (in-memory config store, listening on
// 127.0.0.1), every HTTP status is recorded, and every error code the block's comments promise must appear in what
// the API answered. `governance-pause` and `governance-throttle` (docs/governance.md) likewise, the first after the
// fixtures' cartRecovery journey is published, the second under the outbound policy the page's engine ran with.
// `jo-test` (docs/testing-journeys.md): the CLI from the repository root; every output line the
// block's comments show must be printed, and the exit code its `(exit N)` note gives must be the one returned.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy } from '../schemas/index.js';
import { buildApi } from './api/index.js';
import { MemoryConfigStore } from './api/memory-config-store.js';
import { configFixtures } from '../schemas/testing/index.js';

const run = promisify(execFile);
const ADMIN = 'docs-admin-token-0123456789abcdef';

/** The ```sh blocks of a markdown file that follow `<!-- run: NAME -->`. */
export function runnableBlocks(markdown: string, name: string): string[] {
  const blocks: string[] = [];
  const marker = `<!-- run: ${name} -->`;
  for (let at = markdown.indexOf(marker); at >= 0; at = markdown.indexOf(marker, at + 1)) {
    const m = /```sh\n([\s\S]*?)\n```/.exec(markdown.slice(at));
    if (m?.[1]) blocks.push(m[1]);
  }
  return blocks;
}

/** Codes the block's comments promise, e.g. `# 409 RESOURCE_IN_USE` or `{"code":"REF_UNKNOWN_EVENT"}`. */
function promisedCodes(block: string): string[] {
  const comments = block.split('\n').flatMap((l) => (l.includes('#') ? [l.slice(l.indexOf('#'))] : []));
  return [...new Set(comments.flatMap((c) => c.match(/\b[A-Z]{2,}(?:_[A-Z]+)+\b/g) ?? []))];
}

/** Whitespace runs folded to one space, so column alignment in the docs does not matter. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * What a CLI block's comments show: every `# line` except elisions (`...`), without a trailing `(stderr, exit N)`
 * note; `exit` is that note's N (0 when there is none).
 */
export function shownOutput(block: string): { lines: string[]; exit: number } {
  const comments = block.split('\n').flatMap((l) => (l.trimStart().startsWith('#') ? [l.trimStart().slice(1)] : []));
  const note = /\s*\((?:stderr, )?exit (\d+)\)\s*$/;
  const exit = comments.map((c) => note.exec(c)?.[1]).find((n) => n !== undefined);
  const lines = comments.filter((c) => !c.includes('...')).map((c) => squash(c.replace(note, '')));
  return { lines: lines.filter((l) => l !== ''), exit: Number(exit ?? 0) };
}

/** An API over an in-memory store on 127.0.0.1; `allow` is the outbound policy (`JO_OUTBOUND_ALLOW`). */
async function listen(allow?: string[]): Promise<{ app: FastifyInstance; url: string }> {
  const policy = { outbound: parseOutboundPolicy(allow), secrets: DEFAULT_SECRET_POLICY };
  const app = await buildApi({ store: new MemoryConfigStore(), tokens: [{ token: ADMIN, role: 'admin' }], policy });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

/**
 * Runs a block of curl calls with bash in `cwd`; curl is wrapped to write each answer's status to stderr (stdout
 * stays what the docs show). Returns the calls (`201 PUT http://…/v1/…`) and what was printed.
 */
async function runCurlBlock(block: string, cwd: string, env: Record<string, string>) {
  const script = [
    'set -eo pipefail',
    `curl() { command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\\n' "$@"; }`,
    block,
  ].join('\n');
  const { stdout, stderr } = await run('bash', ['-c', script], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    timeout: 60_000,
  }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`the docs block failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
  const calls = stderr.split('\n').filter((l) => /^\d{3} /.test(l));
  /** Calls not answered 2xx, without the host (`400 PUT /v1/…`). */
  const refused = calls.filter((l) => !/^2\d\d /.test(l)).map((l) => l.replace(/ http:\/\/127\.0\.0\.1:\d+/, ' '));
  return { calls, refused, stdout };
}

/** The one block after `<!-- run: NAME -->` in docs/FILE. */
function docsBlock(file: string, name: string): string {
  const [block] = runnableBlocks(readFileSync(new URL(`../docs/${file}`, import.meta.url), 'utf8'), name);
  if (block === undefined) throw new Error(`docs/${file} has no <!-- run: ${name} --> block`);
  return block;
}

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
    const md = readFileSync(new URL('../docs/testing-journeys.md', import.meta.url), 'utf8');
    const [block] = runnableBlocks(md, 'jo-test');
    expect(block, 'docs/testing-journeys.md has no <!-- run: jo-test --> block').toBeDefined();
    const shown = shownOutput(block ?? '');
    expect(shown.lines.length).toBeGreaterThan(2);
    const r = await run('bash', ['-c', block ?? ''], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 80_000,
    }).then(
      (ok) => ({ code: 0, ...ok }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
    const printed = squash(`${r.stdout}\n${r.stderr}`);
    for (const line of shown.lines) expect(printed, `the page shows: ${line}`).toContain(line);
    expect(r.code, r.stderr).toBe(shown.exit);
  }, 90_000);
});
