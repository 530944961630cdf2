// The journey topology on the TopologyTestDriver (ManualClock): welcome journey, restart, versions, stop, timers, DLQ.
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../topology/index.js';
import { InvalidTimerRecord, timerKey } from './journey/index.js';
import { STORES } from './topology-options.js';
import { closeDriversAfterEach, DAY, HOUR, journey, SEC, welcomeDriver } from './testing/driver.js';

closeDriversAfterEach();

describe('journey topology: welcome journey from unkeyed events', () => {
  it('emails on signup, waits a day (never early), thanks on purchase; outputs keyed and partitioned by profile', async () => {
    const j = await welcomeDriver();
    await j.event('user.signup', 'ann');
    const [cmd] = j.commands();
    expect(cmd).toMatchObject({
      journeyId: 'welcome',
      journeyVersion: 1,
      nodeId: 'email',
      profileKey: 'email:ann',
      action: 'sendEmail',
      connector: { channel: 'email', email: 'ann@example.com', ctx: { firstName: 'Ann' } },
    });
    expect(j.trail()).toEqual(['ann:email:entered', 'ann:pause:transitioned']);
    await j.advance(DAY - SEC);
    expect(j.trail()).toEqual([]);
    await j.advance(SEC);
    expect(j.trail()).toEqual(['ann:waitPurchase:transitioned']);
    await j.event('commerce.purchase', 'ann');
    const raw = j.driver.readOutput<string>('jo.commands.campaign');
    expect(raw.map((r) => [r.key, r.partition])).toEqual([['email:ann', partitionForKey(Buffer.from('email:ann'), 3)]]);
    expect(j.trail()).toEqual(['ann:thanks:transitioned', 'ann:done:ended:end']);
    expect(j.metric('jo_journey_entries_total', { journey: 'welcome', version: 1 })).toBe(1);
    expect(j.metric('jo_journey_exits_total', { journey: 'welcome', version: 1, reason: 'end' })).toBe(1);
    expect(j.metric('jo_journey_active_instances', { journey: 'welcome', version: 1 })).toBe(0);
  });

  it('reads the latest profile from jo.profiles, and none after a tombstone', async () => {
    const j = await welcomeDriver();
    await j.profile('ann', { firstName: 'Annie', email: 'annie@example.com' });
    await j.event('user.signup', 'ann');
    await j.profile('bob', { firstName: 'Bob' });
    await j.profile('bob', null);
    await j.event('user.signup', 'bob');
    expect(j.commands().map((c) => c.connector)).toEqual([
      { channel: 'email', eventType: 'welcome', email: 'annie@example.com', ctx: { firstName: 'Annie' } },
      { channel: 'email', eventType: 'welcome', ctx: { firstName: '' } },
    ]);
  });

  it('sends the reminder when the purchase does not come before the event timeout', async () => {
    const j = await welcomeDriver();
    await j.event('user.signup', 'ann');
    await j.advance(DAY);
    j.commands();
    await j.advance(3 * DAY - SEC);
    expect(j.commands()).toEqual([]);
    j.steps();
    await j.advance(SEC);
    expect(j.commands().map((c) => c.nodeId)).toEqual(['reminder']);
    expect(j.trail()).toEqual([
      'ann:waitPurchase:timedout:eventTimeout',
      'ann:reminder:transitioned',
      'ann:done:ended:end',
    ]);
    expect(j.metric('jo_timers_fired_total', { kind: 'eventTimeout' })).toBe(1);
  });

  it('refuses re-entrance inside the wait period with a discarded step event, then allows it', async () => {
    const j = await welcomeDriver();
    await j.event('user.signup', 'ann');
    await j.advance(DAY);
    await j.advance(3 * DAY); // reminder, end
    j.steps();
    await j.advance(HOUR - SEC); // waitPeriod PT1H
    await j.event('user.signup', 'ann');
    expect(j.trail()).toEqual(['ann:$entry:discarded:reentranceNotAllowed']);
    expect(j.metric('jo_events_discarded_total', { reason: 'reentranceNotAllowed', journey: 'welcome' })).toBe(1);
    await j.advance(SEC);
    await j.event('user.signup', 'ann');
    expect(j.trail()).toEqual(['ann:email:entered', 'ann:pause:transitioned']);
  });

  it('produces the same outputs when the engine restarts mid-journey (stores restored from changelogs)', async () => {
    const run = async (restart: boolean) => {
      const j = await welcomeDriver();
      await j.event('user.signup', 'ann');
      await j.event('user.signup', 'bob');
      await j.advance(DAY);
      if (restart) await j.driver.restart({ freshMetrics: true });
      // counted from the restored state, not from entries seen since the (re)start
      const active = () => j.metric('jo_journey_active_instances', { journey: 'welcome', version: 1 });
      expect(active()).toBe(2);
      await j.event('commerce.purchase', 'ann');
      await j.advance(3 * DAY);
      expect(active()).toBe(0);
      const out = { commands: j.commands(), steps: j.steps() };
      await j.close();
      return out;
    };
    const straight = await run(false);
    const restarted = await run(true);
    expect(restarted).toEqual(straight);
    expect(straight.commands.map((c) => `${c.profileKey}:${c.nodeId}`)).toEqual([
      'email:ann:email',
      'email:bob:email',
      'email:ann:thanks',
      'email:bob:reminder',
    ]);
    expect(new Set(straight.commands.map((c) => c.commandId)).size).toBe(4);
  });
});

