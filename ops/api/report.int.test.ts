// GET /v1/journeys/:id/report on the real broker: the engine (pipeline + API, in this process) runs a journey with
// a long wait for N profiles, some of them leave through an exit criterion; the report's counts equal what a
// separate read_committed consumer counts on jo.step-events, and /metrics shows who waits where.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { JourneyConfig, StepRecord } from '../../schemas/index.js';
import type { Consumer } from '../../topology/index.js';
import { purchaseEvent, signupEvent } from '../../processors/testing/index.js';
import { readJson, testKafka } from '../../topology/testing/index.js';
import { loadEngineConfig } from '../engine-config.js';
import { startEngine, type Engine } from '../engine.js';
import { testBrokers, uniqueName } from '../testing/index.js';

const ADMIN = 'report-admin-token-0123456789';
const READER = 'report-read-token-0123456789';
const N = 40;
const EXITED = 10;

const journey: JourneyConfig = {
  id: 'nurture',
  name: 'Nurture',
  namespace: 'email',
  entry: { event: 'signup' },
  exit: [{ event: 'purchase' }],
  start: 'pause',
  nodes: {
    pause: { type: 'wait', duration: 'P7D', next: 'done' },
    done: { type: 'end' },
  },
};

let engine: Engine | undefined;
let consumer: Consumer | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await consumer?.disconnect();
  await engine?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Counts from jo.step-events alone: entries, exits by reason, and each running instance's last node. */
class StepCounts {
  entries = 0;
  readonly exits: Record<string, number> = {};
  private readonly last = new Map<string, string | null>();

  add(r: StepRecord): void {
    r.steps.forEach((s, i) => {
      if (s.status === 'entered') this.entries += 1;
      if (s.status === 'entered' || s.status === 'transitioned') this.last.set(r.instanceId, s.nodeId);
      if (i === r.steps.length - 1 && ['ended', 'error', 'timedout'].includes(s.status)) {
        this.exits[s.reason ?? s.status] = (this.exits[s.reason ?? s.status] ?? 0) + 1;
        this.last.set(r.instanceId, null);
      }
    });
  }

  waiting(): Record<string, number> {
    const w: Record<string, number> = {};
    for (const n of this.last.values()) if (n !== null) w[n] = (w[n] ?? 0) + 1;
    return w;
  }
}

interface Report {
  entries: number;
  entriesToday: number;
  entriesByDay: Record<string, number>;
  active: number;
  exits: Record<string, number>;
  goals: number;
  conversionRate: number | null;
  nodes: Array<{ id: string; type: string; entered: number; waiting: number; left: Record<string, number> }>;
}

