import { describe, expect, it } from 'vitest';
import { ConfigView, payloadSchemaCacheSize, validateEvent, type EventConfig } from '../../schemas/index.js';
import { normalizeEvent, recognitionOrder } from './event-normalizer.js';

/** An event config whose payload schema has an `$id`, edited (its name changes) on every save. */
function edit(n: number) {
  return {
    id: 'order',
    name: `Order (edit ${n})`,
    recognition: { eventType: 'order' },
    identity: { namespace: 'email', path: 'identityMap.email' },
    payloadSchema: {
      $id: 'https://schemas.example.com/order.json',
      type: 'object',
      required: ['amount'],
      properties: { amount: { type: 'number', maximum: 1000 + n } },
    },
  };
}

const event = (amount: number) =>
  Buffer.from(JSON.stringify({ eventType: 'order', amount, identityMap: { email: 'ann@example.com' } }));

async function normalize(view: ConfigView, value: Buffer) {
  return normalizeEvent({
    value,
    events: recognitionOrder(view.list('event') as EventConfig[]),
    maxBytes: 10_000,
    fallbackId: 'x',
    fallbackTimestamp: 0,
    now: 0,
  });
}

describe('payload schemas with $id', () => {
  it('keep working after 100 edits of the event config (each normalizes; the latest schema applies)', async () => {
    const view = new ConfigView();
    view.apply('event/order', JSON.stringify(edit(0)));
    await normalize(view, event(5));
    const held = payloadSchemaCacheSize();
    for (let n = 1; n <= 100; n++) {
      expect(view.apply('event/order', JSON.stringify(edit(n))).ok).toBe(true);
      // every edit is a new schema object with the same $id: a shared ajv instance refuses the second one
      const r = await normalize(view, event(5));
      expect(r.kind).toBe('event');
    }
    // the 100th edit allows amounts up to 1100: its schema, not the first one's, is in force
    expect((await normalize(view, event(1050))).kind).toBe('event');
    const over = await normalize(view, event(1200));
    expect(over).toMatchObject({ kind: 'dead', code: 'EVENT_PAYLOAD_INVALID' });
    // no per-edit leak: the compiler holds as many schemas as before the edits
    expect(payloadSchemaCacheSize()).toBe(held);
  });
});

describe('payload schema patterns', () => {
  it('are refused at save time when a linear-time engine cannot run them (look-around, back-references)', () => {
    for (const pattern of ['^(?=a)a+$', '^(a)\\1$']) {
      const problems = validateEvent({ ...edit(1), payloadSchema: { type: 'string', pattern } });
      expect(problems).toContainEqual(
        expect.objectContaining({ pointer: '/payloadSchema', code: 'PAYLOAD_SCHEMA_UNSAFE_PATTERN' }),
      );
    }
  });

  it('run in linear time: a catastrophic-backtracking pattern rejects a long near-miss at once', async () => {
    const cfg = {
      ...edit(1),
      payloadSchema: { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } },
    };
    expect(validateEvent(cfg)).toEqual([]);
    const view = new ConfigView();
    view.apply('event/order', JSON.stringify(cfg));
    // with a backtracking engine this input takes ~2^60 steps; RE2 answers in microseconds
    const raw = { eventType: 'order', code: `${'a'.repeat(60)}!`, identityMap: { email: 'a@b.c' } };
    const r = await normalize(view, Buffer.from(JSON.stringify(raw)));
    expect(r).toMatchObject({ kind: 'dead', code: 'EVENT_PAYLOAD_INVALID' });
    const ok = { ...raw, code: 'a'.repeat(60) };
    expect((await normalize(view, Buffer.from(JSON.stringify(ok)))).kind).toBe('event');
  });
});
