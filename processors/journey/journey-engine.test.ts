import { beforeEach, describe, expect, it } from 'vitest';
import { emailAction, event, Harness, journey, webhookAction, welcomeJourney } from '../testing/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('journey engine: welcome journey', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    h.actions.set('sendEmail', emailAction('http://127.0.0.1:1/ts'));
    h.profiles.set('email:ann', { firstName: 'Ann', email: 'ann@example.com' });
    h.publish(welcomeJourney);
  });

  it('sends the welcome email, waits a day (never early), then thanks on purchase', async () => {
    await h.send(event('signup', 'ann'));
    const [welcome] = h.commandsFor('ann');
    expect(welcome?.request.url).toBe('http://127.0.0.1:1/ts/welcome');
    expect(JSON.parse(welcome?.request.body ?? '')).toEqual({ email: 'ann@example.com', ctx: { firstName: 'Ann' } });
    expect(welcome?.request.headers['idempotency-key']).toBe(welcome?.commandId);
    expect(h.trail('ann')).toEqual(['email:entered', 'pause:transitioned']);
    await h.advance(DAY - 1);
    expect(h.trail('ann')).toEqual(['email:entered', 'pause:transitioned']);
    // an early purchase is not what the instance waits for
    await h.send(event('purchase', 'ann'));
    expect(h.reasons()).toContain('notWaitingForEvent');
    await h.advance(1);
    expect(h.trail('ann').at(-1)).toBe('waitPurchase:transitioned');
    await h.send(event('purchase', 'ann'));
    expect(h.trail('ann').slice(-2)).toEqual(['thanks:transitioned', 'done:ended:end']);
    expect(h.commandsFor('ann').map((c) => c.nodeId)).toEqual(['email', 'thanks']);
    expect(await h.timers.due(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
  });

  it('sends the reminder when no purchase comes before the event timeout', async () => {
    await h.send(event('signup', 'ann'));
    await h.advance(DAY);
    await h.advance(3 * DAY - 1);
    expect(h.commandsFor('ann')).toHaveLength(1);
    await h.advance(1);
    expect(h.trail('ann').slice(-4)).toEqual([
      'waitPurchase:transitioned',
      'waitPurchase:timedout:eventTimeout',
      'reminder:transitioned',
      'done:ended:end',
    ]);
    expect(h.commandsFor('ann').map((c) => c.nodeId)).toEqual(['email', 'reminder']);
    // a purchase after the timeout is too late
    await h.send(event('purchase', 'ann'));
    expect(h.commandsFor('ann')).toHaveLength(2);
  });

  it('refuses re-entrance while inside and during the wait period, then allows it', async () => {
    await h.send(event('signup', 'ann'));
    await h.send(event('signup', 'ann'));
    expect(h.trail('ann').at(-1)).toBe('$entry:discarded:reentranceNotAllowed');
    await h.advance(DAY);
    await h.advance(3 * DAY); // ends by the reminder
    expect(h.trail('ann').at(-1)).toBe('done:ended:end');
    await h.advance(HOUR - 1);
    await h.send(event('signup', 'ann'));
    expect(h.trail('ann').at(-1)).toBe('$entry:discarded:reentranceNotAllowed');
    await h.advance(1);
    await h.send(event('signup', 'ann'));
    expect(h.trail('ann').at(-2)).toBe('email:entered');
    const ids = new Set(h.out.steps.filter((s) => s.status === 'entered').map((s) => s.instanceId));
    expect(ids.size).toBe(2);
  });

  it('never re-enters when re-entrance is not allowed', async () => {
    h.publish({ ...welcomeJourney, reentrance: { allowed: false } }, 2);
    await h.send(event('signup', 'ann'));
    await h.advance(30 * DAY);
    await h.send(event('signup', 'ann'));
    expect(h.trail('ann').filter((s) => s.endsWith('entered'))).toHaveLength(1);
    expect(h.trail('ann').at(-1)).toBe('$entry:discarded:reentranceNotAllowed');
  });

  it('counts events no journey wants', async () => {
    await h.send(event('pageView', 'ann'));
    expect(h.reasons()).toEqual(['noJourneyForEvent']);
  });

  it('produces the same outputs when the same inputs are replayed', async () => {
    const run = async () => {
      const r = new Harness();
      r.actions.set('sendEmail', emailAction('http://127.0.0.1:1/ts'));
      r.publish(welcomeJourney);
      await r.send(event('signup', 'bob', {}, 'e1'));
      await r.advance(DAY);
      await r.send(event('purchase', 'bob', {}, 'e2'));
      return r.out;
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    expect(a.commands).toHaveLength(2);
  });
});

describe('journey engine: nodes', () => {
  it('waits 30 days to the millisecond', async () => {
    const h = new Harness();
    h.publish(journey({ a: { type: 'wait', duration: 'P30D', next: 'b' }, b: { type: 'end' } }, { timeout: 'P90D' }));
    await h.send(event('signup', 'x'));
    await h.advance(30 * DAY - 1);
    expect(h.trail('x')).toEqual(['a:entered']);
    await h.advance(1);
    expect(h.trail('x')).toEqual(['a:entered', 'b:ended:end']);
  });

  it('ends instances at the journey timeout (default P30D) and ignores their stale wait timer', async () => {
    const h = new Harness();
    h.publish(journey({ a: { type: 'event', events: [{ event: 'purchase', next: 'b' }] }, b: { type: 'end' } }));
    await h.send(event('signup', 'x'));
    await h.advance(30 * DAY);
    expect(h.trail('x')).toEqual(['a:entered', 'a:timedout:journeyTimeout']);
    expect(h.out.exits).toEqual([{ journeyId: 'j', version: 1, reason: 'journeyTimeout' }]);
    await h.advance(20 * DAY);
    expect(h.trail('x')).toHaveLength(2);
  });

  it('takes the first matching condition path, otherwise, or ends', async () => {
    const h = new Harness();
    h.publish(
      journey({
        a: {
          type: 'condition',
          paths: [
            { when: { '>': [{ var: 'event.xdm.total' }, 100] }, next: 'big' },
            { when: { '>': [{ var: 'event.xdm.total' }, 10] }, next: 'mid' },
          ],
          otherwise: 'small',
        },
        big: { type: 'end' },
        mid: { type: 'end' },
        small: { type: 'end' },
      }),
    );
    await h.send(event('signup', 'p', { total: 500 }));
    await h.send(event('signup', 'q', { total: 50 }));
    await h.send(event('signup', 'r', { total: 5 }));
    expect([h.trail('p').at(-1), h.trail('q').at(-1), h.trail('r').at(-1)]).toEqual([
      'big:ended:end',
      'mid:ended:end',
      'small:ended:end',
    ]);
    const g = new Harness();
    g.publish(journey({ a: { type: 'condition', paths: [{ when: false, next: 'b' }] }, b: { type: 'end' } }));
    await g.send(event('signup', 'z'));
    expect(g.trail('z')).toEqual(['a:entered', 'a:ended:noMatchingPath']);
  });

  it('splits deterministically within 2% of the weights over 10k profiles', async () => {
    const h = new Harness();
    h.publish(
      journey({
        a: {
          type: 'split',
          paths: [
            { weight: 70, next: 'x' },
            { weight: 20, next: 'y' },
            { weight: 10, next: 'z' },
          ],
        },
        x: { type: 'end' },
        y: { type: 'end' },
        z: { type: 'end' },
      }),
    );
    for (let i = 0; i < 10_000; i++) await h.send(event('signup', `u${i}`));
    const ends = h.out.steps.filter((s) => s.status === 'ended');
    const share = (n: string) => ends.filter((s) => s.nodeId === n).length / 10_000;
    expect(Math.abs(share('x') - 0.7)).toBeLessThan(0.02);
    expect(Math.abs(share('y') - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(share('z') - 0.1)).toBeLessThan(0.02);
    // the same profile always takes the same path
    const again = new Harness();
    again.publish({ ...h.version('j', 1)!.config });
    await again.send(event('signup', 'u42'));
    expect(again.trail('u42').at(-1)).toBe(h.trail('u42').at(-1));
  });

  it('waits until a json-logic time in the journey time zone', async () => {
    const h = new Harness(); // clock: 2026-01-05 12:00 UTC = 13:00 in Paris
    h.publish(
      journey(
        { a: { type: 'wait', until: { nextLocalTime: [{ var: 'now' }, '09:00'] }, next: 'b' }, b: { type: 'end' } },
        { timezone: 'Europe/Paris' },
      ),
    );
    await h.send(event('signup', 'x'));
    const [timer] = await h.timers.due(Number.MAX_SAFE_INTEGER, 10);
    expect(new Date(timer?.dueAt ?? 0).toISOString()).toBe('2026-01-06T08:00:00.000Z');
    await h.advance(20 * HOUR - 1);
    expect(h.trail('x')).toEqual(['a:entered']);
    await h.advance(1);
    expect(h.trail('x').at(-1)).toBe('b:ended:end');
  });

  it('continues at once past a wait whose until is already past, and errors on a non-time', async () => {
    const h = new Harness();
    h.publish(journey({ a: { type: 'wait', until: { var: 'event.xdm.at' }, next: 'b' }, b: { type: 'end' } }));
    await h.send(event('signup', 'x', { at: '2020-01-01T00:00:00Z' }));
    await h.send(event('signup', 'y', { at: 'soon' }));
    expect(h.trail('x')).toEqual(['a:entered', 'b:ended:end']);
    expect(h.trail('y')).toEqual(['a:entered', 'a:error:ruleFailed']);
  });

  it('honours the entry condition and the journey namespace', async () => {
    const h = new Harness();
    h.publish(
      journey(
        { a: { type: 'end' } },
        { entry: { event: 'signup', condition: { '==': [{ var: 'event.xdm.vip' }, true] } } },
      ),
    );
    await h.send(event('signup', 'x', { vip: false }));
    await h.send(event('signup', 'y', { vip: true }));
    expect(h.reasons()).toEqual(['entryConditionNotMet']);
    expect(h.trail('y')).toEqual(['a:ended:end']);
    const g = new Harness();
    g.publish(journey({ a: { type: 'end' } }, { namespace: 'crmId' }));
    await g.send(event('signup', 'x'));
    expect(g.reasons()).toEqual(['namespaceMismatch']);
  });
});

describe('journey engine: actions and data sources', () => {
  const withOnError = journey({
    a: { type: 'action', action: 'webhook', params: { coupon: 'C1' }, next: 'ok', onError: 'ko' },
    ok: { type: 'event', events: [{ event: 'purchase', next: 'bought' }] },
    ko: { type: 'end' },
    bought: { type: 'end' },
  });

  function harness(): Harness {
    const h = new Harness();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish(withOnError);
    return h;
  }

  it('renders the http command and waits for its result before continuing', async () => {
    const h = harness();
    await h.send(event('signup', 'x'));
    const [cmd] = h.commandsFor('x');
    expect(cmd?.request).toMatchObject({
      url: 'http://127.0.0.1:1/hooks/',
      method: 'POST',
      headers: { 'x-journey': 'j', 'content-type': 'application/json' },
      body: '{"profile": null, "coupon": "C1"}',
    });
    expect(h.trail('x')).toEqual(['a:entered']);
    await h.result(cmd?.commandId ?? '', 'ok', { httpStatus: 200 });
    expect(h.trail('x')).toEqual(['a:entered', 'ok:transitioned']);
  });

  it('takes onError on error, timedout and capped, with lastError set', async () => {
    for (const status of ['error', 'timedout', 'capped'] as const) {
      const h = harness();
      await h.send(event('signup', 'x'));
      await h.result(h.commandsFor('x')[0]?.commandId ?? '', status, { httpStatus: 500, error: 'boom' });
      const reason = `action${status.charAt(0).toUpperCase()}${status.slice(1)}`;
      expect(h.trail('x')).toEqual(['a:entered', `a:error:${reason}`, 'ko:ended:end']);
    }
  });

  it('takes onError on expired (the connector took the command after its deadline)', async () => {
    const h = harness();
    await h.send(event('signup', 'x'));
    await h.advance(60_000);
    await h.result(h.commandsFor('x')[0]?.commandId ?? '', 'expired', {
      attempts: 0,
      error: 'DEADLINE_EXPIRED: deadline passed before any call',
    });
    expect(h.trail('x')).toEqual(['a:entered', 'a:error:actionExpired', 'ko:ended:end']);
  });

  it('waits for the connector past the deadline; with no result for the grace period, onError without a made-up status', async () => {
    const h = harness();
    await h.send(event('signup', 'x'));
    // webhook: 1 s timeout, no retries → deadline 1 s; grace 15 min
    await h.advance(1_000 + 15 * 60_000 - 1);
    expect(h.trail('x')).toEqual(['a:entered']);
    await h.advance(1);
    expect(h.trail('x')).toEqual(['a:entered', 'a:error:actionResultMissing', 'ko:ended:end']);
    // a late result changes nothing
    await h.result(h.commandsFor('x')[0]?.commandId ?? '', 'ok');
    expect(h.reasons()).toContain('staleActionResult');
  });

  it("a throttled action's command may wait maxDelay in the queue: deadline and grace start after it", async () => {
    const h = harness();
    h.actions.set('webhook', { ...webhookAction('http://127.0.0.1:1'), throttle: { perSecond: 5, maxDelay: 'PT1H' } });
    h.publish(withOnError);
    await h.send(event('signup', 'x'));
    const cmd = h.commandsFor('x')[0];
    // webhook: 1 s timeout, no retries, plus the hour the command may wait in the connector's queue
    expect(Date.parse(cmd?.deadline ?? '') - Date.parse(cmd?.createdAt ?? '')).toBe(3_600_000 + 1_000);
    await h.advance(3_600_000 + 1_000 + 15 * 60_000 - 1);
    expect(h.trail('x')).toEqual(['a:entered']);
    await h.result(cmd?.commandId ?? '', 'ok');
    expect(h.trail('x').slice(-1)).toEqual(['ok:transitioned']);
  });

  it('continues at once after an action without onError', async () => {
    const h = new Harness();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish(journey({ a: { type: 'action', action: 'webhook', next: 'b' }, b: { type: 'end' } }));
    await h.send(event('signup', 'x'));
    expect(h.trail('x')).toEqual(['a:entered', 'b:ended:end']);
    expect(h.commandsFor('x')).toHaveLength(1);
  });

  it('queues events while a result is awaited, at most N, and replays them after it', async () => {
    const h = new Harness(undefined, { maxPendingEvents: 2 });
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish(withOnError);
    await h.send(event('signup', 'x'));
    for (let i = 0; i < 3; i++) await h.send(event('purchase', 'x'));
    expect(h.trail('x')).toEqual(['a:entered', 'a:discarded:tooManyPendingEvents']);
    await h.result(h.commandsFor('x')[0]?.commandId ?? '', 'ok');
    expect(h.trail('x').slice(-2)).toEqual(['ok:transitioned', 'bought:ended:end']);
  });

  it('fetches a data source only for the node that references it, and errors when it fails', async () => {
    const h = new Harness(async (id) => {
      if (id === 'weather') throw new Error('weather API down');
      return { points: 1000 };
    });
    h.publish(
      journey({
        a: { type: 'wait', duration: 'PT1M', next: 'b' },
        b: { type: 'condition', paths: [{ when: { '>': [{ var: 'datasources.loyalty.points' }, 500] }, next: 'c' }] },
        c: { type: 'condition', paths: [{ when: { var: 'datasources.weather.sunny' }, next: 'd' }] },
        d: { type: 'end' },
      }),
    );
    await h.send(event('signup', 'x'));
    expect(h.fetches).toEqual([]);
    await h.advance(MIN);
    expect(h.fetches).toEqual(['loyalty', 'weather']);
    expect(h.trail('x')).toEqual(['a:entered', 'b:transitioned', 'c:transitioned', 'c:error:dataSourceFailed']);
  });

  it('sends an action whose data source fails down its onError path', async () => {
    const h = new Harness(async () => {
      throw new Error('down');
    });
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish(
      journey({
        a: {
          type: 'action',
          action: 'webhook',
          params: { coupon: { var: 'datasources.coupons.next' } },
          next: 'b',
          onError: 'c',
        },
        b: { type: 'end' },
        c: { type: 'end' },
      }),
    );
    await h.send(event('signup', 'x'));
    expect(h.trail('x')).toEqual(['a:entered', 'a:error:dataSourceFailed', 'c:ended:end']);
    expect(h.commandsFor('x')).toHaveLength(0);
  });
});

describe('journey engine: versions and stop', () => {
  const v1 = journey({ w1: { type: 'wait', duration: 'P2D', next: 'end1' }, end1: { type: 'end' } }, { start: 'w1' });
  const v2 = journey({ w2: { type: 'wait', duration: 'P1D', next: 'end2' }, end2: { type: 'end' } }, { start: 'w2' });

  it('enters new profiles on the live version while running instances finish on theirs', async () => {
    const h = new Harness();
    h.publish(v1, 1);
    await h.send(event('signup', 'old'));
    h.publish(v2, 2);
    await h.send(event('signup', 'new'));
    await h.advance(2 * DAY);
    expect(h.trail('old')).toEqual(['w1:entered', 'end1:ended:end']);
    expect(h.trail('new')).toEqual(['w2:entered', 'end2:ended:end']);
    expect(h.out.steps.find((s) => s.profileKey === 'email:old')?.journeyVersion).toBe(1);
    expect(h.out.steps.find((s) => s.profileKey === 'email:new')?.journeyVersion).toBe(2);
  });

  it('stop ends every running instance of the version and silences their timers', async () => {
    const h = new Harness();
    h.publish(v1, 1);
    for (const who of ['a', 'b', 'c']) await h.send(event('signup', who));
    const o = await h.stop('j', 1);
    expect(o.steps.map((s) => `${s.profileKey}:${s.status}:${s.reason}`).sort()).toEqual([
      'email:a:ended:journeyStopped',
      'email:b:ended:journeyStopped',
      'email:c:ended:journeyStopped',
    ]);
    expect(await h.timers.due(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    await h.send(event('signup', 'd'));
    expect(h.trail('d')).toEqual([]); // counted, written only with verbose step events
    expect(h.reasons()).toContain('noJourneyForEvent');
  });
});
