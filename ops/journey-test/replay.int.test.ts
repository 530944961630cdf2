// Replay on the real broker: 20,000 unkeyed events produced over a known time range, the live engine (a child
// process running the Kafka runtime) processes them with v1; replaying v1 over that range reproduces the live
// per-node counts exactly; replaying the unpublished v2 (a changed condition) shows the difference.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JourneyConfig, JourneyRecord } from '../../schemas/index.js';
import type { Admin, KafkaClient } from '../../topology/index.js';
import { createJourneyTopics } from '../../processors/testing/index.js';
import { produce, readJson, testKafka } from '../../topology/testing/index.js';
import { testBrokers, uniqueName } from '../testing/index.js';
import { replayCommand } from './replay-command.js';
import { runReplay } from './replay.js';

// JO_REPLAY_EVENTS (a multiple of 2,000) runs the same test over more events by hand (the 100k run in the notes)
const EVENTS = Number(process.env['JO_REPLAY_EVENTS'] ?? 20_000);
const VIP_V1 = (EVENTS * 49) / 100; // amounts 0..99 evenly: 49 of each 100 are over 50
const VIP_V2 = (EVENTS * 19) / 100; // and 19 over 80
/** Time allowed to the live engine and the setup: the default run, or 20 ms per event for a bigger one. */
const SETUP_MS = Math.max(240_000, EVENTS * 20);
const prefix = `${uniqueName('it-replay')}.`;
let kafka: KafkaClient;
let admin: Admin;
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'jo-replay-'));

const v1: JourneyConfig = {
  id: 'buy',
  name: 'Big orders',
  namespace: 'email',
  entry: { event: 'order' },
  start: 'big',
  nodes: {
    big: {
      type: 'condition',
      paths: [{ when: { '>': [{ var: 'event.xdm.amount' }, 50] }, next: 'vip' }],
      otherwise: 'done',
    },
    vip: { type: 'action', action: 'vip', next: 'done' },
    done: { type: 'end' },
  },
};
const v2: JourneyConfig = {
  ...v1,
  nodes: {
    ...v1.nodes,
    big: {
      type: 'condition',
      paths: [{ when: { '>': [{ var: 'event.xdm.amount' }, 80] }, next: 'vip' }],
      otherwise: 'done',
    },
  },
};

function startEngine(): Promise<ChildProcess> {
  const file = fileURLToPath(new URL('../../processors/testing/engine-child.ts', import.meta.url));
  const config = { brokers: testBrokers(), prefix, applicationId: uniqueName('replay-app'), stateDir: dir };
  const c = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, JO_TEST_ENGINE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  let err = '';
  c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    c.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve(c);
    });
    c.on('exit', (code) => reject(new Error(`engine exited (${code}) before starting: ${err.slice(-2000)}`)));
  });
}

