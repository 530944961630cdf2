// The HTTP and Campaign connector services on the real broker against a real HTTP server: one result per
// command on jo.action-results (read_committed), DLQ for unparsable commands, offsets committed with results.
import { describe, expect, it } from 'vitest';
import { uniqueName, produce, readCommitted } from '../topology/testing/index.js';
import { asRecords, command, createConnectorTopics, results, connectorSuite } from './testing/index.js';
import { DlqHeaders, type ActionConfig } from '../schemas/index.js';
import { InMemoryMetrics } from '../topology/testing/index.js';
import { createCampaignConnector } from './campaign-connector.js';
import { createHttpActionConnector } from './http-action-connector.js';
import { SecretResolver } from './secrets.js';

const { kafka, admin, ep, http, running } = connectorSuite('connectors-int', {
  secrets: new SecretResolver({ env: { JO_SECRET_HOOK_PW: 'hunter2', JO_SECRET_CRM_SECRET: 'crm-s3cret' } }),
  baseBackoffMs: 20,
});

// each action's URL has the test endpoint's origin: connectors send credentials to that origin only
const actions: Record<string, ActionConfig> = {
  hook: {
    id: 'hook',
    type: 'http',
    get url() {
      return `${ep.url}/unused`; // commands carry the rendered request
    },
    method: 'POST',
    auth: { type: 'basic', username: 'journeys', password: { env: 'JO_SECRET_HOOK_PW' } },
    timeoutMs: 1_000,
    retries: 3,
  },
  narrow: {
    id: 'narrow',
    type: 'http',
    get url() {
      return `${ep.url}/unused`;
    },
    method: 'POST',
    maxConcurrency: 1,
  },
  mail: {
    id: 'mail',
    type: 'campaign',
    get url() {
      return `${ep.url}/campaign`;
    },
    channel: 'email',
    eventType: 'welcome',
  },
};

describe('HTTP action connector', () => {
  it('writes one result per command: ok, ok after a 500, 404 error, timedout at the deadline; DLQ for garbage', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-http')}.`);
    ep.failTimes('/flaky', 1);
    ep.respond('/missing', { status: 404, body: { error: 'no such thing' } });
    ep.respond('/ok', { status: 200, body: { messageId: 'm-1' } });
    ep.stall('/stall');
    const ok = command(`${ep.url}/ok`, { action: 'hook' });
    const flaky = command(`${ep.url}/flaky`, { action: 'hook' });
    const missing = command(`${ep.url}/missing`, { action: 'hook' });
    const metrics = new InMemoryMetrics();
    const groupId = uniqueName('g-http');
    const c = createHttpActionConnector({
      kafka,
      http,
      metrics,
      topicPrefix: t.prefix,
      groupId,
      transactionalId: uniqueName('tx-http'),
      actionConfig: (id) => actions[id],
    });
    running.push(c);
    await produce(kafka, t.names.commands('http'), [
      ...asRecords([ok, flaky, missing]),
      { key: 'k-bad', value: '{"not":"a command"' },
    ]);
    await c.start();
    // Its deadline counts from now: one that passed while the connector was still starting (a loaded machine) is
    // `expired`, not `timedout` — deadline-crash.int covers that.
    const stalled = command(`${ep.url}/stall`, { action: 'hook' }, 4_000);
    await produce(kafka, t.names.commands('http'), asRecords([stalled]));

    const got = results(await readCommitted(kafka, t.names.actionResults, 4, 60_000, 1_000));
    expect(got).toHaveLength(4);
    const by = new Map(got.map((r) => [r.commandId, r]));
    expect(by.get(ok.commandId)).toMatchObject({
      status: 'ok',
      attempts: 1,
      httpStatus: 200,
      response: { messageId: 'm-1' },
    });
    expect(by.get(flaky.commandId)).toMatchObject({ status: 'ok', attempts: 2, httpStatus: 200 });
    expect(by.get(missing.commandId)).toMatchObject({
      status: 'error',
      attempts: 1,
      httpStatus: 404,
      response: { error: 'no such thing' },
    });
    expect(by.get(missing.commandId)?.error).toMatch(/^HTTP_STATUS/);
    const to = by.get(stalled.commandId);
    expect(to?.status).toBe('timedout');
    const lateness = Date.parse(to?.completedAt ?? '') - Date.parse(stalled.deadline);
    expect(lateness).toBeGreaterThanOrEqual(-200);
    expect(lateness).toBeLessThan(1_500);
    expect(by.get(ok.commandId)).toMatchObject({ instanceId: ok.instanceId, nodeId: 'n1', profileKey: ok.profileKey });

    // What the endpoint saw: basic auth from the action config, the command's Idempotency-Key, the body.
    const seen = ep.requests('/ok')[0];
    expect(seen?.headers.authorization).toBe(`Basic ${Buffer.from('journeys:hunter2').toString('base64')}`);
    expect(seen?.headers['idempotency-key']).toBe(ok.commandId);
    expect(seen?.body).toEqual({ hello: 'world' });
    expect(ep.requests('/flaky').map((r) => r.headers['idempotency-key'])).toEqual([flaky.commandId, flaky.commandId]);

    const dlq = await readCommitted(kafka, t.names.dlq, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.value?.toString()).toBe('{"not":"a command"');
    expect(dlq[0]?.key?.toString()).toBe('k-bad');
    expect(dlq[0]?.headers?.[DlqHeaders.code]?.toString()).toBe('COMMAND_INVALID');
    expect(dlq[0]?.headers?.[DlqHeaders.sourceTopic]?.toString()).toBe(t.names.commands('http'));
    expect(dlq[0]?.headers?.[DlqHeaders.message]?.toString()).toMatch(/not JSON/);
    expect(
      metrics.value('jo_events_dead_lettered_total', { topic: t.names.commands('http'), code: 'COMMAND_INVALID' }),
    ).toBe(1);
    expect(metrics.value('jo_action_calls_total', { action: 'hook', status: 'ok' })).toBe(2);
    expect(metrics.value('jo_action_calls_total', { action: 'hook', status: 'timedout' })).toBe(1);

    // Offsets were committed with the results: every partition's committed offset is its end.
    await c.stop();
    running.splice(running.indexOf(c), 1);
    const committed = await admin.fetchOffsets({ groupId, topics: [t.names.commands('http')] });
    const ends = await admin.fetchTopicOffsets(t.names.commands('http'));
    const want = new Map(ends.map((e) => [e.partition, e.offset]));
    for (const p of committed[0]?.partitions ?? []) {
      // A partition that never had a record has no committed offset (-1) and end offset 0.
      expect(p.offset === '-1' ? '0' : p.offset).toBe(want.get(p.partition));
    }
  });
});

