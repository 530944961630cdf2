/**
 * Journey, action and event fixtures shared by the processors' tests (unit and integration).
 */
import type { ActionConfig, EventConfig, JourneyConfig, JourneyRecord } from '../../schemas/index.js';
import type { InstanceState, NormalizedEvent } from '../journey/index.js';

export const emailAction = (url: string): ActionConfig => ({
  id: 'sendEmail',
  type: 'campaign',
  url,
  channel: 'email',
  eventType: 'welcome',
  timeoutMs: 2_000,
  retries: 1,
});

export const webhookAction = (url: string): ActionConfig => ({
  id: 'webhook',
  type: 'http',
  url: `${url}/hooks/{{profile.id}}`,
  method: 'POST',
  headers: { 'x-journey': '{{journey.id}}' },
  body: '{"profile": {{profile.id}}, "coupon": {{params.coupon}}}',
  timeoutMs: 1_000,
});

export const signupEvent: EventConfig = {
  id: 'signup',
  name: 'Sign-up',
  recognition: { eventType: 'user.signup' },
  identity: { namespace: 'email', path: 'identityMap.email' },
};

export const purchaseEvent: EventConfig = {
  id: 'purchase',
  name: 'Purchase',
  recognition: { eventType: 'commerce.purchase' },
  identity: { namespace: 'email', path: 'identityMap.email' },
};

/** A journey config entering on `signup` in the `email` namespace: id `j`, start `a`; `extra` overrides any field. */
/** Signup, purchase and a webhook (to a closed port): the resources of the topology tests with event nodes. */
export const signupPurchaseWebhook = () =>
  [
    { kind: 'event', value: signupEvent },
    { kind: 'event', value: purchaseEvent },
    { kind: 'action', value: webhookAction('http://127.0.0.1:9') },
  ] as const;

export function journey(nodes: JourneyConfig['nodes'], extra: Partial<JourneyConfig> = {}): JourneyConfig {
  return { id: 'j', name: 'J', namespace: 'email', entry: { event: 'signup' }, start: 'a', nodes, ...extra };
}

/** One live version of `cfg` as a `jo.config` journey record (what a publish writes). */
export function liveJourneyRecord(cfg: JourneyConfig, version = 1): JourneyRecord {
  return {
    id: cfg.id,
    versions: [{ version, state: 'live', createdAt: '2026-01-01T00:00:00Z', journey: cfg }],
  };
}

/**
 * signup → email → wait (`pause`, default 1 day) → wait for a purchase (up to `timeout`, default 3 days) → thank
 * you, or reminder on timeout.
 */
export function welcomeWith(o: { pause?: string; timeout?: string; reentrance?: JourneyConfig['reentrance'] } = {}) {
  return journey(
    {
      email: { type: 'action', action: 'sendEmail', params: { firstName: '{{profile.firstName}}' }, next: 'pause' },
      pause: { type: 'wait', duration: o.pause ?? 'P1D', next: 'waitPurchase' },
      waitPurchase: {
        type: 'event',
        events: [{ event: 'purchase', next: 'thanks' }],
        timeout: o.timeout ?? 'P3D',
        onTimeout: 'reminder',
      },
      thanks: { type: 'action', action: 'sendEmail', params: { template: 'thanks' }, next: 'done' },
      reminder: { type: 'action', action: 'sendEmail', params: { template: 'reminder' }, next: 'done' },
      done: { type: 'end' },
    },
    {
      id: 'welcome',
      name: 'Welcome',
      start: 'email',
      reentrance: o.reentrance ?? { allowed: true, waitPeriod: 'PT1H' },
    },
  );
}

/** The welcome journey of the unit tests (welcomeWith's defaults). */
export const welcomeJourney: JourneyConfig = welcomeWith();

let seq = 0;
/** A normalized event for `email:<who>`. */
export function event(
  eventConfigId: string,
  who: string,
  xdm: Record<string, unknown> = {},
  id?: string,
): NormalizedEvent {
  seq += 1;
  return {
    id: id ?? `evt-${eventConfigId}-${who}-${seq}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    eventType: eventConfigId,
    eventConfigId,
    identity: { namespace: 'email', id: who },
    xdm,
  };
}

/** A journey instance of profile crmId:p1 in journey j1 v1 (instance i1, entered at 1, seq 2), for unit tests. */
export function instanceState(
  fields: Pick<InstanceState, 'currentNode' | 'events' | 'visits' | 'timeout'> & Partial<InstanceState>,
): InstanceState {
  return {
    instanceId: 'i1',
    journeyId: 'j1',
    version: 1,
    profileKey: 'crmId:p1',
    enteredAt: 1,
    actions: {},
    seq: 2,
    pending: [],
    ...fields,
  };
}