describe('GET /v1/journeys/:id/report', () => {
  it('sums the partitions of jo.reports to what a consumer of jo.step-events counts', async () => {
    const prefix = `${uniqueName('jo-report')}.`;
    const stateDir = mkdtempSync(join(tmpdir(), 'jo-report-'));
    dirs.push(stateDir);
    const config = loadEngineConfig(
      {},
      {
        overrides: {
          kafkaBrokers: testBrokers(),
          topicPrefix: prefix,
          applicationId: uniqueName('jo-report-app'),
          partitions: 3,
          stateDir,
          only: ['pipeline', 'api'],
          api: {
            host: '127.0.0.1',
            port: 0,
            tokens: [
              { token: ADMIN, role: 'admin' },
              { token: READER, role: 'read' },
            ],
          },
        },
      },
    );
    engine = await startEngine(config, {
      logger: pino({ level: 'warn' }),
    });
    const base = engine.address;
    const call = async (method: string, path: string, body?: unknown, token = ADMIN) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    for (const e of [signupEvent, purchaseEvent])
      expect((await call('PUT', `/v1/events/${e.id}`, e)).status).toBeLessThan(300);
    expect((await call('PUT', '/v1/journeys/nurture', journey)).status).toBe(201);
    expect((await call('POST', '/v1/journeys/nurture/publish', {})).status).toBe(200);

    const kafka = testKafka(testBrokers(), 'report-int');
    const counts = new StepCounts();
    consumer = kafka.consumer({ groupId: uniqueName('report-steps'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}step-events`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) counts.add(JSON.parse(message.value.toString('utf8')) as StepRecord);
      },
    });

    const producer = kafka.producer();
    await producer.connect();
    const xdm = (eventType: string, i: number) => ({
      value: JSON.stringify({
        _id: `${eventType}-${i}`,
        timestamp: new Date().toISOString(),
        eventType,
        identityMap: { email: [{ id: `p${i}@example.com`, primary: true }] },
      }),
    });
    await producer.send({
      topic: `${prefix}events`,
      messages: Array.from({ length: N }, (_, i) => xdm('user.signup', i)),
    });
    await expect.poll(() => counts.entries, { timeout: 60_000, interval: 200 }).toBe(N);
    await producer.send({
      topic: `${prefix}events`,
      messages: Array.from({ length: EXITED }, (_, i) => xdm('commerce.purchase', i)),
    });
    await expect.poll(() => counts.exits['exitCriteria'] ?? 0, { timeout: 60_000, interval: 200 }).toBe(EXITED);
    await producer.disconnect();

    const report = async (token = READER): Promise<Report> => {
      const res = await call('GET', '/v1/journeys/nurture/report?version=1', undefined, token);
      expect(res.status).toBe(200);
      return (await res.json()) as Report;
    };
    const seen = (r: Report) => ({
      entries: r.entries,
      exits: r.exits,
      waiting: Object.fromEntries(r.nodes.filter((n) => n.waiting !== 0).map((n) => [n.id, n.waiting])),
    });
    const fromSteps = { entries: counts.entries, exits: { ...counts.exits }, waiting: counts.waiting() };
    expect(fromSteps).toEqual({ entries: N, exits: { exitCriteria: EXITED }, waiting: { pause: N - EXITED } });
    await expect.poll(async () => seen(await report()), { timeout: 30_000, interval: 300 }).toEqual(fromSteps);

    const r = await report();
    expect(r).toMatchObject({ entries: N, active: N - EXITED, goals: 0, conversionRate: 0 });
    expect(r.nodes).toEqual([
      {
        id: 'pause',
        type: 'wait',
        entered: N,
        waiting: N - EXITED,
        left: { exitCriteria: EXITED },
        errors: 0,
        goals: 0,
        discarded: 0,
        recentErrors: [],
      },
      {
        id: 'done',
        type: 'end',
        entered: 0,
        waiting: 0,
        left: {},
        errors: 0,
        goals: 0,
        discarded: 0,
        recentErrors: [],
      },
    ]);
    // entries per UTC day of the entry steps (the engine's clock) add up to the entries; today's is the API's day
    expect(Object.values(r.entriesByDay).reduce((a, b) => a + b, 0)).toBe(N);
    const dayBefore = new Date().toISOString().slice(0, 10);
    const again = await report();
    const dayAfter = new Date().toISOString().slice(0, 10);
    if (dayBefore === dayAfter) expect(again.entriesToday).toBe(again.entriesByDay[dayBefore] ?? 0);
    // the live version is the default; no token → 401; an unknown version → 404
    const byDefault = (await (await call('GET', '/v1/journeys/nurture/report', undefined, READER)).json()) as Report;
    expect(seen(byDefault)).toEqual(fromSteps);
    expect((await fetch(`${base}/v1/journeys/nurture/report`)).status).toBe(401);
    expect((await call('GET', '/v1/journeys/nurture/report?version=9', undefined, READER)).status).toBe(404);

    // rows are logged once per commit (coalesced), not once per event: print what this run wrote
    const rows = await readJson<unknown>(kafka, `${prefix}reports`, () => false, 3_000);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(N + EXITED);
    console.log(`jo.reports records: ${rows.length} for ${N + EXITED} inputs that moved an instance`);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const gauge = metrics
      .split('\n')
      .filter((l) => l.startsWith('jo_journey_node_instances{') && l.includes('journey="nurture"'))
      .map((l) => l.replace(/\s+[\d.e+-]+$/, (v) => ` ${Number(v)}`));
    expect(gauge).toEqual([`jo_journey_node_instances{journey="nurture",version="1",node="pause"} ${N - EXITED}`]);
  });
});
