/**
 * Property-style fuzzing of request bodies: a seeded generator breaks valid documents (wrong types, huge strings,
 * deep nesting, prototype keys, unknown properties, truncated JSON, non-object bodies, bodies over the limit), and
 * every one must get a 400 (413 over the limit) listing errors with JSON pointers — never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createKafka } from '../../topology/index.js';
import { DEFAULT_SECRET_POLICY, parseOutboundPolicy } from '../../schemas/index.js';
import { configFixtures } from '../../schemas/testing/index.js';
import { testBrokers, uniqueName } from '../testing/index.js';
import { buildApi } from './app.js';
import { KafkaConfigStore } from './config-store.js';

const { cartEvent, purchaseEvent, loyaltyDatasource, emailAction, smsAction, cartJourney } = configFixtures;
const TOKEN = 'fuzz-admin-token-0123456789';
const BODY_LIMIT = 256 * 1024;
const SEED = Number(process.env['JO_FUZZ_SEED'] ?? 20261128);
const CASES = Number(process.env['JO_FUZZ_CASES'] ?? 400);

/** mulberry32: small, seeded, good enough to spread cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T,
  };
}
type Rng = ReturnType<typeof rng>;

interface Target {
  readonly method: 'PUT' | 'POST';
  readonly url: string;
  readonly doc: unknown;
  /** Paths whose JSON type is fixed by the schema (changing the type must be an error). */
  readonly typed: readonly string[];
  /** Paths of bounded strings (maxLength ≤ 65536). */
  readonly strings: readonly string[];
  /** Paths of objects that refuse unknown properties. */
  readonly strict: readonly string[];
}

const journeyTyped = [
  '/name',
  '/namespace',
  '/entry',
  '/entry/event',
  '/start',
  '/nodes',
  '/nodes/wait1/duration',
  '/nodes/waitBuy/events',
  '/nodes/split/paths/0/weight',
  '/nodes/email/next',
  '/timeout',
  '/reentrance/allowed',
];
const targets: readonly Target[] = [
  {
    method: 'PUT',
    url: '/v1/events/purchase',
    doc: purchaseEvent,
    typed: ['/name', '/recognition', '/identity', '/identity/namespace', '/id'],
    strings: ['/name', '/description'],
    strict: ['', '/identity'],
  },
  {
    method: 'PUT',
    url: '/v1/datasources/loyalty',
    doc: loyaltyDatasource,
    typed: ['/url', '/method', '/timeoutMs', '/cacheTtlMs', '/auth', '/auth/token', '/auth/token/env', '/type'],
    strings: ['/url', '/body', '/name'],
    strict: ['', '/auth'],
  },
  {
    method: 'PUT',
    url: '/v1/actions/sendEmail',
    doc: emailAction,
    typed: ['/url', '/method', '/headers', '/headers/content-type', '/body', '/auth/value', '/timeoutMs', '/retries'],
    strings: ['/url', '/body', '/name'],
    strict: ['', '/auth', '/auth/value'],
  },
  {
    method: 'PUT',
    url: '/v1/journeys/cartRecovery',
    doc: cartJourney,
    typed: journeyTyped,
    strings: ['/name', '/description', '/timezone'],
    strict: ['', '/entry', '/nodes/wait1', '/nodes/split/paths/0', '/reentrance'],
  },
  {
    method: 'POST',
    url: '/v1/journeys/validate',
    doc: cartJourney,
    typed: journeyTyped,
    strings: ['/name', '/description'],
    strict: ['', '/nodes/waitBuy'],
  },
  {
    method: 'POST',
    url: '/v1/journeys/cartRecovery/publish',
    doc: { version: 1 },
    typed: ['/version'],
    strings: [],
    strict: [''],
  },
];

