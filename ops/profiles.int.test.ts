// Profile lookup and manual exit across two pipeline processes (each `jo start --only pipeline,api`, a child
// process) on the real broker: 1,000 profiles wait in a journey; `GET /v1/profiles/:key` through EACH process's API
// answers for every profile (the owner of its partition is found through the hosts directory and asked); 100
// exits through the APIs give exactly 100 `manualExit` steps and no command for those profiles when the wait ends;
// one process is SIGKILLed and restarted mid-run, and every lookup meanwhile is the right answer or a 503 with
// Retry-After.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../topology/index.js';
import { topicCatalog, topicNames } from '../schemas/index.js';
import { ensureTopics } from './topics.js';
import {
  HOLD_JOURNEY,
  holdResources,
  produceSignups,
  profileKeyOf,
  stepsWith,
  testBrokers,
  TopicTail,
  uniqueName,
  type TailRecord,
} from './testing/index.js';

const jo = fileURLToPath(new URL('./bin/jo.js', import.meta.url));
const ADMIN = 'profiles-admin-token-0123456789';
const READER = 'profiles-read-token-0123456789';
const PROFILES = 1_000;
const PARTITIONS = 6;
const prefix = `${uniqueName('it-prof')}.`;
const applicationId = uniqueName('it-prof-app');
const topics = topicNames(prefix);

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly base: string;
  output: string;
}
const procs: Proc[] = [];

