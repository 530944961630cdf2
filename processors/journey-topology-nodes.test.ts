// Every node type and the rule data through the real journey topology on the TopologyTestDriver (ManualClock).
import { describe, expect, it } from 'vitest';
import type { JourneyConfig } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, HOUR, journey, JourneyDriver, MIN, SEC, welcomeDriver } from './testing/driver.js';
import { signupPurchaseWebhook } from './testing/journeys.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

describe('journey topology: nodes', () => {
  async function withJourney(cfg: JourneyConfig, setup: Parameters<typeof JourneyDriver.create>[0] = {}) {
    const j = await welcomeDriver(setup, false);
    await j.publish(cfg);
    return j;
  }

  it('waits 30 days', async () => {
    const j = await withJourney(
      journey({ a: { type: 'wait', duration: 'P30D', next: 'b' }, b: { type: 'end' } }, { timeout: 'P60D' }),
    );
    await j.event('user.signup', 'x');
    await j.advance(30 * DAY - SEC);
    expect(j.trail()).toEqual(['x:a:entered']);
    await j.advance(SEC);
    expect(j.trail()).toEqual(['x:b:ended:end']);
    expect(j.driver.metrics.observations('jo_timer_lateness_seconds').every((s) => s >= 0)).toBe(true);
  });

  it('ends an instance at the journey timeout', async () => {
    const j = await withJourney(
      journey(
        { a: { type: 'event', events: [{ event: 'purchase', next: 'b' }] }, b: { type: 'end' } },
        { timeout: 'P2D' },
      ),
    );
    await j.event('user.signup', 'x');
    await j.advance(2 * DAY);
    expect(j.trail()).toEqual(['x:a:entered', 'x:a:timedout:journeyTimeout']);
    await j.event('commerce.purchase', 'x');
    expect(j.trail()).toEqual([]); // counted, written only with verbose step events
    expect(j.metric('jo_events_discarded_total', { reason: 'noJourneyForEvent', journey: '' })).toBe(1);
  });

  it('routes conditions (first match, otherwise, no match ends) and splits deterministically', async () => {
    const j = await withJourney(
      journey({
        a: {
          type: 'condition',
          paths: [
            { when: { '>': [{ var: 'event.xdm.total' }, 100] }, next: 'big' },
            { when: { '==': [{ var: 'profile.tier' }, 'gold'] }, next: 's' },
          ],
        },
        big: { type: 'end' },
        s: {
          type: 'split',
          paths: [
            { weight: 1, next: 'left' },
            { weight: 1, next: 'right' },
          ],
        },
        left: { type: 'end' },
        right: { type: 'end' },
      }),
    );
    await j.profile('g', { tier: 'gold' });
    await j.event('user.signup', 'x', { total: 500 });
    await j.event('user.signup', 'g', { total: 5 });
    await j.event('user.signup', 'n', { total: 5 });
    const t = j.trail();
    expect(t).toContain('x:big:ended:end');
    expect(t.filter((s) => s.startsWith('g:')).at(-1)).toMatch(/^g:(left|right):ended:end$/);
    expect(t).toContain('n:a:ended:noMatchingPath');
  });

  it('splits 10k profiles within 2% of the weights', async () => {
    const j = await withJourney(
      journey({
        a: {
          type: 'split',
          paths: [
            { weight: 3, next: 'x' },
            { weight: 1, next: 'y' },
          ],
        },
        x: { type: 'end' },
        y: { type: 'end' },
      }),
    );
    for (let i = 0; i < 10_000; i++) await j.event('user.signup', `p${i}`);
    const ends = j.steps().filter((s) => s.status === 'ended');
    expect(ends).toHaveLength(10_000);
    const x = ends.filter((s) => s.nodeId === 'x').length / 10_000;
    expect(Math.abs(x - 0.75)).toBeLessThan(0.02);
  }, 120_000);

  it('waits until a json-logic time in the journey time zone', async () => {
    // driver clock: 2026-01-01T00:00Z = 09:00 in Tokyo; next 18:00 Tokyo = 09:00Z
    const j = await withJourney(
      journey(
        { a: { type: 'wait', until: { nextLocalTime: [{ var: 'now' }, '18:00'] }, next: 'b' }, b: { type: 'end' } },
        { timezone: 'Asia/Tokyo' },
      ),
    );
    await j.event('user.signup', 'x');
    await j.advance(9 * HOUR - SEC);
    expect(j.trail()).toEqual(['x:a:entered']);
    await j.advance(SEC);
    expect(j.trail()).toEqual(['x:b:ended:end']);
  });

  it('waits for an action result and branches on it; a result missing for the grace period takes onError', async () => {
    const j = await withJourney(
      journey({
        a: { type: 'action', action: 'webhook', params: { coupon: 'C' }, next: 'ok', onError: 'ko' },
        ok: { type: 'end' },
        ko: { type: 'end' },
      }),
    );
    for (const who of ['good', 'bad', 'silent']) await j.event('user.signup', who);
    const cmds = j.commands('http');
    expect(cmds.map((c) => c.request.url)).toEqual([
      'http://127.0.0.1:9/hooks/',
      'http://127.0.0.1:9/hooks/',
      'http://127.0.0.1:9/hooks/',
    ]);
    j.steps();
    await j.result(cmds[0]!, 'ok', { httpStatus: 200 });
    await j.result(cmds[1]!, 'error', { httpStatus: 500, error: 'boom' });
    expect(j.trail()).toEqual(['good:ok:ended:end', 'bad:a:error:actionError', 'bad:ko:ended:end']);
    await j.advance(MIN);
    expect(j.trail()).toEqual([]); // past the deadline: the connector may still come back and say what happened
    await j.advance(15 * MIN);
    expect(j.trail()).toEqual(['silent:a:error:actionResultMissing', 'silent:ko:ended:end']);
    // a late or unknown result is discarded, not an error
    await j.result(cmds[2]!, 'ok');
    expect(j.trail()).toEqual([]);
    expect(j.metric('jo_events_discarded_total', { reason: 'staleActionResult', journey: 'j' })).toBe(1);
  });

  it('fetches a custom data source only for the node that reads it; a failing one ends with an error step', async () => {
    const calls: string[] = [];
    const j = await withJourney(
      journey({
        a: { type: 'wait', duration: 'PT1M', next: 'b' },
        b: { type: 'condition', paths: [{ when: { '>': [{ var: 'datasources.loyalty.points' }, 10] }, next: 'c' }] },
        c: { type: 'end' },
      }),
      {
        fetchDatasource: async (ds, data) => {
          const who = (data as { profileKey: string }).profileKey;
          calls.push(`${ds.id}:${who}`);
          if (who === 'email:down') throw new Error('loyalty API down');
          return { points: 50 };
        },
      },
    );
    await j.resources({
      kind: 'datasource',
      value: { id: 'loyalty', type: 'http', url: 'http://127.0.0.1:9/l/{{profileKey}}', method: 'GET' },
    });
    await j.publish(
      journey({
        a: { type: 'wait', duration: 'PT1M', next: 'b' },
        b: { type: 'condition', paths: [{ when: { '>': [{ var: 'datasources.loyalty.points' }, 10] }, next: 'c' }] },
        c: { type: 'end' },
      }),
    );
    await j.event('user.signup', 'up');
    await j.event('user.signup', 'down');
    expect(calls).toEqual([]);
    j.steps();
    await j.advance(MIN);
    expect(calls.sort()).toEqual(['loyalty:email:down', 'loyalty:email:up']);
    expect(j.trail().sort()).toEqual([
      'down:b:error:dataSourceFailed',
      'down:b:transitioned',
      'up:b:transitioned',
      'up:c:ended:end',
    ]);
  });
});

