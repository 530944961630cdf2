// Deadlines that say what happened (issue 12): 20,000 commands (5 s timeout, 2 retries: deadline createdAt + 17 s)
// go through an HTTP connector process that is SIGKILLed twice — once restarted at once, once left down for 20 s,
// longer than the deadline — while a real endpoint on 127.0.0.1 answers every call. Every command gets exactly one
// result; `expired` only for commands whose call never reached the endpoint; a command whose call reached the
// endpoint is never reported with attempts 0, and is not `ok` only when its deadline passed before a connector
// was back to call it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, readCommitted, testKafka } from '../topology/testing/index.js';
import { startHttpEndpoint, type TestHttpEndpoint, command, createConnectorTopics, results } from './testing/index.js';
import type { ActionCommand } from '../schemas/index.js';
import type { Admin, KafkaClient, Producer } from '../topology/index.js';

const N = 20_000;
const RATE = 400; // commands produced per second, through both crashes and the outage
const TIMEOUT_MS = 5_000;
const RETRIES = 2;
const DEADLINE_MS = TIMEOUT_MS * (RETRIES + 1) + 1_000 * RETRIES; // as the engine computes it: 17 s
const OUTAGE_MS = 20_000;

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;
const children: ChildProcess[] = [];

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-deadline-crash');
  admin = kafka.admin();
  await admin.connect();
  ep = await startHttpEndpoint();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await ep.close();
  await admin.disconnect();
});

/** Starts a connector process; resolves with it and the time it reported having joined its group. */
function startChild(config: object): Promise<{ child: ChildProcess; startedAt: number }> {
  const file = fileURLToPath(new URL('./testing/connector-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, JO_TEST_CONNECTOR: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve({ child, startedAt: Date.now() });
    });
    child.on('exit', (code) => reject(new Error(`connector child exited (${code}) before starting: ${err}`)));
  });
}

/** SIGKILLs `child` within a few ms of a call reaching the endpoint (answered after 40 ms): a call in flight. */
async function killWhileCalling(child: ChildProcess, calls: () => number): Promise<number> {
  const seen = calls();
  while (calls() === seen) await new Promise((r) => setTimeout(r, 1));
  const at = Date.now();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return at;
}

