// A slow data source holds back only its own partition: under StreamsApp on the real broker, a profile whose
// data-source call hangs does not stop profiles of other partitions from getting their commands.
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName, produce, readJson, brokerSuite } from '../topology/testing/index.js';
import { createJourneyTopics } from './testing/index.js';
import type { ActionCommand } from '../schemas/index.js';
import { partitionForKey, restoreChangelogs, StreamsApp } from '../topology/index.js';
import { journey, liveJourneyRecord, signupEvent, webhookAction } from './testing/journeys.js';
import { buildJourneyTopology } from './journey-topology.js';

const { kafka, admin } = brokerSuite('processors-slow-ds');
let app: StreamsApp | undefined;
afterAll(() => app?.close());

describe('slow data source', () => {
  it('does not stall the other partitions', async () => {
    const prefix = `${uniqueName('jo-slowds')}.`;
    const t = await createJourneyTopics(admin, prefix, 3, 2);
    const part = (who: string) => partitionForKey(Buffer.from(`email:${who}`), 3);
    const slow = 'slow@example.com';
    const fast = Array.from({ length: 40 }, (_, i) => `f${i}@example.com`)
      .filter((w) => part(w) !== part(slow))
      .slice(0, 8);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let slowCalled = false;
    const { topology } = buildJourneyTopology({
      topicPrefix: prefix,
      fetchDatasource: async (_ds, data) => {
        if ((data as { profileKey: string }).profileKey === `email:${slow}`) {
          slowCalled = true;
          await gate;
        }
        return { points: 5 };
      },
    });
    const record = liveJourneyRecord(
      journey({
        a: { type: 'condition', paths: [{ when: { '>': [{ var: 'datasources.loyalty.points' }, 0] }, next: 'b' }] },
        b: { type: 'action', action: 'webhook', params: { coupon: 'X' }, next: 'c' },
        c: { type: 'end' },
      }),
    );
    const json = (v: unknown) => JSON.stringify(v);
    await produce(kafka, t.config, [
      { key: 'event/signup', value: json(signupEvent) },
      { key: 'action/webhook', value: json(webhookAction('http://127.0.0.1:9')) },
      {
        key: 'datasource/loyalty',
        value: json({ id: 'loyalty', type: 'http', url: 'http://127.0.0.1:9/l', method: 'GET' }),
      },
      { key: 'journey/j', value: json(record) },
    ]);
    app = new StreamsApp({
      applicationId: uniqueName('jo-slowds-app'),
      topology,
      kafka,
      dlqTopic: t.dlq,
      restorer: restoreChangelogs,
      sessionTimeoutMs: 6_000,
    });
    await app.start();
    const signup = (w: string) =>
      json({ timestamp: new Date().toISOString(), eventType: 'user.signup', identityMap: { email: [{ id: w }] } });
    await produce(
      kafka,
      t.events,
      [slow, ...fast].map((w) => ({ key: null, value: signup(w) })),
    );

    const before = await readJson<ActionCommand>(kafka, t.commands('http'), (v) => v.length >= fast.length, 90_000);
    expect(slowCalled).toBe(true);
    expect(new Set(before.map((c) => c.profileKey))).toEqual(new Set(fast.map((w) => `email:${w}`)));
    release();
    const after = await readJson<ActionCommand>(kafka, t.commands('http'), (v) => v.length > fast.length, 60_000);
    expect(after.map((c) => c.profileKey)).toContain(`email:${slow}`);
  });
});
