// The docs' broker-backed examples, run as a user runs them: real `jo` processes from ops/bin/jo.js (bash, the
// block's own command lines) against the test broker, real curl on 127.0.0.1, every process stopped with SIGTERM
// and required to exit 0. The docs' fixed ports, paths, broker address and topic prefixes are replaced by free ports,
// temporary directories, KAFKA_BROKERS and a prefix of this run (`substitute` fails when the page no longer has
// them). Output a block's comments show (`# {…}`, `# 401`, `# http://…`) must be printed as shown; where a count
// depends on timing (the throttle example), the page says so and the test checks what does not.
//   docs/operations.md  port-in-use, scale-out (two `jo start`), scale-out-check
//   docs/api.md         api-run (`jo api`), api-run-check, profiles (3 blocks), report (2 blocks)
//   docs/governance.md  governance-engine, governance-throttle, governance-produce, governance-metrics
//   inline commands     `jo --help`, `jo topics`, `jo validate`, `kafka.sh status|reset`, `npm run bench -- connectors`
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpEndpoint, testBrokers, uniqueName, type TestHttpEndpoint } from './testing/index.js';
import { waitFor } from '../topology/testing/index.js';
import {
  answerLines,
  docsBlock,
  docsBlocks,
  freePort,
  killBlock,
  runBlock,
  shownOutput,
  squash,
  startBlock,
  substitute,
  type RunningBlock,
} from './testing/docs-blocks.js';