describe('journey topology: rule data and conditions', () => {
  it('gives rules event, events.<id>, profile, actions.<nodeId> and journey; entry and event conditions filter', async () => {
    d = await JourneyDriver.create({ limits: { maxPendingEvents: 1 } });
    const j = d;
    await j.resources(...signupPurchaseWebhook());
    await j.publish(
      journey(
        {
          a: {
            type: 'action',
            action: 'webhook',
            params: { coupon: { var: 'event.xdm.plan' } },
            next: 'b',
            onError: 'no',
          },
          b: {
            type: 'event',
            events: [{ event: 'purchase', condition: { '>': [{ var: 'event.xdm.total' }, 10] }, next: 'c' }],
          },
          c: {
            type: 'condition',
            paths: [
              {
                when: {
                  and: [
                    { '==': [{ var: 'actions.a.httpStatus' }, 201] },
                    { '==': [{ var: 'events.signup.xdm.plan' }, 'pro'] },
                    { '==': [{ var: 'profile.tier' }, 'gold'] },
                    { '==': [{ var: 'journey.version' }, 1] },
                    { '==': [{ var: 'journey.currentNode' }, 'c'] },
                    { '>=': [{ var: 'now' }, { var: 'journey.enteredAt' }] },
                  ],
                },
                next: 'yes',
              },
            ],
            otherwise: 'no',
          },
          yes: { type: 'end' },
          no: { type: 'end' },
        },
        { entry: { event: 'signup', condition: { '!=': [{ var: 'event.xdm.plan' }, 'free'] } } },
      ),
    );
    await j.profile('x', { tier: 'gold' });
    await j.event('user.signup', 'f', { plan: 'free' });
    expect(j.trail()).toEqual([]); // counted, written only with verbose step events
    expect(j.metric('jo_events_discarded_total', { reason: 'entryConditionNotMet', journey: 'j' })).toBe(1);
    await j.event('user.signup', 'x', { plan: 'pro' });
    const [cmd] = j.commands('http');
    expect(JSON.parse(cmd?.request.body ?? '')).toEqual({ profile: null, coupon: 'pro' });
    // one event may wait for the result; the second is one too many
    await j.event('commerce.purchase', 'x', { total: 50 });
    await j.event('commerce.purchase', 'x', { total: 60 });
    expect(j.trail()).toEqual(['x:a:entered', 'x:a:discarded:tooManyPendingEvents']);
    await j.result(cmd!, 'ok', { httpStatus: 201 });
    expect(j.trail()).toEqual(['x:b:transitioned', 'x:c:transitioned', 'x:yes:ended:end']);
  });

  it('continues an event node only on an event that passes its condition', async () => {
    const j = await welcomeDriver({}, false);
    await j.publish(
      journey({
        a: {
          type: 'event',
          events: [{ event: 'purchase', condition: { '>': [{ var: 'event.xdm.total' }, 10] }, next: 'b' }],
        },
        b: { type: 'end' },
      }),
    );
    await j.event('user.signup', 'x');
    await j.event('commerce.purchase', 'x', { total: 5 });
    expect(j.trail()).toEqual(['x:a:entered', 'x:a:discarded:eventConditionNotMet']);
    expect(j.metric('jo_events_discarded_total', { reason: 'eventConditionNotMet', journey: 'j' })).toBe(1);
    await j.event('commerce.purchase', 'x', { total: 50 });
    expect(j.trail()).toEqual(['x:b:ended:end']);
  });
});
