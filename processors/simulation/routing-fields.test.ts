// Routing by the fields read from an event's bytes gives the profile key the engine's normalizer gives, for every
// valid JSON event it reads; whatever it cannot read exactly is left to the full normalizer.
import { describe, expect, it } from 'vitest';
import type { EventConfig } from '../../schemas/index.js';
import { normalizeEvent, profileKeyOf, profileKeyOfPayload, recognitionOrder } from '../journey/index.js';
import { RoutingFields } from './routing-fields.js';

const events = recognitionOrder([
  { id: 'ev-a', name: 'a', recognition: { eventType: 't.a' }, identity: { namespace: 'crmId', path: 'person.id' } },
  { id: 'ev-b', name: 'b', recognition: { eventType: 't.b' }, identity: { namespace: 'ecid', path: 'ids[1].v' } },
  { id: 'ev-s', name: 's', recognition: { eventID: 'sys-1' }, identity: { namespace: 'crmId', path: 'sys.who' } },
] satisfies EventConfig[]);

const PAD = 'x'.repeat(300);
const payloads: string[] = [
  JSON.stringify({ _id: 'e1', eventType: 't.a', person: { id: 'p1', email: 'a@b' }, pad: PAD }),
  JSON.stringify({ pad: { list: [1, '}', { '"': '{' }], s: 'q\\"}' }, person: { id: 42 }, eventType: 't.a' }),
  JSON.stringify({ eventType: 't.a', person: { id: { id: 'nested' } } }),
  JSON.stringify({
    eventType: 't.a',
    person: { id: '' },
    identityMap: { crmId: [{ id: 'm0' }, { id: 'm1', primary: true }] },
  }),
  JSON.stringify({ eventType: 't.a', person: null }),
  JSON.stringify({ eventType: 't.a', person: ['p'] }),
  JSON.stringify({ eventType: 't.b', ids: [{ v: 'no' }, { v: 'yes' }] }),
  JSON.stringify({ eventType: 't.b', ids: { 1: { v: 'object index' } } }),
  JSON.stringify({ eventType: 't.c', person: { id: 'unknown type' } }),
  JSON.stringify({ _experience: { campaign: { orchestration: { eventID: 'sys-1' } } }, sys: { who: { id: 's1' } } }),
  JSON.stringify({ eventType: 't.\u00e9', person: { id: 'p\u00e9\u{1f600}' } }),
  '{"eventType":"t.\\u0061","person":{"id":"q\\"uote\\\\"}}',
  '{"eventT\\u0079pe":"t.a","person":{"id":"escaped key"}}',
  '{"eventType":"t.b","eventType":"t.a","person":{"id":"repeated"}}',
  '{"person":{"id":"first"},"eventType":"t.a","person":{"email":"second"}}',
  ' \n\t{ "eventType" : "t.a" , "person" : { "id" : -1.5e3 } } ',
  '{"eventType":"t.a","person":{"id":1e400}}',
  '{"eventType":"t.a","person":{"id":"p","id":"q"}}',
  '{}',
  '[]',
  '"t.a"',
  '',
  '\ufeff{"eventType":"t.a","person":{"id":"bom"}}',
  '{"eventType":"t.a","person":{"id":"unterminated}',
  '{"eventType":"t.a","person":{"id":"p"} trailing',
  '{"eventType":"t.a","person":{"id":tru}}',
];

async function normalizedKey(value: Buffer): Promise<string | undefined> {
  const r = await normalizeEvent({ value, events, maxBytes: 1 << 20, fallbackId: '', fallbackTimestamp: 0, now: 0 });
  return r.kind === 'event' ? profileKeyOf(r.event.identity) : undefined;
}

const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('RoutingFields', () => {
  const fields = RoutingFields.of(events);

  it('gives the normalizer’s profile key for every valid event it reads, and gives up on escaped or repeated keys', async () => {
    expect(fields).toBeDefined();
    const read: string[] = [];
    for (const p of payloads) {
      const buf = Buffer.from(p, 'utf8');
      const got = fields?.read(buf);
      const want = await normalizedKey(buf);
      if (got === undefined) continue;
      read.push(p);
      // an invalid document may be read: it is dead-lettered wherever it goes, so only valid ones must agree
      if (isJson(p)) expect({ p, key: profileKeyOfPayload(got, events, 0) }).toEqual({ p, key: want });
    }
    expect(read).not.toContain(payloads[12]); // escaped key
    expect(read).not.toContain(payloads[13]); // repeated eventType
    expect(read).not.toContain(payloads[14]); // repeated person
    expect(read).not.toContain(payloads[17]); // repeated id
    expect(read.filter(isJson).length).toBeGreaterThanOrEqual(15);
  });

  it('is not used when a configuration maps the payload or recognises it by a rule', () => {
    const base = events[0] as EventConfig;
    expect(RoutingFields.of([{ ...base, mapping: { 'person.id': 'pid' } }])).toBeUndefined();
    expect(RoutingFields.of([{ ...base, recognition: { rule: { '==': [1, 1] } } }])).toBeUndefined();
    expect(RoutingFields.of([{ ...base, identity: { namespace: 'crmId', expression: { var: 'a' } } }])).toBeUndefined();
  });
});
