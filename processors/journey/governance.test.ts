import { beforeEach, describe, expect, it } from 'vitest';
import type { CapConfig, JourneyConfig } from '../../schemas/index.js';
import { InMemoryKeyValueStore } from '../../topology/index.js';
import { emailAction, event, Harness, journey, webhookAction } from '../testing/index.js';
import { StoreFrequencyLedger, type SendRecord } from './frequency-ledger.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Journey `id` entered by `entryEvent`: sends one email, then ends (or takes `onError` to `fallback`). */
function mailer(id: string, entryEvent: string, withFallback = false): JourneyConfig {
  return journey(
    {
      mail: {
        type: 'action',
        action: 'sendEmail',
        params: { journey: id },
        next: 'done',
        ...(withFallback ? { onError: 'fallback' } : {}),
      },
      ...(withFallback ? { fallback: { type: 'action' as const, action: 'webhook', next: 'done' } } : {}),
      done: { type: 'end' },
    },
    { id, name: id, entry: { event: entryEvent }, reentrance: { allowed: true, waitPeriod: 'PT1M' }, start: 'mail' },
  );
}

describe('frequency caps across journeys', () => {
  const caps: CapConfig[] = [];
  let sends: InMemoryKeyValueStore<SendRecord[]>;
  let h: Harness;
  beforeEach(() => {
    // each test starts from this cap (one test replaces it): the tests pass in any order
    caps.splice(0, caps.length, { id: 'email3per7d', max: 3, window: 'P7D', channels: ['email'] });
    sends = new InMemoryKeyValueStore<SendRecord[]>('sends');
    h = new Harness(undefined, {}, new StoreFrequencyLedger(sends, () => caps));
    h.actions.set('sendEmail', emailAction('http://127.0.0.1:1/ts'));
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    for (const [id, ev] of [
      ['j1', 'a'],
      ['j2', 'b'],
      ['j3', 'c'],
      ['j4', 'd'],
    ] as const)
      h.publish(mailer(id, ev, id === 'j4'));
  });

  it('caps the 4th email within the window across 3 journeys; the capped node takes onError, no command', async () => {
    await h.send(event('a', 'ann'));
    await h.send(event('b', 'ann'));
    await h.send(event('c', 'ann'));
    expect(h.commandsFor('ann').map((c) => c.action)).toEqual(['sendEmail', 'sendEmail', 'sendEmail']);
    await h.advance(DAY);
    await h.send(event('d', 'ann')); // 4th email in 7 days: capped, fallback webhook instead
    expect(h.commandsFor('ann').map((c) => c.action)).toEqual(['sendEmail', 'sendEmail', 'sendEmail', 'webhook']);
    expect(h.trail('ann').slice(-4)).toEqual([
      'mail:entered',
      'mail:error:frequencyCapped',
      'fallback:transitioned',
      'done:ended:end',
    ]);
    expect(h.out.commands.at(-1)?.command.journeyId).toBe('j4');
    expect(h.out.capped).toEqual([{ cap: 'email3per7d', journeyId: 'j4' }]);
    // another profile is not affected
    await h.send(event('a', 'bob'));
    expect(h.commandsFor('bob').map((c) => c.action)).toEqual(['sendEmail']);
  });

  it('without onError the instance ends with an error step; after the window the email goes out again', async () => {
    await h.send(event('a', 'ann'));
    await h.send(event('b', 'ann'));
    await h.send(event('c', 'ann'));
    await h.advance(HOUR);
    await h.send(event('b', 'ann'));
    expect(h.trail('ann').at(-1)).toBe('mail:error:frequencyCapped');
    expect(h.commandsFor('ann')).toHaveLength(3);
    await h.advance(7 * DAY);
    await h.send(event('b', 'ann'));
    expect(h.commandsFor('ann')).toHaveLength(4);
  });

  it('counts survive a restart: the ledger lives in the (change-logged) store, not in the engine', async () => {
    await h.send(event('a', 'ann'));
    await h.send(event('b', 'ann'));
    await h.send(event('c', 'ann'));
    const h2 = new Harness(undefined, {}, new StoreFrequencyLedger(sends, () => caps));
    h2.clock.set(h.clock.now() + HOUR);
    h2.actions.set('sendEmail', emailAction('http://127.0.0.1:1/ts'));
    h2.publish(mailer('j2', 'b'));
    await h2.send(event('b', 'ann'));
    expect(h2.commandsFor('ann')).toHaveLength(0);
    expect(h2.trail('ann').at(-1)).toBe('mail:error:frequencyCapped');
  });

  it('a cap on other channels or actions does not count these sends', async () => {
    caps.splice(0, 1, { id: 'sms1', max: 1, window: 'P1D', channels: ['sms'] });
    for (let i = 0; i < 4; i++) {
      await h.send(event('a', 'ann'));
      await h.advance(HOUR);
    }
    expect(h.commandsFor('ann')).toHaveLength(4);
  });
});

