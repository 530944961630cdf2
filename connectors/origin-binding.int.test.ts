// Credentials bound to their origin: anyone able to produce to `jo.commands.http` can write a command for an action
// with credentials and a URL of their own. The connector attaches an action's credentials only to the origin of the
// action's configured URL; any other origin gets an ORIGIN_MISMATCH error result and no call.
import { describe, expect, it } from 'vitest';
import { testBrokers, uniqueName, readCommitted } from '../topology/testing/index.js';
import { Kafka, logLevel } from 'kafkajs';
import { command, createConnectorTopics, results, connectorSuite, TestHttpEndpoint } from './testing/index.js';
import { type ActionConfig } from '../schemas/index.js';
import { createHttpActionConnector } from './http-action-connector.js';
import { SecretResolver } from './secrets.js';

const {
  kafka,
  admin,
  ep: crm,
  http,
  running,
} = connectorSuite('origin-test', {
  secrets: new SecretResolver({ env: { JO_SECRET_CRM_TOKEN: 'crm-secret-token' } }),
});
const attacker = TestHttpEndpoint.forSuite();

describe('credentials bound to the action origin', () => {
  it('a command produced straight to jo.commands.http with another origin gets ORIGIN_MISMATCH and no call', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-origin')}.`);
    const action: ActionConfig = {
      id: 'crm',
      type: 'http',
      url: `${crm.url}/contacts/{{params.id}}`,
      method: 'POST',
      auth: { type: 'bearer', token: { env: 'JO_SECRET_CRM_TOKEN' } },
    };
    crm.respond('/contacts/1', { status: 200, body: { ok: true } });
    const legit = command(`${crm.url}/contacts/1`, { action: 'crm' });
    const stolen = command(`${attacker.url}/collect`, { action: 'crm' });
    const sameHostOtherScheme = command(`${crm.url.replace('http:', 'https:')}/contacts/1`, { action: 'crm' });

    // a plain kafkajs producer, as anyone with write access to the command topic has
    const plain = new Kafka({ brokers: testBrokers(), clientId: 'someone', logLevel: logLevel.NOTHING }).producer();
    await plain.connect();
    await plain.send({
      topic: t.names.commands('http'),
      messages: [legit, stolen, sameHostOtherScheme].map((c) => ({ key: c.profileKey, value: JSON.stringify(c) })),
    });
    await plain.disconnect();

    const connector = createHttpActionConnector({
      kafka,
      http,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-origin'),
      transactionalId: uniqueName('tx-origin'),
      actionConfig: (id) => (id === 'crm' ? action : undefined),
    });
    running.push(connector);
    await connector.start();
    const got = results(await readCommitted(kafka, t.names.actionResults, 3, 60_000, 1_000));
    const byId = new Map(got.map((r) => [r.commandId, r]));
    expect(byId.get(legit.commandId)).toMatchObject({ status: 'ok', httpStatus: 200 });
    for (const c of [stolen, sameHostOtherScheme])
      expect(byId.get(c.commandId), c.request.url).toMatchObject({ status: 'error', attempts: 0 });
    expect(byId.get(stolen.commandId)?.error).toMatch(/^ORIGIN_MISMATCH: /);
    expect(byId.get(sameHostOtherScheme.commandId)?.error).toMatch(/^ORIGIN_MISMATCH: /);
    expect(attacker.requests()).toHaveLength(0);
    // the legitimate command reached its origin with the credentials (a rebalance may replay it: at least once)
    expect(crm.requests().length).toBeGreaterThanOrEqual(1);
    for (const r of crm.requests()) expect(r.headers.authorization).toBe('Bearer crm-secret-token');
  });
});
