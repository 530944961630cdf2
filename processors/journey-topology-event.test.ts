// `event` in rules, params and templates on steps resumed by a timer, an event node's timeout or an action result:
// the last event the instance consumed (the entry event if none since), for every node type that reads rule data
// (PRODUCT.md → json-logic data). `events.<id>` stays the latest of each event the instance saw.
import { describe, expect, it } from 'vitest';
import type { JourneyConfig } from '../schemas/index.js';
import { closeDriversAfterEach, journey, JourneyDriver, MIN } from './testing/driver.js';
import { signupPurchaseWebhook } from './testing/journeys.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

type Nodes = JourneyConfig['nodes'];

/** How the instance gets to node `x`: each blocks, then resumes without an event. */
const RESUMES: Record<string, { nodes: (next: string) => Nodes; resume: (j: JourneyDriver) => Promise<void> }> = {
  wait: {
    nodes: (next) => ({ a: { type: 'wait', duration: 'PT1M', next } }),
    resume: (j) => j.advance(MIN),
  },
  'event timeout': {
    nodes: (next) => ({
      a: { type: 'event', events: [{ event: 'purchase', next: 'never' }], timeout: 'PT1M', onTimeout: next },
      never: { type: 'end' },
    }),
    resume: (j) => j.advance(MIN),
  },
  'action result': {
    nodes: (next) => ({
      a: { type: 'action', action: 'webhook', params: { coupon: 'first' }, next, onError: 'failed' },
      failed: { type: 'end' },
    }),
    resume: async (j) => {
      const [cmd] = j.commands('http');
      if (!cmd) throw new Error('no command for the first action');
      await j.result(cmd, 'ok', { httpStatus: 200 });
    },
  },
};

/** Node types after the resume, each reading `event`; `check` says what the user sees when it did. */
/** Node `id`: a condition on the event's plan, 'pro' to the end node `yes`, else to `e`. */
const isPro = (id: string): Nodes => ({
  [id]: {
    type: 'condition',
    paths: [{ when: { '==': [{ var: 'event.xdm.plan' }, 'pro'] }, next: 'yes' }],
    otherwise: 'e',
  },
  yes: { type: 'end' },
});
const endedAtYes = (j: JourneyDriver) => expect(j.trail()).toContain('p:yes:ended:end');

const READERS: Record<string, { nodes: Nodes; check: (j: JourneyDriver) => void }> = {
  action: {
    nodes: { x: { type: 'action', action: 'webhook', params: { coupon: { var: 'event.xdm.plan' } }, next: 'e' } },
    check: (j) => {
      const bodies = j.commands('http').map((c) => JSON.parse(String(c.request.body)) as { coupon: unknown });
      expect(bodies.at(-1)?.coupon).toBe('pro');
    },
  },
  'action (template param)': {
    nodes: { x: { type: 'action', action: 'webhook', params: { coupon: '{{event.xdm.plan}}' }, next: 'e' } },
    check: (j) => {
      const bodies = j.commands('http').map((c) => JSON.parse(String(c.request.body)) as { coupon: unknown });
      expect(bodies.at(-1)?.coupon).toBe('pro');
    },
  },
  condition: { nodes: isPro('x'), check: endedAtYes },
  split: { nodes: { x: { type: 'split', paths: [{ weight: 1, next: 'c' }] }, ...isPro('c') }, check: endedAtYes },
  'wait until': {
    // the entry event says when: 10 minutes after it was sent
    nodes: {
      x: { type: 'wait', until: { '+': [{ var: 'event.xdm.remindAt' }, 0] }, next: 'yes' },
      yes: { type: 'end' },
    },
    check: (j) => expect(j.trail()).toContain('p:yes:ended:end'),
  },
  'event (condition on events.<id> and the arriving event)': {
    nodes: {
      x: {
        type: 'event',
        events: [
          {
            event: 'purchase',
            condition: {
              and: [
                { '==': [{ var: 'events.signup.xdm.plan' }, 'pro'] },
                { '==': [{ var: 'event.eventConfigId' }, 'purchase'] },
              ],
            },
            next: 'yes',
          },
        ],
      },
      yes: { type: 'end' },
    },
    check: (j) => expect(j.trail()).toContain('p:yes:ended:end'),
  },
};

async function run(resume: string, reader: string): Promise<JourneyDriver> {
  d = await JourneyDriver.create();
  const j = d;
  await j.resources(...signupPurchaseWebhook());
  const r = RESUMES[resume]!;
  const x = READERS[reader]!;
  const nodes: Nodes = { ...r.nodes('x'), ...x.nodes };
  if (JSON.stringify(nodes).includes('"e"')) nodes['e'] = { type: 'end' };
  await j.publish(journey(nodes, { timeout: 'P1D' }));
  await j.event('user.signup', 'p', { plan: 'pro', remindAt: j.clock.now() + 10 * MIN });
  await r.resume(j);
  if (reader === 'wait until') await j.advance(10 * MIN);
  if (reader.startsWith('event')) await j.event('commerce.purchase', 'p', { total: 5 });
  return j;
}

describe('`event` on steps resumed without an event', () => {
  for (const resume of Object.keys(RESUMES))
    for (const reader of Object.keys(READERS))
      it(`after ${resume}: ${reader} sees the entry event`, async () => {
        const j = await run(resume, reader);
        READERS[reader]!.check(j);
      });

  it('after an event node consumed an event, a later timer step sees that event, not the entry event', async () => {
    d = await JourneyDriver.create();
    const j = d;
    await j.resources(...signupPurchaseWebhook());
    await j.publish(
      journey({
        a: {
          type: 'event',
          events: [{ event: 'purchase', condition: { '>': [{ var: 'event.xdm.total' }, 10] }, next: 'w' }],
        },
        w: { type: 'wait', duration: 'PT1M', next: 'x' },
        x: { type: 'action', action: 'webhook', params: { coupon: { var: 'event.xdm.plan' } }, next: 'e' },
        e: { type: 'end' },
      }),
    );
    await j.event('user.signup', 'p', { plan: 'entry' });
    await j.event('commerce.purchase', 'p', { total: 50, plan: 'bought' });
    // seen by the instance but not consumed (its condition fails): events.purchase moves on, `event` does not
    await j.event('commerce.purchase', 'p', { total: 1, plan: 'ignored' });
    await j.advance(MIN);
    const bodies = j.commands('http').map((c) => JSON.parse(String(c.request.body)) as { coupon: unknown });
    expect(bodies).toEqual([{ profile: null, coupon: 'bought' }]);
  });
});