describe('HTTP action connector with large responses', () => {
  it('writes results whose parsed bodies together exceed the broker batch limit', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-big')}.`, 1);
    ep.respond('/big', { status: 200, body: { blob: 'x'.repeat(250_000) } });
    const c = createHttpActionConnector({
      kafka,
      http,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-big'),
      transactionalId: uniqueName('tx-big'),
      log: () => undefined,
    });
    running.push(c);
    // One profile: six ~250 KB results for one partition of jo.action-results, answered in one transaction.
    const cmds = Array.from({ length: 6 }, () => command(`${ep.url}/big`, { profileKey: 'email:big@example.com' }));
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    await c.start();
    const got = results(await readCommitted(kafka, t.names.actionResults, 6, 60_000, 500));
    expect(got.map((r) => r.commandId).sort()).toEqual(cmds.map((x) => x.commandId).sort());
    expect(got.every((r) => r.status === 'ok' && (r.response as { blob: string }).blob.length === 250_000)).toBe(true);
  });
});

describe('HTTP action connector with OAuth2', () => {
  it('fetches one token for many commands and a new one after the endpoint answers 401', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-oauth')}.`);
    const issuer = ep.oauth2('/oauth/token', { clients: { journeys: 'crm-s3cret' } });
    ep.protect('/crm/contacts', issuer);
    const crm: ActionConfig = {
      id: 'crm',
      type: 'http',
      url: `${ep.url}/crm/contacts`,
      method: 'POST',
      auth: {
        type: 'oauth2',
        tokenUrl: issuer.tokenUrl,
        clientId: 'journeys',
        clientSecret: { env: 'JO_SECRET_CRM_SECRET' },
      },
    };
    const c = createHttpActionConnector({
      kafka,
      http,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-oauth'),
      transactionalId: uniqueName('tx-oauth'),
      actionConfig: (id) => (id === 'crm' ? crm : undefined),
    });
    running.push(c);
    const first = Array.from({ length: 20 }, () => command(`${ep.url}/crm/contacts`, { action: 'crm' }));
    await produce(kafka, t.names.commands('http'), asRecords(first));
    await c.start();
    const r1 = results(await readCommitted(kafka, t.names.actionResults, 20));
    expect(r1.every((r) => r.status === 'ok' && r.attempts === 1)).toBe(true);
    expect(issuer.issued()).toBe(1);

    issuer.revokeAll();
    const second = Array.from({ length: 5 }, () => command(`${ep.url}/crm/contacts`, { action: 'crm' }));
    await produce(kafka, t.names.commands('http'), asRecords(second));
    const r2 = results(await readCommitted(kafka, t.names.actionResults, 25, 60_000, 500));
    expect(r2).toHaveLength(25);
    expect(r2.every((r) => r.status === 'ok')).toBe(true);
    expect(issuer.issued()).toBe(2);
    const latest = `Bearer ${issuer.tokens()[1]}`;
    expect(ep.requests('/crm/contacts').filter((r) => r.headers.authorization === latest)).toHaveLength(5);
  });
});