const ADMIN = 'docs-int-admin-token-0123456789';
const READER = 'docs-int-read-token-0123456789';
const brokers = () => testBrokers().join(',');
const running: RunningBlock[] = [];
let dir: string;
let endpoint: TestHttpEndpoint;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jo-docs-int-'));
  endpoint = await startHttpEndpoint();
});
afterAll(async () => {
  for (const b of running) killBlock(b);
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a block of long-running `jo` commands; the afterAll SIGKILLs whatever a failed test left. */
function start(block: string, env: Record<string, string>): RunningBlock {
  const b = startBlock(block, { env });
  running.push(b);
  return b;
}

/** SIGTERM, as a terminal would; every process of the block must exit 0 (`jo` exits 0 when it stopped cleanly). */
async function stopCleanly(b: RunningBlock, processes: number): Promise<void> {
  const codes = await b.stop();
  expect(codes, b.output().slice(-3000)).toEqual(new Array<number>(processes).fill(0));
}

async function status(url: string, token?: string): Promise<number> {
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  return fetch(url, { headers }).then(
    (r) => r.status,
    () => 0,
  );
}

async function json(url: string, token: string): Promise<Record<string, unknown>> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return (await r.json()) as Record<string, unknown>;
}

const ready = (base: string, b: RunningBlock) =>
  waitFor(
    async () => (await status(`${base}/readyz`)) === 200,
    120_000,
    `${base}/readyz 200\n${b.output().slice(-2000)}`,
  );

/** Every answer line the block shows was printed. */
function expectShown(block: string, printed: string): void {
  const shown = answerLines(block);
  expect(shown.length, 'the block shows no output').toBeGreaterThan(0);
  const out = squash(printed);
  for (const line of shown) expect(out, `the page shows: ${line}`).toContain(line);
}

describe('docs examples on the broker: two engine processes, `jo api`, profiles, report, throttling', () => {
  const prefix = `${uniqueName('docs')}.`;
  const engineEnv = () => ({
    KAFKA_BROKERS: brokers(),
    JO_APPLICATION_ID: uniqueName('docs-app'),
    JO_TOPIC_PREFIX: prefix,
    JO_API_TOKENS: `${ADMIN}:admin,${READER}:read`,
  });
  let pair: RunningBlock;
  let a = '';
  let b = '';
  /** The docs' addresses and names in this run. */
  let subs: Record<string, string> = {};
  let engine: RunningBlock;
  let gov = '';
  const govPrefix = `${uniqueName('docs-gov')}.`;

  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    [a, b] = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
    subs = { '127.0.0.1:8080': `127.0.0.1:${pa}`, '127.0.0.1:8081': `127.0.0.1:${pb}` };
    // started first: the broker-less and API-only examples below run while it starts
    const block = substitute(docsBlock('operations.md', 'scale-out'), {
      '/var/lib/jo': dir,
      'JO_API_PORT=8080': `JO_API_PORT=${pa}`,
      'JO_API_PORT=8081': `JO_API_PORT=${pb}`,
    });
    pair = start(block, engineEnv());
    // governance.md's worked example runs on an engine of its own, as the page says; it starts meanwhile too
    const port = await freePort();
    gov = `http://127.0.0.1:${port}`;
    const govEngine = substitute(docsBlock('governance.md', 'governance-engine'), {
      'JO_API_PORT=19410': `JO_API_PORT=${port}`,
      'gov-demo.': govPrefix,
    });
    engine = start(govEngine, {
      KAFKA_BROKERS: brokers(),
      JO_APPLICATION_ID: uniqueName('docs-gov-app'),
      JO_STATE_DIR: join(dir, 'gov'),
    });
  });

  it('operations.md port-in-use: `npm start` with a taken port stops at once, as shown', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((ok) => squatter.listen(port, '127.0.0.1', ok));
    try {
      const block = substitute(docsBlock('operations.md', 'port-in-use'), { '19315': String(port) });
      const shown = shownOutput(block);
      expect(shown.exit).toBe(2);
      const env = { KAFKA_BROKERS: brokers(), JO_API_PORT: String(await freePort()) };
      const r = await runBlock(block, { env, exit: shown.exit });
      for (const line of shown.lines) expect(squash(r.stderr), line).toContain(line);
    } finally {
      await new Promise((ok) => squatter.close(ok));
    }
  }, 90_000);

  // the commands the docs name inline (ops/docs-commands-guard.test.ts lists who runs each), as a user types them
  it('inline commands: jo --help, jo topics, jo validate, kafka.sh status and reset, a tiny bench run', async () => {
    const infra = join(dir, 'infra');
    const privateBroker = {
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      JO_INFRA_DIR: infra,
    };
    // node + tsx start-up is seconds of CPU each: under load the default 60 s per block is not enough
    const slow = { timeoutMs: 150_000 };
    const [help, topics, validate, status, reset, bench] = await Promise.all([
      runBlock('node ops/bin/jo.js --help', slow),
      runBlock('node ops/bin/jo.js topics', {
        ...slow,
        env: { KAFKA_BROKERS: brokers(), JO_TOPIC_PREFIX: `${uniqueName('docs-t')}.` },
      }),
      runBlock('node ops/bin/jo.js validate ops/sample/resources.json', {
        ...slow,
        env: { JO_OUTBOUND_ALLOW: '127.0.0.1' },
      }),
      // a broker that is not running, on ports and in a directory of this test: `status` says so and exits 1
      runBlock('bash ops/infra/kafka.sh status', { env: privateBroker, exit: 1 }),
      runBlock('bash ops/infra/kafka.sh reset', { env: privateBroker }),
      runBlock('BENCH_TINY=1 npm run bench -- connectors', { ...slow, env: { KAFKA_BROKERS: brokers() } }),
    ]);
    for (const cmd of ['start', 'api', 'topics', 'validate', 'test', 'replay', 'produce-sample'])
      expect(help.stdout).toContain(`\n  ${cmd}`);
    expect(topics.stdout).toMatch(/^topics: \d+ created \(.+\), 0 verified$/m);
    expect(validate.stdout.match(/ OK \(/g), validate.stdout).toHaveLength(5);
    expect(status.stdout.trim()).toBe('stopped');
    expect(reset.stderr).toContain(`wiped ${infra}/kafka/data`);
    expect(bench.stdout).toMatch(/http connector calls\/s \(maxInFlight 64\) +\d+ +calls\/s +300 commands/);
    expect(bench.stdout).toContain('BENCH_TINY=1: a few hundred records, the numbers mean nothing');
  }, 180_000);

  it('api.md "Run it": `jo api` serves health, readiness and OpenAPI, refuses no token, stops cleanly', async () => {
    const port = await freePort();
    const api = start(substitute(docsBlock('api.md', 'api-run'), { '127.0.0.1:9092': brokers() }), {
      JO_API_PORT: String(port),
      JO_TOPIC_PREFIX: `${uniqueName('docs-api')}.`,
    });
    await ready(`http://127.0.0.1:${port}`, api);
    const check = substitute(docsBlock('api.md', 'api-run-check'), { '127.0.0.1:8080': `127.0.0.1:${port}` });
    const r = await runBlock(check);
    expectShown(check, r.stdout);
    expect(r.calls.map((c) => c.slice(0, 3))).toEqual(['200', '401', '200']);
    await stopCleanly(api, 1);
  }, 90_000);

  it('operations.md scale-out: both processes get ready and answer for the profiles of their partitions', async () => {
    await ready(a, pair);
    await ready(b, pair);
    // the second process joined after the first: wait until the group has settled and every lookup is answered
    const lookups = () =>
      Promise.all(Array.from({ length: 25 }, (_, i) => status(`${a}/v1/profiles/email:p${i + 1}@example.com`, READER)));
    await waitFor(async () => (await lookups()).every((s) => s === 200), 60_000, 'every profile lookup answered');
    const partitions = new Set<unknown>();
    for (let i = 1; i <= 25; i++)
      partitions.add((await json(`${a}/v1/profiles/email:p${i}@example.com`, READER))['partition']);
    expect(partitions.size, 'p1..p25 cover every partition (6 by default)').toBe(6);
    const check = substitute(docsBlock('operations.md', 'scale-out-check'), subs);
    const r = await runBlock(check, { env: { READ_TOKEN: READER } });
    expectShown(check, r.stdout);
    expect(r.refused).toEqual([]);
    // the second process joining revokes tasks from the first, some still starting: a routine rebalance, never an error
    const errors = pair
      .output()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    expect(errors, 'error-level log lines of the scale-out pair').toEqual([]);
    // one of the pair runs without the API (`--only pipeline,connectors`): its banner must not offer one
    expect(pair.output().match(/^ {2}API {7}/gm) ?? [], 'banners offering the API').toHaveLength(1);
  }, 150_000);

  it('api.md profiles: where p1 stands, a read token refused, an admin exit, then ended', async () => {
    const [setup, lookup, ended] = docsBlocks('api.md', 'profiles');
    expect(ended, 'api.md has three profiles blocks').toBeDefined();
    const env = { API: a, ADMIN_TOKEN: ADMIN, READ_TOKEN: READER, KAFKA_BROKERS: brokers() };
    const put = await runBlock(substitute(setup ?? '', { 'jo.events': `${prefix}events` }), { env });
    expect(put.refused).toEqual([]);
    expect(put.stdout).toContain('sent 1 event(s)');
    const journeys = async () => (await json(`${a}/v1/profiles/email:p1@example.com`, READER))['journeys'];
    await waitFor(async () => JSON.stringify(await journeys()).includes('"running"'), 60_000, 'p1 running');
    const r = await runBlock(lookup ?? '', { env });
    expectShown(lookup ?? '', r.stdout);
    expect(r.refused).toEqual(['403 POST /v1/profiles/email:p1@example.com/journeys/hold/exit']);
    await waitFor(async () => JSON.stringify(await journeys()).includes('"ended"'), 60_000, 'p1 ended');
    const e = await runBlock(ended ?? '', { env });
    expectShown(ended ?? '', e.stdout);
  }, 150_000);

  it('api.md report: 24 more sign-ups, exact counts per node', async () => {
    const [produce, report] = docsBlocks('api.md', 'report');
    const env = { API: a, READ_TOKEN: READER, KAFKA_BROKERS: brokers() };
    const p = await runBlock(substitute(produce ?? '', { 'jo.events': `${prefix}events` }), { env });
    expect(p.stdout).toContain('sent 24 event(s)');
    const entries = async () => (await json(`${a}/v1/journeys/hold/report?version=1`, READER))['entries'];
    await waitFor(async () => (await entries()) === 25, 60_000, '25 entries in the report');
    const r = await runBlock(report ?? '', { env });
    expectShown(report ?? '', r.stdout);
  }, 150_000);

  // the two processes above stop (SIGTERM, each must exit 0) while governance.md's example runs
  it('governance.md: an engine, the configuration, 40 sign-ups: every command called or capped, as shown', async () => {
    const pairStopped = stopCleanly(pair, 2).then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    ); // awaited at the end
    const API = gov;
    const endpointAddress = endpoint.url.replace('http://', '');
    await ready(API, engine);
    const config = substitute(docsBlock('governance.md', 'governance-throttle'), {
      '127.0.0.1:19411': endpointAddress,
    });
    const env = { API, TOKEN: 'demo-admin-token', KAFKA_BROKERS: brokers() };
    expect((await runBlock(config, { env })).refused).toEqual(['400 PUT /v1/actions/welcome-email']);
    const produce = substitute(docsBlock('governance.md', 'governance-produce'), {
      '127.0.0.1:9092': brokers(),
      'gov-demo.': govPrefix,
    });
    await runBlock(produce, { env });

    const left = async () => {
      const rep = await json(`${API}/v1/journeys/welcome/report`, 'demo-admin-token');
      const node = (rep['nodes'] as Array<{ left: Record<string, number> }>)[0];
      return Object.values(node?.left ?? {}).reduce((x, y) => x + y, 0);
    };
    await waitFor(async () => (await left()) === 40, 150_000, 'all 40 sign-ups called or capped');
    const block = docsBlock('governance.md', 'governance-metrics');
    const r = await runBlock(block, { env });
    const metric = (status: string) =>
      Number(
        new RegExp(`^jo_connector_results_total\\{connector="http",status="${status}"\\} (\\d+)$`, 'm').exec(
          r.stdout,
        )?.[1],
      );
    const [ok, capped] = [metric('ok'), metric('capped')];
    // what does not depend on timing: the queue is empty, every sign-up was called or capped, some were capped
    expect(r.stdout).toContain('jo_action_queue_depth{action="welcome-email"} 0');
    expect(ok + capped).toBe(40);
    expect(capped).toBeGreaterThan(0);
    const split = JSON.parse(/^\{"entered".*$/m.exec(r.stdout)?.[0] ?? '{}') as unknown;
    expect(split).toEqual({ entered: 40, left: { actionCapped: capped, continued: ok } });
    // the lines the page shows, their counts aside
    const noCounts = (t: string) => squash(t).replace(/\d+/g, 'N');
    for (const line of answerLines(block)) expect(noCounts(r.stdout)).toContain(noCounts(line));
    expect(endpoint.requests('/email/welcome')).toHaveLength(ok);
    await stopCleanly(engine, 1);
    const pairFailed = await pairStopped;
    if (pairFailed) throw pairFailed;
  }, 240_000);
});
