// Frequency caps and updateProfile through the real journey topology on the TopologyTestDriver, across a restart
// that rebuilds every store from its changelog.
import { describe, expect, it } from 'vitest';
import type { JourneyConfig } from '../schemas/index.js';
import { closeDriversAfterEach, DAY, HOUR, JourneyDriver, journey, welcomeDriver } from './testing/driver.js';

closeDriversAfterEach();
let d: JourneyDriver | undefined;

function mailer(id: string, eventType: string): JourneyConfig {
  return journey(
    { mail: { type: 'action', action: 'sendEmail', next: 'done' }, done: { type: 'end' } },
    { id, name: id, entry: { event: eventType }, reentrance: { allowed: true, waitPeriod: 'PT1M' }, start: 'mail' },
  );
}

describe('governance through the topology', () => {
  it('a 4th email within 7 days across 3 journeys is capped, also after a restart; the window then reopens', async () => {
    d = await welcomeDriver({}, false);
    await d.driver.pipeInput('jo.config', 'cap/email3', { id: 'email3', max: 3, window: 'P7D', channels: ['email'] });
    // signup / purchase events enter j1 / j2; j3 enters on signup too (a second live journey for the same event)
    await d.publish(mailer('j1', 'signup'));
    await d.publish(mailer('j2', 'purchase'));
    await d.publish({ ...mailer('j3', 'signup'), id: 'j3' });
    await d.event('user.signup', 'ann'); // j1 + j3: 2 emails
    await d.event('commerce.purchase', 'ann'); // j2: 3rd email
    expect(d.commands()).toHaveLength(3); // readOutput drains: later calls see only new records
    await d.advance(HOUR);
    await d.driver.restart();
    await d.event('commerce.purchase', 'ann'); // 4th within 7 days: capped
    expect(d.commands()).toHaveLength(0);
    expect(d.trail().at(-1)).toBe('ann:mail:error:frequencyCapped');
    expect(d.metric('jo_frequency_capped_total', { cap: 'email3', journey: 'j2' })).toBe(1);
    await d.advance(7 * DAY);
    await d.event('commerce.purchase', 'ann');
    expect(d.commands()).toHaveLength(1);
  });

  it('updateProfile writes the profile to jo.profiles in the step transaction; a later node sees it after a restart', async () => {
    d = await welcomeDriver({}, false);
    await d.publish({
      id: 'tier',
      name: 'Tier',
      namespace: 'email',
      entry: { event: 'signup' },
      start: 'set',
      nodes: {
        set: { type: 'updateProfile', set: { tier: 'gold' }, remove: ['firstName'], next: 'pause' },
        pause: { type: 'wait', duration: 'P1D', next: 'check' },
        check: {
          type: 'condition',
          paths: [{ when: { '==': [{ var: 'profile.tier' }, 'gold'] }, next: 'mail' }],
          otherwise: 'done',
        },
        mail: { type: 'action', action: 'sendEmail', params: { tier: { var: 'profile.tier' } }, next: 'done' },
        done: { type: 'end' },
      },
    });
    await d.event('user.signup', 'ann');
    const written = d.driver.readOutput<string, unknown>('jo.profiles');
    expect(written.map((r) => [r.key, r.value]).at(-1)).toEqual([
      'email:ann',
      { email: 'ann@example.com', tier: 'gold' },
    ]);
    await d.driver.restart();
    await d.advance(DAY);
    expect(d.trail().slice(-3)).toEqual(['ann:check:transitioned', 'ann:mail:transitioned', 'ann:done:ended:end']);
    expect(d.commands()).toHaveLength(1);
    expect(d.metric('jo_profile_updates_total')).toBe(1);
  });
});

describe('journey entry caps through the topology', () => {
  it('maxEntriesPerDay over 3 partitions admits exactly the cap, counts survive a restart, the next day admits again', async () => {
    d = await welcomeDriver({ partitions: 3 }, false);
    await d.publish({
      id: 'promo',
      name: 'Promo',
      namespace: 'email',
      entry: { event: 'signup' },
      maxEntriesPerDay: 6,
      start: 'pause',
      nodes: { pause: { type: 'wait', duration: 'P2D', next: 'done' }, done: { type: 'end' } },
    });
    const trail: string[] = []; // d.trail() drains the step topic: keep everything read so far
    const entered = () => {
      trail.push(...(d?.trail() ?? []));
      return trail.filter((t) => t.endsWith(':pause:entered')).length;
    };
    const refused = () => trail.filter((t) => t.endsWith(':$entry:discarded:maxEntriesPerDay')).length;
    for (let i = 0; i < 30; i++) await d.event('user.signup', `p${i}`);
    // 30 profiles over 3 partitions: each partition has at least 2 of them, so each admits its share (2) exactly
    expect(entered()).toBe(6);
    expect(refused()).toBe(24);
    await d.driver.restart();
    for (let i = 30; i < 40; i++) await d.event('user.signup', `p${i}`);
    expect(entered()).toBe(6);
    expect(refused()).toBe(34);
    await d.advance(DAY);
    for (let i = 40; i < 70; i++) await d.event('user.signup', `p${i}`);
    expect(entered()).toBe(12);
  });
});

describe('pause and resume through the topology', () => {
  it('halts instances while paused (also across a restart) and the resume sweep continues each exactly once', async () => {
    d = await welcomeDriver({}, false);
    await d.publish(
      journey(
        {
          pause: { type: 'wait', duration: 'PT1H', next: 'mail' },
          mail: { type: 'action', action: 'sendEmail', next: 'done' },
          done: { type: 'end' },
        },
        { id: 'promo', name: 'Promo', start: 'pause' },
      ),
    );
    await d.event('user.signup', 'ann');
    await d.pause('promo', true);
    await d.event('user.signup', 'bob');
    await d.advance(2 * HOUR); // ann's wait ended while paused: she halts before `mail`
    expect(d.commands()).toHaveLength(0);
    expect(d.trail()).toEqual(['ann:pause:entered', 'bob:$entry:discarded:journeyPaused']);
    await d.driver.restart();
    await d.advance(HOUR);
    expect(d.commands()).toHaveLength(0);
    await d.pause('promo', false);
    await d.advance(5_000); // the resume sweep runs on the wall-clock punctuator
    expect(d.trail()).toEqual(['ann:mail:transitioned', 'ann:done:ended:end']);
    expect(d.commands()).toHaveLength(1);
    await d.driver.restart();
    await d.advance(5_000); // the sweep remembers the resume: nothing twice
    expect(d.commands()).toHaveLength(0);
    expect(d.trail()).toEqual([]);
  });
});