describe('updateProfile node', () => {
  it('sets and removes attributes, visible to the next node of the same evaluation and to later inputs', async () => {
    const h = new Harness();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.profiles.set('email:ann', { id: 1, tier: 'silver', temp: 'x' });
    h.publish({
      id: 'upgrade',
      name: 'Upgrade',
      namespace: 'email',
      entry: { event: 'signup' },
      start: 'set',
      nodes: {
        set: {
          type: 'updateProfile',
          set: { tier: 'gold', 'loyalty.points': { '+': [{ var: 'event.xdm.points' }, 10] } },
          remove: ['temp'],
          next: 'check',
        },
        check: {
          type: 'condition',
          paths: [{ when: { '==': [{ var: 'profile.tier' }, 'gold'] }, next: 'call' }],
          otherwise: 'done',
        },
        call: {
          type: 'action',
          action: 'webhook',
          params: { coupon: { var: 'profile.loyalty.points' } },
          next: 'done',
        },
        done: { type: 'end' },
      },
    });
    await h.send(event('signup', 'ann', { points: 5 }));
    expect(h.trail('ann')).toEqual(['set:entered', 'check:transitioned', 'call:transitioned', 'done:ended:end']);
    expect(h.profiles.get('email:ann')).toEqual({ id: 1, tier: 'gold', loyalty: { points: 15 } });
    expect(JSON.parse(h.commandsFor('ann')[0]?.request.body ?? '')).toEqual({ profile: 1, coupon: 15 });
    expect(h.out.profileUpdates).toEqual([
      { profileKey: 'email:ann', profile: { id: 1, tier: 'gold', loyalty: { points: 15 } } },
    ]);
  });
});

describe('jump node', () => {
  const target = journey(
    { call: { type: 'action', action: 'webhook', next: 'done' }, done: { type: 'end' } },
    {
      id: 'target',
      name: 'Target',
      entry: { event: 'never', condition: { '==': [{ var: 'profile.ok' }, true] } },
      start: 'call',
    },
  );
  const source = journey(
    { go: { type: 'jump', journey: 'target', next: 'done' }, done: { type: 'end' } },
    { id: 'source', name: 'Source', start: 'go' },
  );

  it('enters the profile into the target journey with steps on both sides; the entry condition applies', async () => {
    const h = new Harness();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish(target);
    h.publish(source);
    h.profiles.set('email:ann', { id: 1, ok: true });
    h.profiles.set('email:bob', { id: 2, ok: false });
    await h.send(event('signup', 'ann'));
    await h.send(event('signup', 'bob'));
    const ann = h.out.steps
      .filter((s) => s.profileKey === 'email:ann')
      .map((s) => `${s.journeyId}/${s.nodeId}:${s.status}`);
    expect(ann).toEqual(['source/go:entered', 'source/done:ended', 'target/call:entered', 'target/done:ended']);
    expect(h.commandsFor('ann').map((c) => c.journeyId)).toEqual(['target']);
    expect(h.commandsFor('bob')).toEqual([]);
    expect(h.reasons()).toContain('entryConditionNotMet'); // counted; a step record only in verbose mode
  });

  it('a target that is not live is a discard, and the source instance continues', async () => {
    const h = new Harness();
    h.publish(source);
    await h.send(event('signup', 'ann'));
    expect(h.reasons()).toContain('jumpTargetNotLive');
    expect(h.trail('ann')).toEqual(['go:entered', 'done:ended:end']);
  });
});

describe('entry window', () => {
  it('refuses entries before startAt and from endAt on; a running instance still finishes', async () => {
    const h = new Harness();
    const t0 = h.clock.now();
    h.actions.set('webhook', webhookAction('http://127.0.0.1:1'));
    h.publish({
      id: 'promo',
      name: 'Promo',
      namespace: 'email',
      entry: { event: 'signup' },
      startAt: new Date(t0 + HOUR).toISOString(),
      endAt: new Date(t0 + 2 * HOUR).toISOString(),
      start: 'pause',
      nodes: {
        pause: { type: 'wait', duration: 'PT3H', next: 'call' },
        call: { type: 'action', action: 'webhook', next: 'done' },
        done: { type: 'end' },
      },
    });
    await h.send(event('signup', 'ann'));
    expect(h.trail('ann')).toEqual(['$entry:discarded:outsideEntryWindow']);
    await h.advance(HOUR);
    await h.send(event('signup', 'bob'));
    expect(h.trail('bob')).toEqual(['pause:entered']);
    await h.advance(HOUR);
    await h.send(event('signup', 'cid'));
    expect(h.trail('cid')).toEqual(['$entry:discarded:outsideEntryWindow']);
    await h.advance(2 * HOUR);
    expect(h.trail('bob')).toEqual(['pause:entered', 'call:transitioned', 'done:ended:end']);
  });
});