describe('journey topology: versions and stop', () => {
  const v1 = journey({ w1: { type: 'wait', duration: 'P2D', next: 'e1' }, e1: { type: 'end' } }, { start: 'w1' });
  const v2 = journey({ w2: { type: 'wait', duration: 'P1D', next: 'e2' }, e2: { type: 'end' } }, { start: 'w2' });

  it('enters on the live version while running instances finish on theirs', async () => {
    const j = await welcomeDriver({}, false);
    await j.publish(v1);
    await j.event('user.signup', 'old');
    await j.publish(v2);
    await j.event('user.signup', 'new');
    await j.advance(2 * DAY);
    const steps = j.steps().map((s) => `${s.profileKey}:${s.nodeId}:${s.status}:v${s.journeyVersion}`);
    expect(steps.slice(0, 2)).toEqual(['email:old:w1:entered:v1', 'email:new:w2:entered:v2']);
    expect(steps.slice(2).sort()).toEqual(['email:new:e2:ended:v2', 'email:old:e1:ended:v1']);
  });

  it('stop ends every running instance of the version with journeyStopped, and their timers fire no more', async () => {
    const j = await welcomeDriver({}, false);
    const v = await j.publish(v1);
    for (const who of ['a', 'b', 'c', 'd']) await j.event('user.signup', who);
    j.steps();
    await j.stop('j', v);
    await j.advance(SEC);
    expect(j.trail().sort()).toEqual([
      'a:w1:ended:journeyStopped',
      'b:w1:ended:journeyStopped',
      'c:w1:ended:journeyStopped',
      'd:w1:ended:journeyStopped',
    ]);
    await j.advance(3 * DAY);
    expect(j.trail()).toEqual([]);
    await j.event('user.signup', 'e');
    expect(j.trail()).toEqual([]);
    expect(j.metric('jo_events_discarded_total', { reason: 'noJourneyForEvent', journey: '' })).toBe(1);
  });
});

describe('journey topology: timers', () => {
  it('writes to jo.timers (the timer index changelog) only timers that outlive their step', async () => {
    const j = await welcomeDriver({}, false);
    await j.publish(journey({ a: { type: 'wait', duration: 'PT1H', next: 'b' }, b: { type: 'end' } }));
    await j.event('user.signup', 'waits');
    const kindOfKey = new Map<string, string>();
    const timers = () =>
      j.driver.readOutput<string, { kind: string; dueAt: number } | null>('jo.timers').map((r) => {
        if (r.value === null) return `delete:${kindOfKey.get(r.key) ?? '?'}`;
        kindOfKey.set(r.key, r.value.kind);
        expect(r.key.startsWith(String(r.value.dueAt).padStart(15, '0'))).toBe(true); // keyed by due time
        return `set:${r.value.kind}`;
      });
    // one timer per instance: the wait, due before the journey timeout (instance-timer.test.ts)
    expect(timers()).toEqual(['set:wait']);
    await j.publish(journey({ a: { type: 'end' } }));
    await j.event('user.signup', 'passes');
    expect(j.trail()).toContain('passes:a:ended:end');
    expect(j.driver.readOutput('jo.timers')).toEqual([]);
    await j.advance(HOUR);
    // the fired wait leaves the index (a tombstone); the instance ends, its journey timeout was never written
    expect(timers()).toEqual(['delete:wait']);
  });

  it('works off an overdue burst in bounded slices, with live events processed in between', async () => {
    const j = await welcomeDriver({ limits: { timerSliceSize: 2 } }, false);
    await j.publish(journey({ a: { type: 'wait', duration: 'PT1H', next: 'b' }, b: { type: 'end' } }));
    for (const who of ['p1', 'p2', 'p3', 'p4', 'p5']) await j.event('user.signup', who);
    j.steps();
    expect(
      j.metric('jo_timers_pending', { partition: 0 }) +
        j.metric('jo_timers_pending', { partition: 1 }) +
        j.metric('jo_timers_pending', { partition: 2 }),
    ).toBe(5);
    await j.advance(DAY); // "downtime": every wait is overdue
    const first = j.trail().filter((s) => s.endsWith(':b:ended:end')).length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(6); // at most 2 per partition per punctuation
    await j.event('user.signup', 'live');
    expect(j.trail()).toContain('live:a:entered');
    for (let i = 0; i < 5; i++) await j.advance(SEC);
    const ends = j.trail().filter((s) => s.endsWith(':b:ended:end')).length;
    expect(first + ends).toBe(5);
    const late = j.driver.metrics.observations('jo_timer_lateness_seconds');
    expect(Math.min(...late)).toBeGreaterThanOrEqual(DAY / 1000 - 3600);
  });
});

