// Exit criteria and goals (issue 16 point 1) on the real topology (TopologyTestDriver, ManualClock).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionConfig, DataSourceConfig, EventConfig, JourneyConfig } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, HOUR, journey, JourneyDriver, MIN, welcomeDriver } from './testing/driver.js';
import { webhookAction } from './testing/journeys.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

async function withJourney(config: JourneyConfig): Promise<JourneyDriver> {
  d = await welcomeDriver({}, false);
  await d.resources({ kind: 'action', value: webhookAction('http://127.0.0.1:9') });
  await d.publish(config);
  return d;
}

const waitThenHook = (extra: Partial<JourneyConfig>) =>
  journey(
    {
      a: { type: 'wait', duration: 'P1D', next: 'b' },
      b: { type: 'action', action: 'webhook', next: 'c' },
      c: { type: 'end' },
    },
    extra,
  );

describe('exit criteria', () => {
  it('end an instance waiting on a wait node: one ended/exitCriteria step, its timer stale, no command', async () => {
    const j = await withJourney(waitThenHook({ exit: [{ event: 'purchase' }] }));
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:a:entered']);
    await j.event('commerce.purchase', 'x');
    expect(j.trail()).toEqual(['x:a:ended:exitCriteria']);
    expect(j.metric('jo_journey_exits_total', { journey: 'j', version: 1, reason: 'exitCriteria' })).toBe(1);
    await j.advance(2 * DAY);
    expect(j.trail()).toEqual([]);
    expect(j.commands('http')).toEqual([]);
    expect(j.metric('jo_timers_pending', { partition: 0 }) + j.metric('jo_timers_pending', { partition: 1 })).toBe(0);
  });

  it('end an instance on an event node when the exit condition holds; otherwise the event continues it', async () => {
    const config = journey(
      {
        a: {
          type: 'event',
          events: [{ event: 'purchase', condition: { '<': [{ var: 'event.xdm.total' }, 100] }, next: 'b' }],
          timeout: 'P2D',
          onTimeout: 'b',
        },
        b: { type: 'action', action: 'webhook', next: 'c' },
        c: { type: 'end' },
      },
      { exit: [{ event: 'purchase', condition: { '>=': [{ var: 'event.xdm.total' }, 100] } }] },
    );
    const j = await withJourney(config);
    await j.event('user.signup', 'big');
    await j.event('user.signup', 'small');
    j.steps();
    await j.event('commerce.purchase', 'big', { total: 150 });
    await j.event('commerce.purchase', 'small', { total: 20 });
    expect(j.trail()).toEqual(['big:a:ended:exitCriteria', 'small:b:transitioned', 'small:c:ended:end']);
    expect(j.commands('http').map((c) => c.profileKey)).toEqual(['email:small']);
    await j.advance(3 * DAY); // big's event timeout is stale
    expect(j.trail()).toEqual([]);
    expect(j.commands('http')).toEqual([]);
  });

  it('end an instance waiting for an action result; the late result is ignored and counted as discarded', async () => {
    const config = journey(
      {
        a: { type: 'action', action: 'webhook', next: 'b', onError: 'b' },
        b: { type: 'action', action: 'webhook', next: 'c' },
        c: { type: 'end' },
      },
      { exit: [{ event: 'purchase' }] },
    );
    const j = await withJourney(config);
    await j.event('user.signup', 'x');
    const [cmd] = j.commands('http');
    if (!cmd) throw new Error('no command');
    j.steps();
    await j.event('commerce.purchase', 'x');
    expect(j.trail()).toEqual(['x:a:ended:exitCriteria']);
    await j.result(cmd, 'ok');
    expect(j.trail()).toEqual([]);
    expect(j.commands('http')).toEqual([]);
    expect(j.metric('jo_events_discarded_total', { reason: 'staleActionResult', journey: 'j' })).toBe(1);
  });

  it('an exit event that is also the entry event ends the running instance and does not re-enter with it', async () => {
    const j = await withJourney(
      waitThenHook({ exit: [{ event: 'signup' }], reentrance: { allowed: true, waitPeriod: 'PT1M' } }),
    );
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:a:entered']);
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:a:ended:exitCriteria']);
    await j.advance(MIN);
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:a:entered']);
    expect(j.metric('jo_journey_entries_total', { journey: 'j', version: 1 })).toBe(2);
  });

  it('re-entrance after an exit follows the re-entrance rules (wait period from the exit)', async () => {
    const j = await withJourney(
      waitThenHook({ exit: [{ event: 'purchase' }], reentrance: { allowed: true, waitPeriod: 'PT1H' } }),
    );
    await j.event('user.signup', 'x');
    await j.advance(10 * MIN);
    await j.event('commerce.purchase', 'x');
    j.steps();
    await j.advance(HOUR - MIN);
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:$entry:discarded:reentranceNotAllowed']);
    await j.advance(MIN);
    await j.event('user.signup', 'x');
    expect(j.trail()).toEqual(['x:a:entered']);
  });
});

