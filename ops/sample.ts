/**
 * The sample "welcome" journey of `npm start`: loads ops/sample/resources.json through the admin API (pointing
 * its actions at the local sample endpoint) and produces demo events with a plain producer and no keys.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createKafka } from '../topology/index.js';
import { topicNames } from '../schemas/index.js';
import type { EngineConfig } from './engine-config.js';

interface SampleResources {
  events: Array<{ id: string }>;
  datasources: Array<{ id: string }>;
  actions: Array<{ id: string; url: string }>;
  journeys: Array<{ id: string }>;
}

const SAMPLE_ORIGIN = 'http://127.0.0.1:8090';

export function sampleResources(endpoint: string): SampleResources {
  const raw = readFileSync(new URL('./sample/resources.json', import.meta.url), 'utf8');
  return JSON.parse(raw.replaceAll(SAMPLE_ORIGIN, endpoint)) as SampleResources;
}

async function call(address: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${address}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 400 && res.status !== 404) {
    throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
  }
  return res;
}

/** PUTs the sample resources and publishes the journey unless a live version exists; says which it did. */
export async function loadSample(address: string, token: string, endpoint: string): Promise<string> {
  const r = sampleResources(endpoint);
  const existing = await call(address, token, 'GET', '/v1/journeys/welcome');
  if (existing.status === 200) {
    const body = (await existing.json()) as { versions?: Array<{ state: string }> };
    if (body.versions?.some((v) => v.state === 'live')) return 'already live';
  }
  for (const [kind, list] of [
    ['events', r.events],
    ['datasources', r.datasources],
    ['actions', r.actions],
  ] as const) {
    for (const res of list) await call(address, token, 'PUT', `/v1/${kind}/${res.id}`, res);
  }
  for (const j of r.journeys) {
    await call(address, token, 'PUT', `/v1/journeys/${j.id}`, j);
    await call(address, token, 'POST', `/v1/journeys/${j.id}/publish`, {});
  }
  return 'loaded and published';
}

/**
 * `loadSample`, tried again every `pauseMs` while it fails, for up to `withinMs` (every call it makes is
 * idempotent): the broker being away for a moment right after start-up (the API answers 500 while it cannot write
 * the configuration) made `npm start` exit after the engine was already running. The last failure is thrown.
 */
export async function loadSampleRetrying(
  address: string,
  token: string,
  endpoint: string,
  opts: { withinMs?: number; pauseMs?: number } = {},
): Promise<string> {
  const until = Date.now() + (opts.withinMs ?? 20_000);
  const pauseMs = opts.pauseMs ?? 2_000;
  for (;;) {
    try {
      return await loadSample(address, token, endpoint);
    } catch (err) {
      if (Date.now() + pauseMs > until) throw err;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** Sends `count` signups (and purchases for `purchaseRatio` of them) without keys; returns how many records. */
export async function produceSample(
  cfg: Readonly<EngineConfig>,
  opts: { count: number; purchaseRatio: number },
): Promise<number> {
  const producer = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'jo-sample' }).producer();
  await producer.connect();
  const messages: Array<{ value: string }> = [];
  for (let i = 0; i < opts.count; i++) {
    const email = `user-${randomUUID().slice(0, 8)}@example.com`;
    const person = { email, firstName: `User${i}` };
    messages.push({
      value: JSON.stringify({
        _id: randomUUID(),
        timestamp: new Date().toISOString(),
        eventType: 'account.signup',
        person,
      }),
    });
    if (i < opts.count * opts.purchaseRatio) {
      messages.push({
        value: JSON.stringify({
          _id: randomUUID(),
          timestamp: new Date().toISOString(),
          eventType: 'commerce.purchases',
          person,
          commerce: { order: { priceTotal: 42 } },
        }),
      });
    }
  }
  try {
    await producer.send({ topic: topicNames(cfg.topicPrefix).events, messages });
  } finally {
    await producer.disconnect();
  }
  return messages.length;
}
