// Manual exit through the REST API on the real broker: `POST /v1/profiles/:key/journeys/:id/exit` writes a control
// record to jo.controls; the pipeline task owning the profile ends its instance once (`ended`, `manualExit`); the
// repeat is harmless; a read token gets 403; the exited profile gets no command when its wait ends, the other does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../schemas/index.js';
import { loadEngineConfig } from '../engine-config.js';
import { startEngine, type Engine } from '../engine.js';
import { createLogger } from '../logger.js';
import {
  HOLD_JOURNEY,
  holdResources,
  produceSignups,
  profileKeyOf,
  stepsWith,
  testBrokers,
  TopicTail,
  uniqueName,
} from '../testing/index.js';

const ADMIN = 'exit-admin-token-0123456789';
const READER = 'exit-read-token-0123456789';
const prefix = `${uniqueName('it-exit')}.`;
const topics = topicNames(prefix);
let engine: Engine;
let tail: TopicTail;

async function call(method: string, path: string, token = ADMIN, body?: unknown) {
  const res = await fetch(`${engine.address}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const config = loadEngineConfig(
    {},
    {
      overrides: {
        kafkaBrokers: testBrokers(),
        applicationId: uniqueName('it-exit-app'),
        topicPrefix: prefix,
        partitions: 3,
        stateDir: mkdtempSync(join(tmpdir(), 'jo-exit-')),
        only: ['pipeline', 'api'],
        api: {
          host: '127.0.0.1',
          port: 0,
          tokens: [
            { token: ADMIN, role: 'admin' },
            { token: READER, role: 'read' },
          ],
        },
        outboundAllow: ['127.0.0.1'],
        log: { level: 'warn', format: 'json' },
      },
    },
  );
  engine = await startEngine(config, {
    logger: createLogger({ level: 'warn', format: 'json' }),
  });
  tail = await TopicTail.start(testBrokers(), [topics.stepEvents, topics.commands('http')], uniqueName('exit-tail'));
});

afterAll(async () => {
  await tail?.stop();
  await engine?.stop();
});

describe('POST /v1/profiles/:key/journeys/:journeyId/exit', () => {
  it('ends the instance once (manualExit), a repeat is harmless, read tokens get 403, no command follows', async () => {
    const r = holdResources('http://127.0.0.1:9', 'PT12S');
    for (const e of r.events) expect((await call('PUT', `/v1/events/${e.id}`, ADMIN, e)).status).toBe(201);
    for (const a of r.actions) expect((await call('PUT', `/v1/actions/${a.id}`, ADMIN, a)).status).toBe(201);
    expect((await call('PUT', `/v1/journeys/${HOLD_JOURNEY}`, ADMIN, r.journey)).status).toBe(201);
    expect((await call('POST', `/v1/journeys/${HOLD_JOURNEY}/publish`, ADMIN, {})).status).toBe(200);

    await produceSignups(testBrokers(), topics.events, [1, 2]);
    const [out, stay] = [profileKeyOf(1), profileKeyOf(2)];
    await expect.poll(() => stepsWith(tail.of(topics.stepEvents), 'entered').length, { timeout: 60_000 }).toBe(2);

    const path = `/v1/profiles/${encodeURIComponent(out)}/journeys/${HOLD_JOURNEY}/exit`;
    expect((await call('POST', path, READER)).status).toBe(403);
    expect((await call('POST', `/v1/profiles/${encodeURIComponent(out)}/journeys/nope/exit`)).status).toBe(404);
    expect((await call('POST', `/v1/profiles/no-namespace/journeys/${HOLD_JOURNEY}/exit`)).status).toBe(400);
    const first = await call('POST', path);
    expect(first).toMatchObject({ status: 202, body: { profileKey: out, journeyId: HOLD_JOURNEY } });
    expect((await call('POST', path)).status).toBe(202);

    // the other profile's wait ends and it gets its command; by then both exits have been handled
    await expect.poll(() => tail.of(topics.commands('http')).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    await new Promise((res) => setTimeout(res, 2_000));
    const exits = stepsWith(tail.of(topics.stepEvents), 'ended', 'manualExit');
    expect(exits).toEqual([{ profileKey: out, nodeId: 'hold' }]);
    const controlRecords = tail
      .of(topics.stepEvents)
      .filter((x) => (x.value['cause'] as { type: string }).type === 'control');
    expect(controlRecords).toHaveLength(1); // the repeat wrote no step record
    expect(tail.of(topics.commands('http')).map((c) => c.key)).toEqual([stay]);
  });
});
