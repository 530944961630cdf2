import { describe, expect, it } from 'vitest';
import type { EventConfig } from '../../schemas/index.js';
import { isCanonicalIso, normalizeEvent, recognitionOrder, type NormalizeInput } from './event-normalizer.js';

const configs: EventConfig[] = recognitionOrder([
  {
    id: 'signup',
    name: 'Sign-up',
    recognition: { eventType: 'user.signup' },
    identity: { namespace: 'email', path: 'identityMap.email' },
  },
  {
    id: 'orchestrated',
    name: 'System event',
    recognition: { eventID: 'abc123' },
    identity: { namespace: 'ecid', path: 'identityMap.ECID' },
  },
  {
    id: 'legacyOrder',
    name: 'Raw order',
    recognition: { rule: { '==': [{ var: 'kind' }, 'order'] } },
    identity: { namespace: 'crmId', expression: { cat: ['C-', { var: 'customer.number' }] } },
    mapping: { eventType: 'kind', 'commerce.order.total': 'amount', 'customer.number': 'customer' },
    payloadSchema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } },
  },
]);

function input(value: unknown, extra: Partial<NormalizeInput> = {}): NormalizeInput {
  return {
    value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value)),
    events: configs,
    maxBytes: 2_000,
    fallbackId: 'jo.events-0-7',
    fallbackTimestamp: Date.UTC(2026, 0, 2),
    now: Date.UTC(2026, 0, 2),
    ...extra,
  };
}

describe('normalizeEvent', () => {
  it('normalizes an XDM ExperienceEvent recognised by eventType, with the primary identity of identityMap', async () => {
    const xdm = {
      _id: 'e-1',
      timestamp: '2026-01-02T03:04:05Z',
      eventType: 'user.signup',
      identityMap: { email: [{ id: 'old@x.com' }, { id: 'ann@x.com', primary: true }] },
    };
    expect(await normalizeEvent(input(xdm))).toEqual({
      kind: 'event',
      event: {
        id: 'e-1',
        timestamp: '2026-01-02T03:04:05.000Z',
        eventType: 'user.signup',
        eventConfigId: 'signup',
        identity: { namespace: 'email', id: 'ann@x.com' },
        xdm,
      },
    });
  });

  it('recognises the system eventID before eventType, and falls back to the record id and timestamp', async () => {
    const r = await normalizeEvent(
      input({
        eventType: 'user.signup',
        _experience: { campaign: { orchestration: { eventID: 'abc123' } } },
        identityMap: { ECID: [{ id: '0042' }] },
      }),
    );
    expect(r.kind === 'event' && r.event).toMatchObject({
      id: 'jo.events-0-7',
      timestamp: '2026-01-02T00:00:00.000Z',
      eventConfigId: 'orchestrated',
      identity: { namespace: 'ecid', id: '0042' },
    });
  });

  it('maps raw JSON to XDM, recognises it by rule and computes the identity with an expression', async () => {
    const r = await normalizeEvent(input({ kind: 'order', amount: 42, customer: 7 }));
    expect(r.kind === 'event' && r.event).toMatchObject({
      eventType: 'order',
      eventConfigId: 'legacyOrder',
      identity: { namespace: 'crmId', id: 'C-7' },
      xdm: { eventType: 'order', commerce: { order: { total: 42 } }, customer: { number: 7 } },
    });
  });

  it('dead-letters with a code: invalid JSON, not an object, too large, payload schema, no identity', async () => {
    const code = async (v: unknown, extra: Partial<NormalizeInput> = {}) => {
      const r = await normalizeEvent(input(v, extra));
      return r.kind === 'dead' ? r.code : r.kind;
    };
    expect(await code(Buffer.from('{"eventType": '))).toBe('EVENT_INVALID_JSON');
    expect(await code([1, 2])).toBe('EVENT_INVALID_JSON');
    expect(await code(null)).toBe('EVENT_INVALID_JSON');
    expect(await code({ eventType: 'user.signup', pad: 'x'.repeat(3000) })).toBe('EVENT_TOO_LARGE');
    expect(await code({ kind: 'order', amount: 'lots', customer: 7 })).toBe('EVENT_PAYLOAD_INVALID');
    expect(await code({ eventType: 'user.signup', identityMap: { phone: [{ id: '1' }] } })).toBe('EVENT_NO_IDENTITY');
    // Confluent framing without a registry: the schema cannot be known
    expect(await code(Buffer.from([0, 0, 0, 0, 9, 2, 65]))).toBe('EVENT_UNKNOWN_SCHEMA');
  });

  it('discards (does not dead-letter) an event no configuration recognises', async () => {
    expect(await normalizeEvent(input({ eventType: 'page.view', identityMap: { email: [{ id: 'a' }] } }))).toEqual({
      kind: 'discard',
      reason: 'noEventConfig',
    });
  });
});

describe('isCanonicalIso (timestamps kept as written)', () => {
  const roundTrips = (t: string) => {
    const ms = Date.parse(t);
    return Number.isFinite(ms) && new Date(ms).toISOString() === t;
  };
  it('is true exactly for the timestamps toISOString gives back unchanged', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const texts: string[] = [];
    for (const year of [0, 1900, 2000, 2024, 2025, 2100, 9999])
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) texts.push(`${pad(year, 4)}-${pad(month)}-${pad(day)}T12:34:56.789Z`);
    texts.push(
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z',
      '2026-01-01T23:59:59.999Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.000+00:00',
      '+002026-01-01T00:00:00.000Z',
      '2026-01-01 00:00:00.000Z',
      '2026-1-01T00:00:00.000Z',
      '2026-01-01T00:00:00.0000',
    );
    for (const t of texts) expect([t, isCanonicalIso(t)]).toEqual([t, roundTrips(t)]);
    expect(texts.filter(isCanonicalIso).length).toBeGreaterThan(2_000);
  });
});
