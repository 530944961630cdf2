import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, type KafkaMessage } from '../../topology/index.js';
import { configFixtures } from '../../schemas/testing/index.js';
import {
  ADMIN_TOKEN,
  API_TOKENS,
  CART_CONFIG_KEYS,
  cartResourcePuts,
  FIXTURE_POLICY,
  testBrokers,
  uniqueName,
} from '../testing/index.js';
import { startApiServer, type ApiServer } from './server.js';

const { purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;

async function call(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
) {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.address}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** Every record of the topic, read by a separate kafkajs consumer from the beginning. */
async function readTopic(topic: string, atLeast: number): Promise<KafkaMessage[]> {
  const kafka = createKafka({ brokers: testBrokers(), clientId: uniqueName('cfg-reader') });
  const consumer = kafka.consumer({ groupId: uniqueName('cfg-reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} records`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message);
          if (seen.length >= atLeast) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

// Routes, auth, validation, pause/resume and OpenAPI are in the unit tier (api.test.ts, in-memory store); these are
// what only a broker shows: keyed records a separate consumer reads, replay after a restart, two processes racing.
describe('admin API on the real broker', () => {
  const prefix = `${uniqueName('it-api')}.`;
  const topic = `${prefix}config`;
  let server: ApiServer;
  const start = () =>
    startApiServer({
      brokers: testBrokers(),
      topicPrefix: prefix,
      tokens: API_TOKENS,
      port: 0,
      policy: FIXTURE_POLICY,
    });

  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('PUTs resources and a journey, publishes; a separate consumer sees keyed records; a restarted API serves the same', async () => {
    for (const [path, body] of cartResourcePuts()) expect((await call(server, 'PUT', path, body)).status).toBe(201);

    const saved = await call(server, 'PUT', `/v1/journeys/${cartJourney.id}`, cartJourney);
    expect(saved).toMatchObject({ status: 201, body: { id: 'cartRecovery', version: 1, state: 'draft' } });
    // read-your-writes: the draft is visible to the writer at once
    expect((await call(server, 'GET', '/v1/journeys/cartRecovery')).body).toMatchObject({
      versions: [{ version: 1, state: 'draft' }],
    });
    const published = await call(server, 'POST', '/v1/journeys/cartRecovery/publish');
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ versions: [{ version: 1, state: 'live' }] });

    const records = await readTopic(topic, 8);
    expect(records.map((m) => m.key?.toString().replace(/\/[0-9a-f]{16}$/, '/<config>'))).toEqual(CART_CONFIG_KEYS);
    expect(JSON.parse(records[2]?.value?.toString() ?? 'null')).toEqual(loyaltyDatasource);
    // the version's config is its own record; the journey record lists the versions' states only
    expect(JSON.parse(records[5]?.value?.toString() ?? 'null')).toEqual(cartJourney);
    const last = JSON.parse(records[7]?.value?.toString() ?? 'null') as { versions: Array<{ state: string }> };
    expect(last.versions.map((v) => v.state)).toEqual(['live']);
    expect(last.versions[0]).not.toHaveProperty('journey');
    // the secret travels as a reference, never in clear
    expect(records[2]?.value?.toString()).toContain('"env":"JO_SECRET_LOYALTY_TOKEN"');

    const before = await Promise.all(
      ['/v1/events', '/v1/datasources', '/v1/actions', '/v1/journeys', '/v1/journeys/cartRecovery'].map((p) =>
        call(server, 'GET', p),
      ),
    );
    await server.close();
    server = await start();
    const after = await Promise.all(
      ['/v1/events', '/v1/datasources', '/v1/actions', '/v1/journeys', '/v1/journeys/cartRecovery'].map((p) =>
        call(server, 'GET', p),
      ),
    );
    expect(after).toEqual(before);
    expect((before[0]?.body?.['items'] as unknown[]).length).toBe(2);
  });

  it('publishing v2 closes v1; a resource a live journey uses cannot be deleted (409 with the journeys)', async () => {
    const v2 = { ...cartJourney, name: 'Cart recovery v2' };
    expect((await call(server, 'PUT', '/v1/journeys/cartRecovery', v2)).body).toMatchObject({ version: 2 });
    expect((await call(server, 'POST', '/v1/journeys/cartRecovery/publish', { version: 2 })).status).toBe(200);
    const j = await call(server, 'GET', '/v1/journeys/cartRecovery');
    expect(
      (j.body?.['versions'] as Array<{ version: number; state: string }>).map((v) => [v.version, v.state]),
    ).toEqual([
      [1, 'closed'],
      [2, 'live'],
    ]);
    expect((await call(server, 'GET', '/v1/journeys/cartRecovery/versions/1')).body).toMatchObject({
      state: 'closed',
      journey: { name: 'Cart recovery' },
    });

    const del = await call(server, 'DELETE', '/v1/actions/sendEmail');
    expect(del).toMatchObject({ status: 409, body: { code: 'RESOURCE_IN_USE', journeys: ['cartRecovery'] } });
    // an unused resource can go
    expect((await call(server, 'PUT', '/v1/events/unused', { ...purchaseEvent, id: 'unused' })).status).toBe(201);
    expect((await call(server, 'DELETE', '/v1/events/unused')).status).toBe(204);
    expect((await call(server, 'GET', '/v1/events/unused')).status).toBe(404);
  });

  it('exports a version with what it references and imports it into another environment', async () => {
    const exported = await call(server, 'GET', '/v1/journeys/cartRecovery/versions/2/export');
    expect(exported.status).toBe(200);
    const bundle = exported.body as Record<string, unknown[]>;
    expect((bundle['actions'] as Array<{ id: string }>).map((a) => a.id).sort()).toEqual(['sendEmail', 'sendSms']);
    expect((bundle['datasources'] as Array<{ id: string }>).map((a) => a.id)).toEqual(['loyalty']);

    const other = await startApiServer({
      brokers: testBrokers(),
      topicPrefix: `${uniqueName('it-api2')}.`,
      tokens: API_TOKENS,
      port: 0,
      policy: FIXTURE_POLICY,
    });
    try {
      const imported = await call(other, 'POST', '/v1/import', bundle);
      expect(imported).toMatchObject({ status: 201, body: { id: 'cartRecovery', version: 1 } });
      expect((await call(other, 'GET', '/v1/actions/sendEmail')).body).toEqual(emailAction);
      expect((await call(other, 'POST', '/v1/journeys/cartRecovery/publish')).status).toBe(200);
      // same bundle again: identical resources are not conflicts; a changed one is, unless overwrite
      expect((await call(other, 'POST', '/v1/import', bundle)).status).toBe(201);
      const changed = { ...bundle, actions: [{ ...emailAction, timeoutMs: 9000 }, smsAction] };
      expect((await call(other, 'POST', '/v1/import', changed)).body).toMatchObject({ code: 'IMPORT_CONFLICT' });
      expect((await call(other, 'POST', '/v1/import?overwrite=true', changed)).status).toBe(201);
      expect((await call(other, 'GET', '/v1/actions/sendEmail')).body).toMatchObject({ timeoutMs: 9000 });
    } finally {
      await other.close();
    }
  });

  it('two API processes on one topic, racing to save drafts, lose no version', async () => {
    const second = await startApiServer({
      brokers: testBrokers(),
      topicPrefix: prefix,
      tokens: API_TOKENS,
      port: 0,
      policy: FIXTURE_POLICY,
    });
    try {
      const save = (s: ApiServer, name: string) =>
        call(s, 'PUT', '/v1/journeys/concurrent', { ...cartJourney, id: 'concurrent', name });
      const versions = async (s: ApiServer) =>
        ((await call(s, 'GET', '/v1/journeys/concurrent')).body?.['versions'] ?? []) as Array<{
          version: number;
          journey: { name: string };
        }>;
      for (let round = 0; round < 4; round++) {
        // both processes write the same record at the same moment
        const [a, b] = await Promise.all([save(server, `first-${round}`), save(second, `second-${round}`)]);
        expect([a.status, b.status]).toEqual([201, 201]);
        // let both views settle (each has the other's write) before the next race
        const settled = async () =>
          JSON.stringify(await versions(server)) === JSON.stringify(await versions(second)) &&
          (await versions(server)).length === 2 * (round + 1);
        for (let i = 0; i < 50 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 100));
      }
      for (const s of [server, second]) {
        const v = await versions(s);
        expect(v.map((x) => x.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(v.map((x) => x.journey.name).sort()).toEqual(
          [0, 1, 2, 3].flatMap((r) => [`first-${r}`, `second-${r}`]).sort(),
        );
      }
    } finally {
      await second.close();
    }
  });
});