describe('HTTP action connector capping', () => {
  it('gives capped results to commands that wait longer than maxWaitMs for the concurrency cap', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-cap')}.`);
    ep.stall('/one-at-a-time', 1_500);
    // One profile key: one partition, one chunk, all three in flight together.
    const cmds = [1, 2, 3].map(() =>
      command(`${ep.url}/one-at-a-time`, { action: 'narrow', profileKey: 'email:same@example.com' }),
    );
    const metrics = new InMemoryMetrics();
    const c = createHttpActionConnector({
      kafka,
      http,
      metrics,
      maxWaitMs: 300,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-cap'),
      transactionalId: uniqueName('tx-cap'),
      actionConfig: (id) => actions[id],
    });
    running.push(c);
    await produce(kafka, t.names.commands('http'), asRecords(cmds));
    await c.start();
    const got = results(await readCommitted(kafka, t.names.actionResults, 3, 60_000, 500));
    expect(got.map((r) => r.status).sort()).toEqual(['capped', 'capped', 'ok']);
    for (const r of got.filter((x) => x.status === 'capped')) {
      expect(r.attempts).toBe(0);
      expect(r.error).toMatch(/^CAPPED: concurrency limit 1 of action:narrow/);
    }
    expect(ep.requests('/one-at-a-time')).toHaveLength(1);
    expect(metrics.value('jo_action_calls_total', { action: 'narrow', status: 'capped' })).toBe(2);
  });
});

describe('Campaign connector', () => {
  it('posts email, SMS and push messages and rejects a bad address without calling', async () => {
    const t = await createConnectorTopics(admin, `${uniqueName('c-camp')}.`);
    const url = `${ep.url}/campaign/welcome`;
    const email = command(url, { action: 'mail', connector: { email: 'ann@example.com', ctx: { coupon: 'X1' } } });
    const sms = command(url, { action: 'mail', connector: { channel: 'sms', mobilePhone: '+33 612345678', ctx: {} } });
    const token = 'f'.repeat(64);
    const push = command(url, {
      action: 'mail',
      connector: { channel: 'push', pushPlatform: 'fcm', deviceToken: token, ctx: { n: 2 } },
    });
    const bad = command(url, { action: 'mail', connector: { channel: 'email', email: 'nobody' } });
    const c = createCampaignConnector({
      kafka,
      http,
      topicPrefix: t.prefix,
      groupId: uniqueName('g-camp'),
      transactionalId: uniqueName('tx-camp'),
      actionConfig: (id) => actions[id],
    });
    running.push(c);
    await produce(kafka, t.names.commands('campaign'), asRecords([email, sms, push, bad]));
    await c.start();
    const got = results(await readCommitted(kafka, t.names.actionResults, 4, 60_000, 500));
    const by = new Map(got.map((r) => [r.commandId, r]));
    expect(got).toHaveLength(4);
    for (const ok of [email, sms, push]) expect(by.get(ok.commandId)).toMatchObject({ status: 'ok', attempts: 1 });
    expect(by.get(bad.commandId)).toMatchObject({ status: 'error', attempts: 0 });
    expect(by.get(bad.commandId)?.error).toMatch(/^CAMPAIGN_ADDRESS_INVALID/);
    const bodies = ep.requests('/campaign/welcome').map((r) => r.body);
    expect(bodies).toHaveLength(3);
    expect(bodies).toEqual(
      expect.arrayContaining([
        { email: 'ann@example.com', ctx: { coupon: 'X1' } },
        { mobilePhone: '+33612345678', ctx: {} },
        { pushPlatform: 'fcm', deviceToken: token, ctx: { n: 2 } },
      ]),
    );
  });
});
