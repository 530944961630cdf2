import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type Consumer } from '../../topology/index.js';
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy, topicCatalog } from '../../schemas/index.js';
import { configFixtures } from '../../schemas/testing/index.js';
import {
  ADMIN_TOKEN,
  READ_TOKEN,
  startHttpEndpoint,
  testBrokers,
  uniqueName,
  type TestHttpEndpoint,
} from '../testing/index.js';
import { ensureTopics } from '../topics.js';
import { startApiServer, type ApiServer } from './server.js';

const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;
/** The README cart journey's test (schemas' fixture): 5 abandoned carts, eve buys on day 2; loyalty gold once. */
const cartTest = configFixtures.cartTestRequest();
const WHO = configFixtures.CART_TEST_PROFILES;
const key = (w: string) => `email:${w}@example.com`;

async function post(server: ApiServer, path: string, body: unknown, token = ADMIN_TOKEN) {
  const res = await fetch(`${server.address}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** Sum of the end offsets of `topics` (a topic that receives a record moves it). */
async function endOffsets(topics: readonly string[]): Promise<Record<string, string>> {
  const admin = createKafka({ brokers: testBrokers(), clientId: uniqueName('offsets') }).admin();
  await admin.connect();
  try {
    const out: Record<string, string> = {};
    for (const t of topics)
      out[t] = (await admin.fetchTopicOffsets(t)).map((p) => `${p.partition}:${p.high}`).join(',');
    return out;
  } finally {
    await admin.disconnect();
  }
}

describe('POST /v1/journeys/:id/versions/:version/test on the real broker', () => {
  const prefix = `${uniqueName('it-jtest')}.`;
  let server: ApiServer;
  let endpoint: TestHttpEndpoint;
  let watched: string[] = [];

  beforeAll(async () => {
    endpoint = await startHttpEndpoint();
    const admin = createKafka({ brokers: testBrokers(), clientId: uniqueName('it-jtest') }).admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topicCatalog({ prefix, partitions: 2 }));
      watched = (await admin.listTopics()).filter((t) => t.startsWith('jo.') || t.startsWith(prefix)).sort();
    } finally {
      await admin.disconnect();
    }
    server = await startApiServer({
      brokers: testBrokers(),
      topicPrefix: prefix,
      tokens: [
        { token: ADMIN_TOKEN, role: 'admin' },
        { token: READ_TOKEN, role: 'read' },
      ],
      port: 0,
      // the recording endpoint is on 127.0.0.1, which the default outbound policy refuses
      policy: { outbound: parseOutboundPolicy(['127.0.0.1']), secrets: DEFAULT_SECRET_POLICY },
    });
    const put = async (path: string, body: unknown) => {
      const res = await fetch(`${server.address}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
    };
    // every endpoint the journey could call is the recording server
    await put('/v1/events/cartAbandoned', cartEvent);
    await put('/v1/events/purchase', purchaseEvent);
    await put('/v1/datasources/loyalty', { ...loyaltyDatasource, url: `${endpoint.url}/loyalty/{{profile.id}}` });
    await put('/v1/actions/sendEmail', { ...emailAction, url: `${endpoint.url}/email` });
    await put('/v1/actions/sendSms', { ...smsAction, url: `${endpoint.url}/campaign` });
    await put('/v1/journeys/cartRecovery', cartJourney); // a draft: never published
  });
  afterAll(async () => {
    await server?.close();
    await endpoint?.close();
  });

  it('runs the draft: exact trails, commands and counts; twice byte-identical; nothing sent, nothing written', async () => {
    expect(watched).toEqual(expect.arrayContaining([`${prefix}config`, `${prefix}events`, `${prefix}step-events`]));
    const before = await endOffsets(watched);
    const seen: string[] = [];
    const consumer: Consumer = createKafka({ brokers: testBrokers(), clientId: uniqueName('watch') }).consumer({
      groupId: uniqueName('watch'),
    });
    await consumer.connect();
    await consumer.subscribe({ topics: watched, fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.onGroupJoin(() => resolve()));
    await consumer.run({ eachMessage: async ({ topic }) => void seen.push(topic) });
    await joined;
    try {
      const first = await post(server, '/v1/journeys/cartRecovery/versions/1/test', cartTest);
      const second = await post(server, '/v1/journeys/cartRecovery/versions/1/test', cartTest);
      expect(first.status).toBe(200);
      expect(second.text).toBe(first.text);
      const r = JSON.parse(first.text) as {
        journey: unknown;
        profiles: Record<string, { trail: Array<{ timestamp: string; nodeId: string; status: string }> }>;
        commands: Array<{ profileKey: string; action: string; commandId: string; request: Record<string, unknown> }>;
        nodes: unknown;
        calls: unknown;
      };
      expect(r.journey).toEqual({ id: 'cartRecovery', version: 1, state: 'draft' });
      const trail = (w: string) =>
        r.profiles[key(w)]?.trail.map((s) => `${s.timestamp.slice(5, 19)} ${s.nodeId}:${s.status}`);
      const start = ['01-01T00:00:00 wait1:entered', '01-01T01:00:00 waitBuy:transitioned'];
      const timedOut = [...start, '01-02T01:00:00 waitBuy:timedout', '01-02T01:00:00 tier:transitioned'];
      const sms = ['01-02T01:00:00 split:transitioned', '01-02T01:00:00 sms:transitioned'];
      expect(WHO.map(trail)).toEqual([
        [...timedOut, '01-02T01:00:00 split:transitioned', '01-02T01:00:00 done:ended'],
        [...timedOut, ...sms, '01-02T01:00:00 done:ended'],
        [...timedOut, '01-02T01:00:00 email:transitioned', '01-02T01:00:01 done:ended'],
        [...timedOut, ...sms, '01-02T01:00:00 done:ended'],
        [...start, '01-02T00:30:00 done:ended'],
      ]);
      expect(r.commands.map((c) => [c.profileKey, c.action])).toEqual([
        [key('cat'), 'sendEmail'],
        [key('bob'), 'sendSms'],
        [key('dan'), 'sendSms'],
      ]);
      // rendered as it would have been sent, with the Idempotency-Key — but not sent
      expect(r.commands[0]?.request).toEqual({
        url: `${endpoint.url}/email`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': r.commands[0]?.commandId },
        body: '{"to":"cat@example.com","tier":"gold"}',
      });
      expect(r.nodes).toEqual({
        wait1: { entered: 5 },
        waitBuy: { timedout: 4, transitioned: 5 },
        tier: { transitioned: 4 },
        split: { transitioned: 3 },
        email: { transitioned: 1 },
        sms: { transitioned: 2 },
        done: { ended: 5 },
      });
      expect(r.calls).toEqual({ 'actions/sendEmail': 1, 'actions/sendSms': 2, 'datasources/loyalty': 4 });
      // a record written during the call would have reached the consumer by now (it polls every few ms)
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([]);
    expect(await endOffsets(watched)).toEqual(before);
    expect(endpoint.requests()).toEqual([]);
  });

  it('refuses with a code: too many events, events before the start; 404 unknown version; 403 read token', async () => {
    const many = { events: Array.from({ length: 1001 }, () => cartTest.events[0]) };
    const tooMany = await post(server, '/v1/journeys/cartRecovery/versions/1/test', many);
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.text)).toMatchObject({
      code: 'INVALID_INPUT',
      errors: [{ pointer: '/events', code: 'TEST_TOO_MANY_EVENTS' }],
    });
    const early = await post(server, '/v1/journeys/cartRecovery/versions/1/test', {
      start: '2026-02-01T00:00:00Z',
      events: [{ at: '2026-01-01T00:00:00Z', event: cartTest.events[0]?.event }],
    });
    expect(JSON.parse(early.text)).toMatchObject({ errors: [{ pointer: '/events/0/at', code: 'TEST_EVENT_TIME' }] });
    expect((await post(server, '/v1/journeys/cartRecovery/versions/9/test', cartTest)).status).toBe(404);
    expect((await post(server, '/v1/journeys/cartRecovery/versions/1/test', cartTest, READ_TOKEN)).status).toBe(403);
  });
});