const SAMPLES: readonly unknown[] = [123, -1.5, true, null, [], {}, 'x', { a: [1] }, [1, 'two']];
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function segments(ptr: string): string[] {
  return ptr === ''
    ? []
    : ptr
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
function getAt(doc: unknown, ptr: string): unknown {
  return segments(ptr).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
}
function setAt(doc: unknown, ptr: string, value: unknown): unknown {
  const segs = segments(ptr);
  if (segs.length === 0) return value;
  const parent = getAt(doc, `/${segs.slice(0, -1).join('/')}`.replace(/^\/$/, '')) as Record<string, unknown>;
  parent[segs[segs.length - 1] as string] = value;
  return doc;
}

interface Case {
  readonly payload: string;
  readonly expect: string[];
  readonly oversize: boolean;
}

/** Object-level mutations; each returns the pointer where an error must be reported. */
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const parentOf = (ptr: string) => ptr.slice(0, ptr.lastIndexOf('/'));

function mutateDoc(r: Rng, t: Target, doc: unknown): { doc: unknown; at: string; proto?: string } {
  const m = mutateOnce(r, t, doc);
  if (m) return m;
  // an earlier mutation replaced the container this one aimed at: add an unknown property at the root instead
  (doc as Record<string, unknown>)['unknownRoot'] = 1;
  return { doc, at: '/unknownRoot' };
}

function mutateOnce(r: Rng, t: Target, doc: unknown): { doc: unknown; at: string; proto?: string } | undefined {
  const kind = t.strings.length === 0 ? r.pick([0, 3, 4]) : r.int(0, 4);
  const at = kind === 0 ? r.pick(t.typed) : kind <= 2 ? r.pick(t.strings) : r.pick(t.strict);
  const container = kind <= 2 ? parentOf(at) : at;
  if (!isObj(getAt(doc, container))) return undefined;
  if (kind === 0) {
    const orig = getAt(t.doc, at); // the valid type, not whatever an earlier mutation left
    return { doc: setAt(doc, at, r.pick(SAMPLES.filter((s) => jsonType(s) !== jsonType(orig)))), at };
  }
  if (kind === 1) return { doc: setAt(doc, at, 'é'.repeat(r.int(70_000, 100_000))), at };
  if (kind === 2) {
    let v: unknown = 1;
    for (let i = r.int(101, 3000); i > 0; i--) v = r.next() < 0.5 ? [v] : { k: v };
    return { doc: setAt(doc, at, v), at };
  }
  const obj = getAt(doc, at) as Record<string, unknown>;
  if (kind === 3) {
    obj[`unknown${r.int(0, 99)}`] = r.pick(SAMPLES);
    return { doc, at };
  }
  const key = r.pick(['__proto__', 'constructor', 'prototype']);
  obj['@@FORBIDDEN@@'] = { polluted: true };
  return { doc, at: `${at}/${key}`, proto: key };
}

function generate(r: Rng): Case & { target: Target } {
  const t = r.pick(targets);
  const shape = r.int(0, 9);
  if (shape === 0)
    return {
      target: t,
      payload: JSON.stringify(r.pick([1, 'str', true, null, [t.doc], []])),
      expect: [''],
      oversize: false,
    };
  let doc: unknown = structuredClone(t.doc);
  const expect: string[] = [];
  let proto: string | undefined;
  for (let i = r.int(1, 3); i > 0; i--) {
    const m = mutateDoc(r, t, doc);
    doc = m.doc;
    expect.push(m.at);
    proto ??= m.proto;
    if (m.proto) break; // one marker key per document
  }
  let payload = JSON.stringify(doc);
  if (proto) payload = payload.replace('"@@FORBIDDEN@@"', JSON.stringify(proto));
  if (shape === 1) {
    const cut = payload.slice(0, r.int(1, payload.length - 1));
    return { target: t, payload: cut, expect: [''], oversize: Buffer.byteLength(cut) > BODY_LIMIT };
  }
  if (shape === 2)
    return {
      target: t,
      payload: JSON.stringify({ ...(t.doc as object), pad: 'z'.repeat(BODY_LIMIT) }),
      expect: [''],
      oversize: true,
    };
  return { target: t, payload, expect, oversize: Buffer.byteLength(payload) > BODY_LIMIT };
}

/** The fixtures' endpoints listen on 127.0.0.1:9999; every other internal address stays refused. */
const FIXTURE_POLICY = {
  outbound: parseOutboundPolicy(['public', '127.0.0.1:9999']),
  secrets: DEFAULT_SECRET_POLICY,
};

const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

describe('fuzzed bad bodies', () => {
  let app: FastifyInstance;
  let store: KafkaConfigStore;

  beforeAll(async () => {
    const topic = uniqueName('it-fuzz-config');
    const admin = createKafka({ brokers: testBrokers(), clientId: uniqueName('fuzz') }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    await admin.disconnect();
    store = await KafkaConfigStore.open({ brokers: testBrokers(), topic });
    await store.whenReady();
    app = await buildApi({
      store,
      tokens: [{ token: TOKEN, role: 'admin' }],
      bodyLimit: BODY_LIMIT,
      policy: FIXTURE_POLICY,
    });
    const put = (url: string, body: unknown) =>
      app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${TOKEN}` }, payload: body as object });
    for (const e of [cartEvent, purchaseEvent]) await put(`/v1/events/${e.id}`, e);
    await put('/v1/datasources/loyalty', loyaltyDatasource);
    for (const a of [emailAction, smsAction]) await put(`/v1/actions/${a.id}`, a);
    expect((await put('/v1/journeys/cartRecovery', cartJourney)).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it(`${CASES} generated bad bodies (seed ${SEED}) all get 400/413 with pointers, never a 500`, async () => {
    const r = rng(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const c = generate(r);
      const res = await app.inject({
        method: c.target.method,
        url: c.target.url,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        payload: c.payload,
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const where = `case ${i} (${c.target.method} ${c.target.url}, expected at ${c.expect.join(', ')}): ${res.body.slice(0, 300)}`;
      expect(res.statusCode, where).toBe(c.oversize ? 413 : 400);
      const body = res.json<{ code: string; errors: Array<{ pointer: string; code: string; message: string }> }>();
      expect(body.errors.length, where).toBeGreaterThan(0);
      for (const e of body.errors) {
        expect(e.pointer, where).toMatch(/^(\/.*)?$/);
        expect(e.code, where).toMatch(/^[A-Z][A-Z0-9_]+$/);
        expect(typeof e.message, where).toBe('string');
      }
      if (!c.oversize)
        expect(
          body.errors.some((e) => c.expect.some((p) => related(e.pointer, p))),
          where,
        ).toBe(true);
    }
    // the generator did exercise both outcomes
    expect(statuses.get(400)).toBeGreaterThan(CASES / 2);
    expect(statuses.get(413)).toBeGreaterThan(0);
  });

  it('health, readiness and metrics hooks', async () => {
    let ready = false;
    const hooked = await buildApi({
      store,
      tokens: [{ token: TOKEN, role: 'admin' }],
      waiting: () => (ready ? [] : ['pipeline']),
      metrics: async () => 'jo_test_metric 1\n',
    });
    try {
      expect((await hooked.inject({ url: '/healthz' })).statusCode).toBe(200);
      const unready = await hooked.inject({ url: '/readyz' });
      expect(unready.statusCode).toBe(503);
      expect(unready.json()).toEqual({ status: 'not ready', waiting: ['pipeline'] });
      ready = true;
      expect((await hooked.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
      const m = await hooked.inject({ url: '/metrics' });
      expect(m.headers['content-type']).toMatch(/^text\/plain/);
      expect(m.body).toBe('jo_test_metric 1\n');
      expect(
        (await hooked.inject({ url: '/v1/nowhere', headers: { authorization: `Bearer ${TOKEN}` } })).json(),
      ).toMatchObject({
        code: 'NOT_FOUND',
      });
      const wrongType = await hooked.inject({
        method: 'PUT',
        url: '/v1/events/x',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(wrongType.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(wrongType.statusCode).toBe(415);
    } finally {
      await hooked.close();
    }
  });

  it('nothing was written by the bad bodies', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/journeys/cartRecovery',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.json<{ versions: unknown[] }>().versions).toHaveLength(1);
  });
});

/** SSRF URLs: IP literals in every spelling, IPv6 forms, templated hosts, credentials in the URL. */
const SSRF_URLS = [
  'http://127.0.0.1/x',
  'http://127.0.0.1:8080/x',
  'http://127.1/x',
  'http://2130706433/x',
  'http://017700000001/x',
  'http://0x7f000001/x',
  'http://0177.0.0.1/x',
  'http://localhost/x',
  'http://169.254.169.254/latest/meta-data/iam/',
  'http://2852039166/latest/',
  'http://10.0.0.1/x',
  'http://172.16.0.1/x',
  'http://192.168.0.1/x',
  'http://0.0.0.0/x',
  'http://[::]/x',
  'http://[::1]/x',
  'http://[::ffff:127.0.0.1]/x',
  'http://[::ffff:169.254.169.254]/x',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/x',
  'http://[fd00::1]/x',
  'http://[fe80::1]/x',
  'https://{{params.host}}/x',
  'https://{{profile.tenant}}.example.com/x',
  'https://api.example.com:{{params.port}}/x',
  'https://admin:pw@api.example.com/x',
];

const SECRET_REFS = [
  { env: 'KAFKA_SASL_PASSWORD' },
  { env: 'AWS_SECRET_ACCESS_KEY' },
  { file: '/etc/shadow' },
  { file: '/run/secrets/../../etc/passwd' },
];
const CREDENTIAL_HEADERS = [
  'X-Api-Key',
  'X-Auth-Token',
  'Api-Secret',
  'X-Password',
  'X-Signature',
  'Set-Cookie',
  'apikey',
];
const CREDENTIAL_QUERIES = [
  '?api_key=abc',
  '?access_token=abc',
  '?x=1&signature=abc',
  '?clientSecret=abc',
  '?sessionid=1',
];

describe('security refusals at save time: a pointer and a code each, never a 500', () => {
  let app: FastifyInstance;
  let store: KafkaConfigStore;
  const put = (url: string, body: unknown) =>
    app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${TOKEN}` }, payload: body as object });

  beforeAll(async () => {
    const topic = uniqueName('it-fuzz-sec');
    const admin = createKafka({ brokers: testBrokers(), clientId: uniqueName('fuzz-sec') }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    await admin.disconnect();
    store = await KafkaConfigStore.open({ brokers: testBrokers(), topic });
    await store.whenReady();
    app = await buildApi({ store, tokens: [{ token: TOKEN, role: 'admin' }], policy: FIXTURE_POLICY });
    expect((await put('/v1/datasources/loyalty', loyaltyDatasource)).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  function expectRefused(res: Awaited<ReturnType<typeof put>>, pointer: string, code: string, what: string) {
    expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBe(400);
    const errors = res.json<{ errors: Array<{ pointer: string; code: string }> }>().errors;
    expect(errors, what).toContainEqual(expect.objectContaining({ pointer, code }));
  }

  it('refuses SSRF URLs in actions, data sources and OAuth2 token URLs with URL_NOT_ALLOWED', async () => {
    for (const url of SSRF_URLS) {
      expectRefused(await put('/v1/actions/ssrf', { ...emailAction, id: 'ssrf', url }), '/url', 'URL_NOT_ALLOWED', url);
      expectRefused(
        await put('/v1/datasources/ssrf', { ...loyaltyDatasource, id: 'ssrf', url }),
        '/url',
        'URL_NOT_ALLOWED',
        url,
      );
      if (url.includes('{{')) continue;
      const auth = { type: 'oauth2', tokenUrl: url, clientId: 'c', clientSecret: { env: 'JO_SECRET_CS' } };
      expectRefused(
        await put('/v1/actions/ssrf', { ...emailAction, id: 'ssrf', auth }),
        '/auth/tokenUrl',
        'URL_NOT_ALLOWED',
        `tokenUrl ${url}`,
      );
    }
  });

  it('refuses secret references outside the policy with SECRET_REF_NOT_ALLOWED', async () => {
    for (const ref of SECRET_REFS) {
      const what = JSON.stringify(ref);
      const bearer = { type: 'bearer', token: ref };
      expectRefused(
        await put('/v1/actions/sec', { ...emailAction, id: 'sec', auth: bearer }),
        '/auth/token',
        'SECRET_REF_NOT_ALLOWED',
        what,
      );
      const basic = { type: 'basic', username: 'u', password: ref };
      expectRefused(
        await put('/v1/datasources/sec', { ...loyaltyDatasource, id: 'sec', auth: basic }),
        '/auth/password',
        'SECRET_REF_NOT_ALLOWED',
        what,
      );
    }
  });

  it('refuses credential-looking literal headers and query parameters with SECRET_LITERAL', async () => {
    for (const h of CREDENTIAL_HEADERS)
      expectRefused(
        await put('/v1/actions/lit', { ...emailAction, id: 'lit', headers: { [h]: 'literal-secret' } }),
        `/headers/${h}`,
        'SECRET_LITERAL',
        h,
      );
    for (const q of CREDENTIAL_QUERIES)
      expectRefused(
        await put('/v1/datasources/lit', { ...loyaltyDatasource, id: 'lit', url: `http://127.0.0.1:9999/x${q}` }),
        '/url',
        'SECRET_LITERAL',
        q,
      );
  });

  it('accepts what the policy allows, and nothing refused was written', async () => {
    const ok = await put('/v1/actions/fine', {
      ...emailAction,
      id: 'fine',
      url: 'https://api.example.com/v1/{{profile.id}}?lang=en',
      headers: { 'X-Request-Source': 'journeys' },
      auth: { type: 'bearer', token: { env: 'JO_SECRET_TOKEN' } },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    for (const id of ['ssrf', 'sec', 'lit']) {
      const res = await app.inject({ url: `/v1/actions/${id}`, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(404);
    }
  });
});