describe('goals', () => {
  it('without exit: a goal step once, counted, and the journey goes on', async () => {
    const j = await withJourney(waitThenHook({ goal: { event: 'purchase' } }));
    await j.event('user.signup', 'x');
    j.steps();
    await j.event('commerce.purchase', 'x');
    expect(j.trail()).toEqual(['x:a:goal']);
    await j.event('commerce.purchase', 'x');
    expect(j.trail()).toEqual(['x:a:discarded:notWaitingForEvent']);
    expect(j.metric('jo_journey_goals_total', { journey: 'j', version: 1 })).toBe(1);
    await j.advance(DAY);
    expect(j.commands('http').map((c) => c.nodeId)).toEqual(['b']);
    expect(j.trail()).toEqual(['x:b:transitioned', 'x:c:ended:end']);
  });

  it('with exit: a goal step then ended/goalReached, no command after', async () => {
    const j = await withJourney(
      waitThenHook({ goal: { event: 'purchase', condition: { '>': [{ var: 'event.xdm.total' }, 0] }, exit: true } }),
    );
    await j.event('user.signup', 'x');
    j.steps();
    await j.event('commerce.purchase', 'x', { total: 0 });
    expect(j.trail()).toEqual(['x:a:discarded:notWaitingForEvent']);
    await j.event('commerce.purchase', 'x', { total: 5 });
    const [rec, ...rest] = j.stepRecords();
    expect(rest).toEqual([]);
    expect(rec?.steps.map((s) => `${s.nodeId}:${s.status}:${s.reason ?? ''}`)).toEqual([
      'a:goal:',
      'a:ended:goalReached',
    ]);
    await j.advance(2 * DAY);
    expect(j.commands('http')).toEqual([]);
    expect(j.metric('jo_journey_goals_total', { journey: 'j', version: 1 })).toBe(1);
    expect(j.metric('jo_journey_exits_total', { journey: 'j', version: 1, reason: 'goalReached' })).toBe(1);
  });

  it('the cart example of docs/api.md: a purchase during the first wait → no reminder', async () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'api.md'), 'utf8');
    const bodies = [...doc.matchAll(/-X PUT \$API\/v1\/(events|datasources|actions)\/\w+ -d '(\{[^']*\})'/g)];
    const journeyText = /cat > cart-journey\.json <<'JSON'\n([\s\S]*?)\nJSON/.exec(doc)?.[1];
    if (!journeyText || bodies.length < 5) throw new Error('the cart example is not in docs/api.md any more');
    d = await JourneyDriver.create({ fetchDatasource: () => Promise.resolve({ tier: 'gold' }) });
    const j = d;
    const kinds = { events: 'event', datasources: 'datasource', actions: 'action' } as const;
    for (const [, kind, body] of bodies)
      await j.resources({
        kind: kinds[kind as keyof typeof kinds],
        value: JSON.parse(body ?? '') as EventConfig | DataSourceConfig | ActionConfig,
      });
    await j.publish(JSON.parse(journeyText) as JourneyConfig);
    const cart = { commerce: { cart: { total: 42 } } };
    await j.event('commerce.cartAbandoned', 'buyer', cart);
    await j.event('commerce.cartAbandoned', 'browser', cart);
    await j.advance(30 * MIN);
    await j.event('commerce.purchases', 'buyer');
    await j.advance(30 * MIN); // wait1 over
    await j.advance(DAY); // waitDay over
    const sent = [...j.commands('http'), ...j.commands('campaign')].map((c) => `${c.profileKey}:${c.nodeId}`);
    expect(sent).toEqual(['email:browser:email']);
    expect(j.trail().filter((t) => t.startsWith('buyer:'))).toEqual([
      'buyer:wait1:entered',
      'buyer:wait1:goal',
      'buyer:wait1:ended:goalReached',
    ]);
  });
});

describe('manual exit (control records on jo.controls)', () => {
  it('ends the running instance once (ended/manualExit), no command after, idempotent when repeated', async () => {
    const j = await withJourney(waitThenHook({}));
    await j.event('user.signup', 'x');
    await j.event('user.signup', 'y');
    j.steps();
    await j.exit('x', 'j', 'ctl-1');
    const [rec, ...rest] = j.stepRecords();
    expect(rest).toEqual([]);
    expect(rec).toMatchObject({ profileKey: 'email:x', cause: { type: 'control', id: 'ctl-1' } });
    expect(rec?.steps.map((s) => `${s.nodeId}:${s.status}:${s.reason ?? ''}`)).toEqual(['a:ended:manualExit']);
    await j.exit('x', 'j', 'ctl-2');
    expect(j.stepRecords()).toEqual([]);
    expect(j.metric('jo_events_discarded_total', { reason: 'noRunningInstance', journey: 'j' })).toBe(1);
    expect(j.metric('jo_journey_exits_total', { journey: 'j', version: 1, reason: 'manualExit' })).toBe(1);
    await j.advance(DAY);
    expect(j.commands('http').map((c) => c.profileKey)).toEqual(['email:y']);
  });
});