async function startProcess(name: string, stateDir: string): Promise<Proc> {
  const child = spawn(process.execPath, [jo, 'start', '--only', 'pipeline,api'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testBrokers().join(','),
      JO_TOPIC_PREFIX: prefix,
      JO_APPLICATION_ID: applicationId,
      JO_PARTITIONS: String(PARTITIONS),
      JO_STATE_DIR: stateDir,
      JO_API_PORT: '0',
      JO_API_TOKENS: `${ADMIN}:admin,${READER}:read`,
      JO_OUTBOUND_ALLOW: '127.0.0.1',
      JO_LOG_FORMAT: 'json',
      JO_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  for (;;) {
    const m = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output);
    if (m?.[1]) {
      const p: Proc = { name, child, base: m[1], output };
      child.stdout?.on('data', (d: Buffer) => (p.output += d.toString()));
      procs.push(p);
      return p;
    }
    if (child.exitCode !== null || Date.now() - started > 90_000)
      throw new Error(`${name} did not start (${String(child.exitCode)}):\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(base: string, method: string, path: string, token = ADMIN, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

interface JourneyView {
  journeyId: string;
  status: string;
  instance?: { currentNode: string; waitingFor?: { kind: string; dueAt?: string } };
}
const lookup = (base: string, i: number) =>
  call(base, 'GET', `/v1/profiles/${encodeURIComponent(profileKeyOf(i))}`, READER);
/** What a consumer of jo.step-events counts alone: entries, exits by reason, and who waits at which node. */
function countSteps(records: readonly TailRecord[]) {
  let entries = 0;
  const exits: Record<string, number> = {};
  const last = new Map<string, string | null>();
  for (const r of records) {
    const steps = r.value['steps'] as Array<{ nodeId: string; status: string; reason?: string }>;
    const instance = String(r.value['instanceId']);
    steps.forEach((st, i) => {
      if (st.status === 'entered') entries += 1;
      if (st.status === 'entered' || st.status === 'transitioned') last.set(instance, st.nodeId);
      if (i === steps.length - 1 && ['ended', 'error', 'timedout'].includes(st.status)) {
        exits[st.reason ?? st.status] = (exits[st.reason ?? st.status] ?? 0) + 1;
        last.set(instance, null);
      }
    });
  }
  const waiting: Record<string, number> = {};
  for (const n of last.values()) if (n !== null) waiting[n] = (waiting[n] ?? 0) + 1;
  return { entries, exits, waiting };
}

/** The same numbers from `GET /v1/journeys/:id/report` (nodes nobody waits at left out). */
async function reportCounts(base: string) {
  const res = await call(base, 'GET', `/v1/journeys/${HOLD_JOURNEY}/report?version=1`, READER);
  const body = res.body as {
    entries?: number;
    exits?: Record<string, number>;
    nodes?: Array<{ id: string; waiting: number }>;
  };
  const waiting: Record<string, number> = {};
  for (const n of body.nodes ?? []) if (n.waiting > 0) waiting[n.id] = n.waiting;
  return { status: res.status, entries: body.entries, exits: body.exits, waiting };
}

/** The report once it equals the step counts (both read again until then, at most 20 s); fails showing both. */
async function reportAgrees(base: string, steps: () => ReturnType<typeof countSteps>) {
  const until = Date.now() + 20_000;
  for (;;) {
    const r = await reportCounts(base);
    const want = { status: 200, ...steps() };
    if (isDeepStrictEqual(r, want) || Date.now() > until) {
      expect(r).toEqual(want);
      return r;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** A lookup asked again (after its Retry-After) while it answers 503: a rebalance may still be settling. */
async function settledLookup(base: string, i: number) {
  for (let n = 0; ; n++) {
    const res = await lookup(base, i);
    if (res.status !== 503 || n >= 30) return res;
    await new Promise((r) => setTimeout(r, Number(res.retryAfter ?? 1) * 1000));
  }
}
const journeyOf = (body: Record<string, unknown>) => (body['journeys'] as JourneyView[] | undefined)?.[0];

/** `count` distinct profile indexes in [0, PROFILES), from a seeded generator (reproducible). */
function sample(count: number, seed: number, exclude = new Set<number>()): number[] {
  let x = seed;
  const out = new Set<number>();
  while (out.size < count) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const i = x % PROFILES;
    if (!exclude.has(i)) out.add(i);
  }
  return [...out];
}

const ready = async (p: Proc) => (await fetch(`${p.base}/readyz`).catch(() => undefined))?.status === 200;

afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
});

describe('profile lookup and manual exit with two pipeline processes', () => {
  it('answers for every profile through either API, exits exactly 100, and survives a SIGKILL', async () => {
    const admin = createKafka({ brokers: testBrokers(), clientId: 'it-prof-admin', logLevel: 'nothing' }).admin();
    await admin.connect();
    await ensureTopics(admin, topicCatalog({ prefix, partitions: PARTITIONS }));
    await admin.disconnect();
    const tail = await TopicTail.start(testBrokers(), [topics.stepEvents, topics.commands('http')], uniqueName('tail'));
    try {
      const dirB = mkdtempSync(join(tmpdir(), 'jo-prof-b-'));
      const [a, b1] = await Promise.all([
        startProcess('A', mkdtempSync(join(tmpdir(), 'jo-prof-a-'))),
        startProcess('B', dirB),
      ]);
      let b = b1;
      await expect.poll(async () => (await ready(a)) && (await ready(b)), { timeout: 60_000 }).toBe(true);

      // a wait long enough for every lookup and exit below, short enough that the others' commands follow
      const r = holdResources('http://127.0.0.1:9', 'PT60S');
      for (const e of r.events) expect((await call(a.base, 'PUT', `/v1/events/${e.id}`, ADMIN, e)).status).toBe(201);
      for (const x of r.actions) expect((await call(a.base, 'PUT', `/v1/actions/${x.id}`, ADMIN, x)).status).toBe(201);
      expect((await call(a.base, 'PUT', `/v1/journeys/${HOLD_JOURNEY}`, ADMIN, r.journey)).status).toBe(201);
      expect((await call(a.base, 'POST', `/v1/journeys/${HOLD_JOURNEY}/publish`, ADMIN, {})).status).toBe(200);

      await produceSignups(testBrokers(), topics.events, [...Array(PROFILES).keys()]);
      await expect
        .poll(() => stepsWith(tail.of(topics.stepEvents), 'entered').length, { timeout: 60_000, interval: 500 })
        .toBe(PROFILES);

      // 1. lookups: 50 random profiles through EACH process's API
      const looked = sample(50, 7);
      const answeredBy = new Map<string, number>();
      for (const p of [a, b])
        for (const i of looked) {
          const res = await lookup(p.base, i);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body['profileKey']).toBe(profileKeyOf(i));
          const j = journeyOf(res.body);
          expect(j).toMatchObject({ journeyId: HOLD_JOURNEY, status: 'running', instance: { currentNode: 'hold' } });
          expect(j?.instance?.waitingFor?.kind).toBe('timer');
          const by = `${p.name}<-${String(res.body['answeredBy'] === p.base ? 'self' : 'other')}`;
          answeredBy.set(by, (answeredBy.get(by) ?? 0) + 1);
        }
      // each API answered some profiles itself and asked the other process for the rest
      expect([...answeredBy.keys()].sort()).toEqual(['A<-other', 'A<-self', 'B<-other', 'B<-self']);
      expect((await call(a.base, 'GET', `/v1/profiles/${encodeURIComponent(profileKeyOf(1))}`, 'nope')).status).toBe(
        401,
      );

      // 2. exits: 100 profiles, half through each API; a read token may not
      const exited = sample(100, 11);
      const exitPath = (i: number) =>
        `/v1/profiles/${encodeURIComponent(profileKeyOf(i))}/journeys/${HOLD_JOURNEY}/exit`;
      expect((await call(a.base, 'POST', exitPath(exited[0] ?? 0), READER)).status).toBe(403);
      for (const [n, i] of exited.entries()) {
        const res = await call(n % 2 === 0 ? a.base : b.base, 'POST', exitPath(i));
        expect(res.status).toBe(202);
      }
      await expect
        .poll(() => stepsWith(tail.of(topics.stepEvents), 'ended', 'manualExit').length, { timeout: 30_000 })
        .toBe(100);
      const exitedSet = new Set(exited);
      const expected = (i: number) => (exitedSet.has(i) ? 'ended' : 'running');
      const afterExit = await lookup(b.base, exited[1] ?? 0);
      expect(journeyOf(afterExit.body)).toMatchObject({ status: 'ended' });

      // 3. SIGKILL B and restart it; lookups through A meanwhile: the right answer or 503 + Retry-After
      b.child.kill('SIGKILL');
      procs.splice(procs.indexOf(b), 1);
      const restarting = startProcess('B2', dirB);
      const watched = sample(50, 23);
      const seen = { ok: 0, unavailable: 0 };
      const bad: string[] = [];
      let restarted: Proc | undefined;
      void restarting.then((p) => (restarted = p));
      let allOk = false;
      let lastUnavailable = '';
      const deadline = Date.now() + 90_000;
      while (!allOk) {
        if (Date.now() > deadline)
          throw new Error(
            `lookups still unavailable 90 s after the restart: ${lastUnavailable}\n` +
              `restarted: ${restarted ? restarted.output.slice(-2000) : 'not listening'}`,
          );
        const b2 = restarted;
        allOk = b2 !== undefined && (await ready(b2));
        for (const i of watched)
          for (const base of b2 ? [a.base, b2.base] : [a.base]) {
            const res = await lookup(base, i);
            if (res.status === 200 && journeyOf(res.body)?.status === expected(i)) seen.ok++;
            else if (res.status === 503 && res.retryAfter === '1') {
              seen.unavailable++;
              lastUnavailable = String(res.body['reason']);
              allOk = false;
            } else bad.push(`${i}: ${res.status} ${JSON.stringify(res.body)}`);
          }
      }
      expect(bad).toEqual([]);
      expect(seen.unavailable).toBeGreaterThan(0);
      b = await restarting;
      // both APIs answer for every watched profile again, with the state from before the crash; the restarted
      // process owns (and has restored) some of the partitions
      const byRestarted = new Set<string>();
      for (const p of [a, b])
        for (const i of watched) {
          const res = await settledLookup(p.base, i);
          expect(res.status).toBe(200);
          expect(journeyOf(res.body)?.status).toBe(expected(i));
          if (res.body['answeredBy'] === b.base) byRestarted.add(profileKeyOf(i));
        }
      expect(byRestarted.size).toBeGreaterThan(0);
      // the per-node report right after the restart (most profiles still wait at `hold`) equals what this
      // separate consumer counts on jo.step-events
      const reportAfterRestart = await reportAgrees(b.base, () => countSteps(tail.of(topics.stepEvents)));

      // 4. the wait ends: a command for each of the 900 others, none for the exited
      await expect
        .poll(() => new Set(tail.of(topics.commands('http')).map((c) => c.key)).size, { timeout: 60_000 })
        .toBe(PROFILES - 100);
      await new Promise((res) => setTimeout(res, 2_000));
      const commandKeys = tail.of(topics.commands('http')).map((c) => c.key);
      expect(commandKeys).toHaveLength(PROFILES - 100);
      expect(commandKeys.filter((k) => exited.some((i) => profileKeyOf(i) === k))).toEqual([]);
      const manual = stepsWith(tail.of(topics.stepEvents), 'ended', 'manualExit');
      expect(manual).toHaveLength(100);
      expect(new Set(manual.map((m) => m.profileKey))).toEqual(new Set(exited.map(profileKeyOf)));

      // 5. after the SIGKILL and restart, the per-node report (through either API) equals what this separate
      // consumer counts on jo.step-events
      const fromSteps = countSteps(tail.of(topics.stepEvents));
      expect(fromSteps.entries).toBe(PROFILES);
      expect(fromSteps.exits['manualExit']).toBe(100);
      await reportAgrees(b.base, () => countSteps(tail.of(topics.stepEvents)));
      const report = await reportAgrees(a.base, () => countSteps(tail.of(topics.stepEvents)));
      console.log(
        `lookups ${JSON.stringify(Object.fromEntries(answeredBy))}; during the restart ${seen.ok} right answers, ` +
          `${seen.unavailable} 503s; restarted process answered for ${byRestarted.size}/50; commands ${commandKeys.length}; manualExit ${manual.length}; ` +
          `report after the restart ${JSON.stringify(reportAfterRestart)}, at the end ${JSON.stringify(report)}`,
      );
    } finally {
      await tail.stop();
    }
  });
});