describe('journey topology: timer failures', () => {
  it("dead-letters records of the timer index that are not timers, and the partition's waits still fire", async () => {
    const j = await welcomeDriver({}, false);
    await j.publish(journey({ a: { type: 'wait', duration: 'PT1H', next: 'b' }, b: { type: 'end' } }));
    await j.event('user.signup', 'waits');
    j.steps();
    const p = partitionForKey(Buffer.from('email:waits'), 3);
    // what the timer store's serde makes of a non-JSON record restored from jo.timers, and a JSON non-timer
    const store = j.driver.getStore<unknown>(STORES.timers, p);
    const now = j.clock.now();
    await store.put(
      timerKey({ dueAt: now + 60_000, token: 'bad' }),
      new InvalidTimerRecord(Buffer.from('{oops'), 'not JSON'),
    );
    await store.put(timerKey({ dueAt: now + 120_000, token: 'odd' }), { hello: 'world' });
    j.driver.readOutput('jo.timers');
    await j.advance(HOUR);
    expect(j.trail()).toEqual(['waits:b:ended:end']);
    const dlq = j.dlq();
    expect(dlq.map((d) => [d.code, d.value?.toString()])).toEqual([
      ['TIMER_RECORD_INVALID', '{oops'],
      ['TIMER_RECORD_INVALID', '{"hello":"world"}'],
    ]);
    expect(dlq[0]?.message).toMatch(/is not JSON/);
    // deleted from the index (tombstones in jo.timers), not met again
    await j.advance(HOUR);
    expect(j.dlq()).toEqual([]);
  });
});

describe('journey topology: bad input', () => {
  it('dead-letters each bad event with its code and keeps processing', async () => {
    const j = await welcomeDriver({ limits: { maxEventBytes: 1_000 } });
    const good = async (who: string) => {
      await j.event('user.signup', who);
      expect(j.trail()).toContain(`${who}:email:entered`);
    };
    await j.raw('{not json');
    await good('a');
    await j.raw({ eventType: 'user.signup', pad: 'x'.repeat(2_000), identityMap: { email: [{ id: 'z' }] } });
    await good('b');
    await j.raw({ eventType: 'user.signup', identityMap: { phone: [{ id: '1' }] } });
    await good('c');
    await j.raw(Buffer.from([0, 0, 0, 0, 42, 1, 2, 3]));
    await good('d');
    await j.raw({ eventType: 'page.view', identityMap: { email: [{ id: 'e' }] } });
    await good('e');
    await j.driver.pipeInput('jo.action-results', 'email:a', { nope: true });
    await good('f');
    await j.driver.pipeInput('jo.profiles', 'email:g', '{broken');
    await good('g');
    expect(j.dlq().map((r) => r.code)).toEqual([
      'EVENT_INVALID_JSON',
      'EVENT_TOO_LARGE',
      'EVENT_NO_IDENTITY',
      'EVENT_UNKNOWN_SCHEMA',
      'ACTION_RESULT_INVALID',
      'DESERIALIZATION_FAILED',
    ]);
    expect(j.metric('jo_events_discarded_total', { reason: 'noEventConfig', journey: '' })).toBe(1);
    expect(j.metric('jo_events_dead_lettered_total', { code: 'EVENT_TOO_LARGE', topic: 'jo.events' })).toBe(1);
  });
});
