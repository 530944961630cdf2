// The welcome journey on the real broker, the engine in a child process running the Kafka runtime (exactly-once
// tasks, RocksDB stores, changelogs): sign-up events produced WITHOUT keys, the engine SIGKILLed mid-journey and
// restarted; every profile gets exactly one welcome command and exactly one of thanks/reminder, nothing repeated,
// and the per-node report rows in jo.reports (written in the step transactions) sum to exactly what happened.
import { describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, produce, readJson } from '../topology/testing/index.js';
import { createJourneyTopics, engineSuite } from './testing/index.js';
import { mergeReportRows, type ActionCommand, type ReportRow, type StepRecord } from '../schemas/index.js';
import { ReadCommittedFilter } from '../topology/index.js';
import { emailAction, liveJourneyRecord, purchaseEvent, signupEvent, welcomeWith } from './testing/journeys.js';

const { kafka, admin, startEngine, tempDir } = engineSuite('processors-int');

const journey = welcomeWith({ pause: 'PT2S', timeout: 'PT15S', reentrance: { allowed: false } });

const json = (v: unknown) => JSON.stringify(v);

/** The latest committed jo.reports row per (partition, key), summed for one journey version, once `done` holds. */
async function reportOf(topic: string, done: (r: ReportRow) => boolean, timeoutMs: number): Promise<ReportRow> {
  const rows = new Map<string, ReportRow>();
  const merged = () => mergeReportRows('welcome', 1, [...rows.values()]);
  const consumer = kafka.consumer({ groupId: uniqueName('reports'), readUncommitted: false });
  const filter = new ReadCommittedFilter(); // a SIGKILL leaves aborted transactions behind in jo.reports
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of filter.accept(batch))
          if (m.key && m.value)
            rows.set(`${batch.partition}/${m.key.toString()}`, JSON.parse(m.value.toString()) as ReportRow);
      },
    });
    const until = Date.now() + timeoutMs;
    while (!done(merged()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    return merged();
  } finally {
    await consumer.disconnect();
  }
}

describe('welcome journey on the real broker', () => {
  it('runs from unkeyed events, survives SIGKILL mid-journey, and emits every command exactly once', async () => {
    const N = 20;
    const prefix = `${uniqueName('jo-proc')}.`;
    const t = await createJourneyTopics(admin, prefix, 3, 2);
    const record = liveJourneyRecord(journey);
    await produce(kafka, t.config, [
      { key: 'event/signup', value: json(signupEvent) },
      { key: 'event/purchase', value: json(purchaseEvent) },
      { key: 'action/sendEmail', value: json(emailAction('http://127.0.0.1:9/ts')) },
      { key: 'journey/welcome', value: json(record) },
    ]);
    const who = Array.from({ length: N }, (_, i) => `u${i}@example.com`);
    await produce(
      kafka,
      t.profiles,
      who.map((w, i) => ({ key: `email:${w}`, value: json({ firstName: `U${i}`, email: w }) })),
    );
    const stateDir = tempDir('jo-proc-');
    const config = { brokers: testBrokers(), prefix, applicationId: uniqueName('jo-engine'), stateDir };
    const event = (type: string, w: string) =>
      json({
        timestamp: new Date().toISOString(),
        eventType: type,
        identityMap: { email: [{ id: w, primary: true }] },
      });

    const first = await startEngine(config);
    await produce(
      kafka,
      t.events,
      who.map((w) => ({ key: null, value: event('user.signup', w) })),
    );
    const early = await readJson<ActionCommand>(kafka, t.commands('campaign'), (v) => v.length >= N / 2, 90_000);
    expect(early.length).toBeGreaterThanOrEqual(N / 2);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    await startEngine(config);
    const flat = (v: StepRecord[]) => v.flatMap(({ steps, ...rec }) => steps.map((s) => ({ ...rec, ...s })));
    const waiting = (v: StepRecord[]) =>
      flat(v).filter((s) => s.nodeId === 'waitPurchase' && s.status === 'transitioned');
    const steps = await readJson<StepRecord>(kafka, t.stepEvents, (v) => waiting(v).length >= N, 120_000);
    expect(waiting(steps)).toHaveLength(N);
    const buyers = who.slice(0, N / 2);
    await produce(
      kafka,
      t.events,
      buyers.map((w) => ({ key: null, value: event('commerce.purchase', w) })),
    );

    const all = await readJson<ActionCommand>(
      kafka,
      t.commands('campaign'),
      (v) => v.length >= 2 * N,
      120_000,
      3_000, // let anything repeated show up before judging
    );
    expect(all).toHaveLength(2 * N);
    expect(new Set(all.map((c) => c.commandId)).size).toBe(2 * N);
    for (const w of who) {
      const nodes = all.filter((c) => c.profileKey === `email:${w}`).map((c) => c.nodeId);
      expect(nodes).toEqual(['email', buyers.includes(w) ? 'thanks' : 'reminder']);
    }
    const final = flat(
      await readJson<StepRecord>(
        kafka,
        t.stepEvents,
        (v) => flat(v).filter((s) => s.status === 'ended').length >= N,
        30_000,
      ),
    );
    const per = (status: string) => new Set(final.filter((s) => s.status === status).map((s) => s.profileKey)).size;
    expect(final.filter((s) => s.status === 'entered')).toHaveLength(N);
    expect(final.filter((s) => s.status === 'ended')).toHaveLength(N);
    expect(per('entered')).toBe(N);
    expect(final.filter((s) => s.nodeId === 'waitPurchase' && s.status === 'timedout')).toHaveLength(N / 2);

    const report = await reportOf(`${prefix}reports`, (r) => (r.exits['end'] ?? 0) >= N, 30_000);
    const node = (entered: number, left: Record<string, number>) => ({
      entered,
      waiting: 0,
      left,
      errors: 0,
      goals: 0,
      discarded: 0,
    });
    // entries per UTC day of the steps' timestamps: all N on the day(s) this run took
    expect(Object.values(report.entriesByDay ?? {}).reduce((a, b) => a + b, 0)).toBe(N);
    expect(report).toEqual({
      journeyId: 'welcome',
      version: 1,
      entries: N,
      entriesByDay: expect.any(Object) as unknown,
      goals: 0,
      exits: { end: N },
      nodes: {
        email: node(N, { continued: N }),
        pause: node(N, { continued: N }),
        waitPurchase: node(N, { continued: N / 2, eventTimeout: N / 2 }),
        thanks: node(N / 2, { continued: N / 2 }),
        reminder: node(N / 2, { continued: N / 2 }),
        done: node(N, { end: N }),
      },
    });
  });
});
