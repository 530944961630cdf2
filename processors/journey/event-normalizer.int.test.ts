// Avro events in the Confluent wire format against the real schema registry: decoded and normalized; an unknown
// schema id and a corrupt body are dead-letter codes, not crashes.
import { describe, expect, it } from 'vitest';
import { testRegistryUrl, uniqueName } from '../../topology/testing/index.js';
import { createAvroRegistry, type EventConfig } from '../../schemas/index.js';
import { normalizeEvent, recognitionOrder } from './event-normalizer.js';

const signup: EventConfig = {
  id: 'signup',
  name: 'Sign-up',
  recognition: { eventType: 'user.signup' },
  identity: { namespace: 'email', path: 'identityMap.email' },
};

const schema = {
  type: 'record',
  name: 'Signup',
  namespace: 'test.jo',
  fields: [
    { name: '_id', type: 'string' },
    { name: 'timestamp', type: 'string' },
    { name: 'eventType', type: 'string' },
    {
      name: 'identityMap',
      type: {
        type: 'map',
        values: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Identity',
            fields: [
              { name: 'id', type: 'string' },
              { name: 'primary', type: 'boolean', default: false },
            ],
          },
        },
      },
    },
  ],
};

describe('normalize: Avro through the schema registry', () => {
  it('decodes a Confluent-framed event, and dead-letters unknown schema ids and corrupt bodies', async () => {
    const registry = createAvroRegistry(testRegistryUrl());
    const id = await registry.register(`${uniqueName('jo-events')}-value`, schema);
    const bytes = await registry.encode(id, {
      _id: 'avro-1',
      timestamp: '2026-01-02T00:00:00.000Z',
      eventType: 'user.signup',
      identityMap: { email: [{ id: 'ann@x.com', primary: true }] },
    });
    const base = {
      events: recognitionOrder([signup]),
      maxBytes: 10_000,
      decodeAvro: (b: Buffer) => registry.decode(b),
      fallbackId: 'x',
      fallbackTimestamp: 0,
      now: 0,
    };
    const ok = await normalizeEvent({ ...base, value: bytes });
    expect(ok.kind === 'event' && ok.event).toMatchObject({
      id: 'avro-1',
      eventConfigId: 'signup',
      identity: { namespace: 'email', id: 'ann@x.com' },
    });

    const unknown = Buffer.from(bytes);
    unknown.writeInt32BE(2_000_000_000, 1);
    expect(await normalizeEvent({ ...base, value: unknown })).toMatchObject({
      kind: 'dead',
      code: 'EVENT_UNKNOWN_SCHEMA',
    });

    const corrupt = Buffer.concat([bytes.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]);
    expect(await normalizeEvent({ ...base, value: corrupt })).toMatchObject({
      kind: 'dead',
      code: 'EVENT_INVALID_AVRO',
    });
  });
});

describe('normalize: schema registry unreachable', () => {
  it('retries with backoff, then throws a retryable SCHEMA_REGISTRY_UNAVAILABLE (the event is not at fault)', async () => {
    const down = createAvroRegistry('http://127.0.0.1:1');
    const waits: number[] = [];
    const r = normalizeEvent({
      value: Buffer.from([0, 0, 0, 0, 7, 2, 65]),
      events: [signup],
      maxBytes: 1_000,
      decodeAvro: (b) => down.decode(b),
      registryRetry: { attempts: 2, baseMs: 5, sleep: async (ms) => void waits.push(ms) },
      fallbackId: 'x',
      fallbackTimestamp: 0,
      now: 0,
    });
    await expect(r).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE', retryable: true });
    expect(waits).toEqual([5, 10]);
  });
});
