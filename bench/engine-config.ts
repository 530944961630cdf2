/**
 * What the engine benchmark feeds the engine: the configuration (event types, the `hook` action, journeys) and
 * the ~1 KB keyless XDM events. The Kafka Streams peer reads the same events.
 */
import type { JourneyConfig, JourneyRecord } from '../schemas/index.js';

/** Profiles events are drawn from (BENCH_PROFILES). */
export const PROFILES = Number(process.env['BENCH_PROFILES'] ?? 1_000_000);

// 5 event types × 4 segments → 19 journeys + 1 timer journey
const TYPES = ['a', 'b', 'c', 'd', 'e'];

function eventsAndAction(hookUrl: string): Array<[string, object]> {
  const out: Array<[string, object]> = [];
  for (const t of [...TYPES, 'timer', 'follow']) {
    out.push([
      `event/ev-${t}`,
      {
        id: `ev-${t}`,
        name: `bench ${t}`,
        recognition: { eventType: `bench.${t}` },
        identity: { namespace: 'crmId', path: 'person.id' },
      },
    ]);
  }
  out.push([
    'action/hook',
    {
      id: 'hook',
      type: 'http',
      url: `${hookUrl}/hook`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sentAt": {{params.sentAt}}, "journey": {{params.journey}}}',
    },
  ]);
  return out;
}

const live = (journey: JourneyConfig): [string, JourneyRecord] => [
  `journey/${journey.id}`,
  { id: journey.id, versions: [{ version: 1, state: 'live', createdAt: new Date().toISOString(), journey }] },
];

/**
 * The one-journey case the Kafka Streams peer mirrors: every `bench.a` event enters, the instance emits one
 * command and ends.
 */
export function oneJourneyConfig(hookUrl: string): Array<[string, object]> {
  return [
    ...eventsAndAction(hookUrl),
    live({
      id: 'one',
      name: 'bench one action',
      namespace: 'crmId',
      entry: { event: 'ev-a' },
      start: 'first',
      nodes: {
        first: {
          type: 'action',
          action: 'hook',
          params: { sentAt: { var: 'event.xdm.sentAt' }, journey: 'one' },
          next: 'done',
        },
        done: { type: 'end' },
      },
    }),
  ];
}

/** The 20-journey case: 19 journeys over 5 event types × segments (actions, a condition, a wait, an event node) and a timer journey. */
export function benchConfig(hookUrl: string): Array<[string, object]> {
  const out = eventsAndAction(hookUrl);
  for (let j = 0; j < 19; j++) {
    const type = TYPES[j % TYPES.length] ?? 'a';
    const segment = Math.floor(j / TYPES.length);
    const params = { sentAt: { var: 'event.xdm.sentAt' }, journey: `j${j}` };
    out.push(
      live({
        id: `j${j}`,
        name: `bench journey ${j}`,
        namespace: 'crmId',
        entry: { event: `ev-${type}`, condition: { '==': [{ var: 'event.xdm.segment' }, segment] } },
        start: 'first',
        nodes: {
          first: { type: 'action', action: 'hook', params, next: 'check' },
          check: {
            type: 'condition',
            paths: [{ when: { '>': [{ var: 'event.xdm.commerce.value' }, 50] }, next: 'big' }],
            otherwise: 'small',
          },
          big: { type: 'wait', duration: 'P1D', next: 'second' },
          small: {
            type: 'event',
            events: [{ event: 'ev-follow', next: 'second' }],
            timeout: 'P2D',
            onTimeout: 'done',
          },
          second: { type: 'action', action: 'hook', params, next: 'done' },
          done: { type: 'end' },
        },
      }),
    );
  }
  out.push(
    live({
      id: 'timers',
      name: 'bench timers',
      namespace: 'crmId',
      entry: { event: 'ev-timer' },
      start: 'pause',
      nodes: {
        pause: { type: 'wait', until: { var: 'event.xdm.fireAt' }, next: 'fire' },
        fire: {
          type: 'action',
          action: 'hook',
          params: { sentAt: { var: 'events.ev-timer.xdm.fireAt' }, journey: 'timers' },
          next: 'done',
        },
        done: { type: 'end' },
      },
    }),
  );
  return out;
}

const PAD = 'x'.repeat(420);
let seq = 0;

/** A ~1 KB XDM ExperienceEvent for profile `p`, sent now. */
export function xdmEvent(type: string, p: number, segment: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _id: `ev-${process.pid}-${++seq}`,
    timestamp: new Date().toISOString(),
    eventType: `bench.${type}`,
    segment,
    sentAt: Date.now(),
    person: { id: `p${p}`, email: `p${p}@example.com`, firstName: 'Bench', lastName: 'Mark', loyaltyTier: 'gold' },
    commerce: { value: p % 100, currency: 'EUR', order: { id: `o${p}`, items: 3 } },
    device: { type: 'mobile', os: 'android', model: 'Pixel 9', screen: { width: 1080, height: 2400 } },
    environment: { browser: 'chrome', ip: '203.0.113.7', locale: 'en-GB', padding: PAD },
    ...extra,
  });
}

/** Event type and segment for event i: every (type, segment) pair has exactly one of the 19 journeys. */
export function typeAndSegment(i: number): [string, number] {
  const t = i % TYPES.length;
  const s = Math.floor(i / TYPES.length);
  return [TYPES[t] ?? 'a', t === TYPES.length - 1 ? s % 3 : s % 4];
}

/** Distinct profile ids out of `PROFILES` for i < PROFILES (a multiplicative permutation). */
export const profileOf = (i: number) => (i * 7_919 + 13) % PROFILES;

/** Event i of the 20-journey case: enters exactly one of the 19 journeys. */
export function twentyJourneyEvent(i: number): string {
  const [type, segment] = typeAndSegment(i);
  return xdmEvent(type, profileOf(i), segment);
}
