// A connector whose transactional producer is fenced recovers (re-initialises, resumes from the committed offsets,
// reuses the answers of the failed transaction) — unless a newer connector instance took the transactional id
// over: then the old one steps aside and the new one finishes the work. Real broker, real HTTP endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOutboundPolicy } from '../schemas/index.js';
import { testBrokers, uniqueName, produce, readCommitted, testKafka } from '../topology/testing/index.js';
import {
  startHttpEndpoint,
  type TestHttpEndpoint,
  asRecords,
  command,
  createConnectorTopics,
  results,
} from './testing/index.js';
import type { Admin } from '../topology/index.js';
import type { KafkaJsClient as KafkaClient } from '../topology/testing/index.js';
import { InMemoryMetrics } from '../topology/testing/index.js';
import type { CommandConsumer } from './command-consumer.js';
import { createHttpActionConnector } from './http-action-connector.js';
import { HttpClient } from './http-client.js';
import { LimitRegistry } from './limits.js';

let kafka: KafkaClient;
let admin: Admin;
let ep: TestHttpEndpoint;
let http: HttpClient;
const running: CommandConsumer[] = [];
const logs: string[] = [];

beforeAll(async () => {
  kafka = testKafka(testBrokers(), 'connectors-fence');
  admin = kafka.admin();
  await admin.connect();
  ep = await startHttpEndpoint();
  http = new HttpClient({ outbound: parseOutboundPolicy(['127.0.0.1']), limits: new LimitRegistry() });
});
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await http.close();
  await ep.close();
  await admin.disconnect();
});

function connector(prefix: string, groupId: string, transactionalId: string, metrics: InMemoryMetrics) {
  const c = createHttpActionConnector({
    kafka,
    http,
    metrics,
    topicPrefix: prefix,
    groupId,
    transactionalId,
    maxInFlight: 4,
    partitionsConsumedConcurrently: 1,
    sessionTimeoutMs: 10_000,
    log: (level, msg) => logs.push(`${transactionalId} ${level} ${msg}`),
  });
  running.push(c);
  return c;
}

const keysCalled = (path: string) => ep.requests(path).map((r) => String(r.headers['idempotency-key']));

describe('connector transaction failures', () => {
  it('recovers after being fenced by another producer with its transactional id, without calling twice', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-fence')}.`, 1);
    ep.stall('/slow', 150, { status: 200, body: { ok: true } });
    const N = 40;
    const cmds = Array.from({ length: N }, () => command(`${ep.url}/slow`, {}, 120_000));
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    const txId = uniqueName('tx-fence');
    const metrics = new InMemoryMetrics();
    const c = connector(t.prefix, uniqueName('g-fence'), txId, metrics);
    await c.start();
    await ep.waitForRequests(8, 60_000, '/slow');

    // Something else initialises the same transactional id (and goes away): the connector's epoch is stale.
    const intruder = kafka.producer({ transactionalId: txId, idempotent: true, maxInFlightRequests: 1 });
    await intruder.connect();
    // kafkajs initialises a transactional id with the first transaction, not on connect.
    await (await intruder.transaction()).abort();
    await intruder.disconnect();

    const got = results(await readCommitted(kafka, t.names.actionResults, N, 90_000, 1_500));
    expect(got.map((r) => r.commandId).sort()).toEqual(cmds.map((x) => x.commandId).sort());
    expect(got.every((r) => r.status === 'ok')).toBe(true);
    // Depending on where the intruder hits the open transaction, kafkajs reports PRODUCER_FENCED or a failed
    // concurrent operation: either way one recovery, by re-initialising.
    const recovered = (reason: string) =>
      metrics.value('jo_connector_recoveries_total', { connector: 'http', reason }) ?? 0;
    expect(recovered('fenced') + recovered('transaction_failed')).toBeGreaterThan(0);
    expect(recovered('superseded')).toBe(0);
    expect(c.state).toBe('running');
    // The answers of the fenced transaction were kept and re-used: every command was called exactly once.
    const called = keysCalled('/slow');
    expect(new Set(called)).toEqual(new Set(cmds.map((x) => x.commandId)));
    expect(called).toHaveLength(N);
  });

  it('steps aside when a newer instance takes its transactional id over', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-newer')}.`, 1);
    ep.stall('/newer', 150, { status: 200, body: { ok: true } });
    const N = 40;
    const cmds = Array.from({ length: N }, () => command(`${ep.url}/newer`, {}, 120_000));
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    const txId = uniqueName('tx-newer');
    const groupId = uniqueName('g-newer');
    const oldMetrics = new InMemoryMetrics();
    const old = connector(t.prefix, groupId, txId, oldMetrics);
    await old.start();
    await ep.waitForRequests(8, 60_000, '/newer');

    const newMetrics = new InMemoryMetrics();
    const fresh = connector(t.prefix, groupId, txId, newMetrics);
    await fresh.start();

    const got = results(await readCommitted(kafka, t.names.actionResults, N, 90_000, 1_500));
    expect(got.map((r) => r.commandId).sort()).toEqual(cmds.map((x) => x.commandId).sort());
    await expect.poll(() => old.state, { timeout: 30_000 }).toBe('superseded');
    // both of its consumers step aside, once each: commands and the throttle queue (throttle-queue.ts)
    await expect
      .poll(() => oldMetrics.value('jo_connector_recoveries_total', { connector: 'http', reason: 'superseded' }), {
        timeout: 30_000,
      })
      .toBe(2);
    expect(logs).toContain(`${txId} warn a newer instance owns this transactional id; this connector stops`);
    expect(fresh.state).toBe('running');
    expect(newMetrics.value('jo_connector_recoveries_total', { connector: 'http', reason: 'superseded' })).toBe(0);
    expect(new Set(keysCalled('/newer'))).toEqual(new Set(cmds.map((x) => x.commandId)));
  });
});