let from = 0;
let to = 0;

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'replay-int');
  admin = kafka.admin();
  await admin.connect();
  const t = await createJourneyTopics(admin, prefix, 2, 3);
  const at = '2026-01-01T00:00:00.000Z';
  const record: JourneyRecord = {
    id: 'buy',
    versions: [
      { version: 1, state: 'live', createdAt: at, publishedAt: at, journey: v1 },
      { version: 2, state: 'draft', createdAt: at, journey: v2 },
    ],
  };
  const config = [
    {
      key: 'event/order',
      value: {
        id: 'order',
        name: 'Order',
        recognition: { eventType: 'shop.order' },
        identity: { namespace: 'email', path: 'identityMap.email.0.id' },
      },
    },
    { key: 'action/vip', value: { id: 'vip', type: 'http', url: 'http://127.0.0.1:9/vip', method: 'POST' } },
    { key: 'journey/buy', value: record },
  ];
  await produce(
    kafka,
    t.config,
    config.map((c) => ({ key: c.key, value: JSON.stringify(c.value) })),
  );
  // a known range: one event every 50 ms of record time, ending a minute ago; one profile per event
  from = Math.floor(Date.now() / 1000) * 1000 - 60_000 - EVENTS * 50;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < EVENTS; i += 2_000)
      await producer.send({
        topic: t.events,
        acks: -1,
        messages: Array.from({ length: 2_000 }, (_, j) => ({
          key: null,
          timestamp: String(from + (i + j) * 50),
          value: JSON.stringify({
            _id: `order-${i + j}`,
            eventType: 'shop.order',
            identityMap: { email: [{ id: `p${i + j}@example.com` }] },
            amount: (i + j) % 100,
          }),
        })),
      });
  } finally {
    await producer.disconnect();
  }
  await startEngine();
  // the live engine has processed every event once one step record per event is on jo.step-events
  const steps = await readJson<unknown>(kafka, t.stepEvents, (v) => v.length >= EVENTS, SETUP_MS - 90_000);
  expect(steps.length).toBe(EVENTS);
  to = Date.now() + 1_000;
}, SETUP_MS);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await admin?.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('jo replay', () => {
  it(
    'replaying the live version reproduces the live per-node counts exactly',
    async () => {
      const r = await runReplay({
        kafka,
        topics: (await import('../../schemas/index.js')).topicNames(prefix),
        journeyId: 'buy',
        fromMs: from,
        toMs: to,
        compare: true,
      });
      expect(r.events).toBe(EVENTS);
      expect(r.journey).toEqual({ id: 'buy', version: 1, state: 'live' });
      expect(r.nodes).toEqual({
        big: { entered: EVENTS },
        vip: { transitioned: VIP_V1 },
        done: { ended: EVENTS },
      });
      expect(r.live).toEqual({ versions: [1], nodes: r.nodes });
      expect(r.commands).toEqual({ vip: VIP_V1 });
      // 20 events per second of record time with consecutive amounts: in the seconds of amounts 60..79, all 20 are big
      expect(r.peaks['http://127.0.0.1:9']?.perSecond).toBe(20);
    },
    SETUP_MS,
  );

  it(
    'one thread and two worker threads give the same result (the simulation split by profile)',
    async () => {
      const topics = (await import('../../schemas/index.js')).topicNames(prefix);
      const run = async (workers: number) => {
        const r = await runReplay({ kafka, topics, journeyId: 'buy', version: 2, fromMs: from, toMs: to, workers });
        expect(r.workers).toBe(workers);
        const { seconds: _s, eventsPerSecond: _e, workers: _w, ...rest } = r;
        return JSON.stringify(rest);
      };
      const one = await run(1);
      expect(one).toContain(`"transitioned":${VIP_V2}`);
      expect(await run(2)).toBe(one);
    },
    SETUP_MS,
  );

  it(
    'replaying the draft v2 (condition > 80) shows the difference, side by side, through the command',
    async () => {
      const err: string[] = [];
      const out = await replayCommand(
        [
          '--journey',
          'buy',
          '--version',
          '2',
          '--from',
          new Date(from).toISOString(),
          '--to',
          new Date(to).toISOString(),
          '--compare',
        ],
        { brokers: testBrokers(), topicPrefix: prefix, stderr: (s) => void err.push(s) },
        kafka,
      );
      expect(out.code).toBe(0);
      const text = out.out.join('\n');
      expect(text).toMatch(new RegExp(`^vip +transitioned +${VIP_V2} +${VIP_V1} +-${VIP_V1 - VIP_V2}$`, 'm'));
      expect(text).toMatch(new RegExp(`^big +entered +${EVENTS} +${EVENTS} +=$`, 'm'));
      expect(text).toMatch(new RegExp(`^vip +${VIP_V2}$`, 'm'));
      expect(err.join('')).toContain(`100% ${EVENTS}/${EVENTS} events`);
      if (process.env['JO_REPLAY_EVENTS']) console.info(text); // the hand run's numbers
    },
    SETUP_MS,
  );
});
