// Frequency caps on the real broker, the engine in a child process (exactly-once tasks, RocksDB stores,
// changelogs): 3 journeys each send one email per profile; a cap of 3 emails per 7 days across them; the engine is
// SIGKILLed after the 3rd email and restarted on an EMPTY state directory (the send ledger comes back from its
// changelog); the 4th email of every profile is capped (an `error` step `frequencyCapped`, no command).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, produce, testKafka, readJson } from '../topology/testing/index.js';
import { createJourneyTopics } from './testing/index.js';
import type { ActionCommand, EventConfig, JourneyConfig, StepRecord } from '../schemas/index.js';
import type { Admin, KafkaClient } from '../topology/index.js';
import { emailAction, purchaseEvent, signupEvent } from './testing/journeys.js';

let kafka: KafkaClient;
let admin: Admin;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'governance-int');
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await admin.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startEngine(config: object): Promise<ChildProcess> {
  const file = fileURLToPath(new URL('./testing/engine-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, JO_TEST_ENGINE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`engine exited (${code}) before starting: ${err.slice(-2000)}`)));
  });
}

const visitEvent: EventConfig = { ...signupEvent, id: 'visit', name: 'Visit', recognition: { eventType: 'web.visit' } };

function mailer(id: string, event: string): JourneyConfig {
  return {
    id,
    name: id,
    namespace: 'email',
    entry: { event },
    reentrance: { allowed: true, waitPeriod: 'PT1S' },
    start: 'mail',
    nodes: {
      mail: { type: 'action', action: 'sendEmail', params: { journey: id }, next: 'done' },
      done: { type: 'end' },
    },
  };
}

const json = (v: unknown) => JSON.stringify(v);
const flat = (v: StepRecord[]) => v.flatMap(({ steps, ...rec }) => steps.map((s) => ({ ...rec, ...s })));

describe('frequency caps on the real broker', () => {
  it('caps the 4th email within 7 days across 3 journeys, also after a SIGKILL and a restore from changelogs', async () => {
    const N = 12;
    const prefix = `${uniqueName('jo-gov')}.`;
    const t = await createJourneyTopics(admin, prefix, 3, 2);
    const live = (journey: JourneyConfig) =>
      json({ id: journey.id, versions: [{ version: 1, state: 'live', createdAt: '2026-01-01T00:00:00Z', journey }] });
    await produce(kafka, t.config, [
      { key: 'event/signup', value: json(signupEvent) },
      { key: 'event/purchase', value: json(purchaseEvent) },
      { key: 'event/visit', value: json(visitEvent) },
      { key: 'action/sendEmail', value: json(emailAction('http://127.0.0.1:9/ts')) },
      { key: 'cap/email3', value: json({ id: 'email3', max: 3, window: 'P7D', channels: ['email'] }) },
      { key: 'journey/j1', value: live(mailer('j1', 'signup')) },
      { key: 'journey/j2', value: live(mailer('j2', 'purchase')) },
      { key: 'journey/j3', value: live(mailer('j3', 'visit')) },
    ]);
    const who = Array.from({ length: N }, (_, i) => `g${i}@example.com`);
    const event = (type: string, w: string) =>
      json({
        timestamp: new Date().toISOString(),
        eventType: type,
        identityMap: { email: [{ id: w, primary: true }] },
      });
    const base = { brokers: testBrokers(), prefix, applicationId: uniqueName('jo-gov-engine'), partitions: 3 };
    const stateDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'jo-gov-'));
      dirs.push(d);
      return d;
    };

    const first = await startEngine({ ...base, stateDir: stateDir() });
    for (const type of ['user.signup', 'commerce.purchase', 'web.visit'])
      await produce(
        kafka,
        t.events,
        who.map((w) => ({ key: null, value: event(type, w) })),
      );
    const three = await readJson<ActionCommand>(kafka, t.commands('campaign'), (v) => v.length >= 3 * N, 120_000);
    expect(three).toHaveLength(3 * N);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    await startEngine({ ...base, stateDir: stateDir() }); // empty state: every store is restored from its changelog
    await new Promise((r) => setTimeout(r, 1_500)); // past j1's re-entrance wait period
    await produce(
      kafka,
      t.events,
      who.map((w) => ({ key: null, value: event('user.signup', w) })),
    );
    const capped = (v: StepRecord[]) =>
      flat(v).filter((s) => s.journeyId === 'j1' && s.status === 'error' && s.reason === 'frequencyCapped');
    const steps = await readJson<StepRecord>(kafka, t.stepEvents, (v) => capped(v).length >= N, 120_000);
    expect(new Set(capped(steps).map((s) => s.profileKey)).size).toBe(N);
    const all = await readJson<ActionCommand>(
      kafka,
      t.commands('campaign'),
      (v) => v.length >= 3 * N,
      30_000,
      3_000, // anything sent for the 4th entry would show up here
    );
    expect(all).toHaveLength(3 * N);
    for (const w of who)
      expect(
        all
          .filter((c) => c.profileKey === `email:${w}`)
          .map((c) => c.journeyId)
          .sort(),
      ).toEqual(['j1', 'j2', 'j3']);
  });
});