/** Produces N commands at RATE per second, each created (and its deadline counted) when produced. */
async function produceSteadily(producer: Producer, topic: string, url: string, sent: ActionCommand[]): Promise<void> {
  const tick = 100;
  const perTick = (RATE * tick) / 1000;
  const t0 = Date.now();
  for (let i = 0; sent.length < N; i++) {
    const cmds = Array.from({ length: Math.min(perTick, N - sent.length) }, () =>
      command(url, { action: 'act', timeoutMs: TIMEOUT_MS, retries: RETRIES }, DEADLINE_MS),
    );
    await producer.send({ topic, messages: cmds.map((c) => ({ key: c.profileKey, value: JSON.stringify(c) })) });
    sent.push(...cmds);
    const wait = t0 + (i + 1) * tick - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

describe('deadlines across connector crashes', () => {
  it('reports expired only for commands never called, and never attempts 0 for a call that was made', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-deadline')}.`);
    ep.stall('/slow', 40, { status: 200, body: { ok: true } });
    const config = {
      brokers: testBrokers(),
      prefix: t.prefix,
      groupId: uniqueName('g-deadline'),
      transactionalId: uniqueName('tx-deadline'),
      perSecond: 10_000,
      maxInFlight: 64,
      url: ep.url,
    };
    const reached = () => ep.requests().length;
    const sent: ActionCommand[] = [];
    const t0 = Date.now();
    const progress = (what: string) =>
      console.log(`deadline-crash +${Date.now() - t0} ms ${what}: ${sent.length} produced, ${reached()} calls`);
    const producedAtLeast = async (n: number) => {
      while (sent.length < n) await new Promise((r) => setTimeout(r, 50));
    };
    const first = await startChild(config);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const producing = produceSteadily(producer, t.names.commands('http'), `${ep.url}/slow`, sent);

    await producedAtLeast(N / 4);
    const kill1 = await killWhileCalling(first.child, reached);
    const calledBefore1 = reached();
    progress('kill 1');
    const second = await startChild(config); // restarted at once, as a supervisor would
    progress(`restarted in ${second.startedAt - kill1} ms; now`);
    await producedAtLeast((N * 3) / 5);
    const kill2 = await killWhileCalling(second.child, reached);
    const calledBefore2 = reached();
    progress('kill 2');
    await new Promise((r) => setTimeout(r, OUTAGE_MS)); // down for longer than the deadline
    const third = await startChild(config);
    progress('third started');
    await producing;
    await producer.disconnect();
    progress('all produced');

    const got = results(await readCommitted(kafka, t.names.actionResults, N, 180_000, 3_000));
    expect(got).toHaveLength(N);
    const byId = new Map(got.map((r) => [r.commandId, r]));
    expect(new Set(byId.keys())).toEqual(new Set(sent.map((c) => c.commandId)));

    const calls = new Map<string, number[]>();
    for (const r of ep.requests()) {
      const k = String(r.headers['idempotency-key']);
      calls.set(k, [...(calls.get(k) ?? []), r.at]);
    }
    const counts: Record<string, number> = {};
    for (const r of got) counts[r.status] = (counts[r.status] ?? 0) + 1;

    const deadlineOf = new Map(sent.map((c) => [c.commandId, Date.parse(c.deadline)]));
    const reachedButNotOk: string[] = [];
    for (const r of got) {
      const seen = calls.get(r.commandId)?.length ?? 0;
      if (r.status === 'expired') {
        expect(r.attempts).toBe(0);
        expect(seen).toBe(0);
      }
      if (r.status === 'timedout') expect(r.attempts).toBeGreaterThanOrEqual(1);
      if (seen > 0) {
        expect(r.attempts).toBeGreaterThanOrEqual(1);
        expect(r.attempts).toBeGreaterThanOrEqual(seen);
        if (r.status !== 'ok') reachedButNotOk.push(r.commandId);
      }
    }
    // the endpoint answers every call at once: a command it saw is not ok only when the connector that called it
    // died and the next one came after the deadline
    for (const id of reachedButNotOk) {
      const r = byId.get(id);
      expect(r?.status).toBe('timedout');
      expect(Date.parse(r?.completedAt ?? '')).toBeGreaterThanOrEqual(deadlineOf.get(id) ?? Infinity);
    }
    // both crashes happened with calls in flight: commands called by one incarnation, answered by the next
    const acrossKill = (killAt: number) =>
      got.filter(
        (r) => (calls.get(r.commandId) ?? []).some((at) => at <= killAt) && Date.parse(r.completedAt ?? '') > killAt,
      );
    const across1 = acrossKill(kill1);
    const across2 = acrossKill(kill2);
    expect(across1.length).toBeGreaterThan(0);
    expect(across2.length).toBeGreaterThan(0);
    // the outage outlasted the deadline: commands produced early in it were never called
    expect(counts['expired'] ?? 0).toBeGreaterThan(0);

    const summary = (rs: typeof got) => {
      const s: Record<string, number> = {};
      for (const r of rs)
        s[`${r.status}/attempts≥1:${r.attempts >= 1}`] = (s[`${r.status}/attempts≥1:${r.attempts >= 1}`] ?? 0) + 1;
      return JSON.stringify(s);
    };
    console.log(
      `deadline-crash: ${N} commands, results by status ${JSON.stringify(counts)}; ` +
        `calls reached the endpoint for ${calls.size} commands (${reachedButNotOk.length} of them not ok); ` +
        `kill 1 after ${calledBefore1} calls, restart ready in ${second.startedAt - kill1} ms, ` +
        `${across1.length} commands called before it and answered after it: ${summary(across1)}; ` +
        `kill 2 after ${calledBefore2} calls, down ${third.startedAt - kill2} ms, ` +
        `${across2.length} commands called before it and answered after it: ${summary(across2)}`,
    );
  }, 400_000);
});
